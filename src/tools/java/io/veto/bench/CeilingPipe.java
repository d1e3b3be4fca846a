package io.veto.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The ceiling the broker sets: a plain Kafka consume → produce pipe over the payments topic, each
 * record copied unchanged (same key, same bytes) to another topic, with {@code threads} threads
 * (as many as Veto's parallelism), each with its own consumer (a fixed share of the partitions) and
 * producer. Consumer and producer are configured as Veto's source and decisions sink are: read
 * committed, acks=all, idempotent, lz4, the same linger. No parsing, no state: whatever Veto does
 * beyond this is its own cost.
 */
final class CeilingPipe {
    private CeilingPipe() {}

    record Result(long records, long bytes, double seconds) {
        double recordsPerSecond() {
            return records / seconds;
        }
    }

    static Result run(String bootstrapServers, String from, String to, int threads, Duration producerLinger)
            throws InterruptedException {
        List<TopicPartition> all = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> meta = new KafkaConsumer<>(consumerProperties(bootstrapServers))) {
            for (PartitionInfo info : meta.partitionsFor(from, Duration.ofSeconds(30))) {
                all.add(new TopicPartition(from, info.partition()));
            }
        }
        threads = Math.min(threads, all.size());
        List<Worker> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            List<TopicPartition> mine = new ArrayList<>();
            for (int k = i; k < all.size(); k += threads) {
                mine.add(all.get(k));
            }
            workers.add(new Worker(bootstrapServers, mine, to, producerLinger));
        }
        long start = System.nanoTime();
        List<Thread> running = new ArrayList<>();
        for (int i = 0; i < workers.size(); i++) {
            Thread t = new Thread(workers.get(i), "bench-ceiling-" + i);
            t.start();
            running.add(t);
        }
        for (Thread t : running) {
            t.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long records = 0;
        long bytes = 0;
        for (Worker w : workers) {
            if (w.error.get() != null) {
                throw new IllegalStateException("the ceiling pipe failed", w.error.get());
            }
            records += w.records;
            bytes += w.bytes;
        }
        return new Result(records, bytes, seconds);
    }

    private static final class Worker implements Runnable {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final KafkaProducer<byte[], byte[]> producer;
        private final List<TopicPartition> partitions;
        private final String to;
        private final AtomicReference<Throwable> error = new AtomicReference<>();
        long records;
        long bytes;

        Worker(String bootstrapServers, List<TopicPartition> partitions, String to, Duration linger) {
            this.consumer = new KafkaConsumer<>(consumerProperties(bootstrapServers));
            this.producer = new KafkaProducer<>(producerProperties(bootstrapServers, linger));
            this.partitions = partitions;
            this.to = to;
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }

        @Override
        public void run() {
            try (consumer;
                    producer) {
                Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
                while (!done(end)) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        producer.send(new ProducerRecord<>(to, r.key(), r.value()), (md, e) -> {
                            if (e != null) {
                                error.compareAndSet(null, e);
                            }
                        });
                        records++;
                        bytes += r.serializedValueSize();
                    }
                }
                producer.flush();
            } catch (Throwable t) {
                error.compareAndSet(null, t);
            }
        }

        private boolean done(Map<TopicPartition, Long> end) {
            for (TopicPartition p : partitions) {
                if (consumer.position(p) < end.get(p)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** As Veto's payments source reads (KafkaConnectors.paymentsSourceBuilder). */
    static Properties consumerProperties(String bootstrapServers) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "5");
        return p;
    }

    /** As Veto's decisions sink writes (KafkaConnectors.producerProperties). */
    static Properties producerProperties(String bootstrapServers, Duration linger) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.LINGER_MS_CONFIG, Long.toString(linger.toMillis()));
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        return p;
    }
}
