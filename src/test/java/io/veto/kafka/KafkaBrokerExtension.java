package io.veto.kafka;

import io.veto.local.EmbeddedKafkaBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension that runs one real {@link EmbeddedKafkaBroker} per test class.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
 * }</pre>
 *
 * <p>The broker is started in {@code beforeAll} and closed in {@code afterAll}; {@code @Nested}
 * classes share the outer class's broker. Tests should use {@link #newTopic(String, int)} to get
 * a fresh topic each, so they stay independent while sharing the broker. The produce/drain
 * helpers use byte-array records and read from the beginning of a topic with a fresh consumer
 * (no consumer group), and never block longer than the given timeout.
 */
public final class KafkaBrokerExtension implements BeforeAllCallback, AfterAllCallback {

    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(30);

    private final Map<String, String> saslUsers;
    private EmbeddedKafkaBroker broker;
    private int depth;

    /** A broker with a {@code PLAINTEXT} listener. */
    public KafkaBrokerExtension() {
        this(Map.of());
    }

    /**
     * A broker with a {@code PLAINTEXT} listener, for the test's own clients, and a
     * {@code SASL_PLAINTEXT} one that accepts these users (name to password) with {@code PLAIN}.
     */
    public KafkaBrokerExtension(Map<String, String> saslPlainUsers) {
        this.saslUsers = Map.copyOf(saslPlainUsers);
    }

    @Override
    public synchronized void beforeAll(ExtensionContext context) {
        if (depth++ == 0) {
            broker = saslUsers.isEmpty()
                    ? EmbeddedKafkaBroker.start()
                    : EmbeddedKafkaBroker.startWithSaslPlain(saslUsers);
        }
    }

    @Override
    public synchronized void afterAll(ExtensionContext context) {
        if (--depth == 0 && broker != null) {
            try {
                broker.close();
            } finally {
                broker = null;
            }
        }
    }

    /** The running broker; fails outside of a test class lifecycle. */
    public synchronized EmbeddedKafkaBroker broker() {
        if (broker == null) {
            throw new IllegalStateException("Kafka broker is not running: register the extension with "
                    + "@RegisterExtension on a static field");
        }
        return broker;
    }

    /** {@code "127.0.0.1:PORT"} of the running broker. */
    public String bootstrapServers() {
        return broker().bootstrapServers();
    }

    /** {@code "127.0.0.1:PORT"} of the {@code SASL_PLAINTEXT} listener. */
    public String saslBootstrapServers() {
        return broker().saslBootstrapServers();
    }

    /** Creates a topic named {@code prefix-<random>} and returns its name once every partition has a leader. */
    public String newTopic(String prefix, int partitions) {
        String topic = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        broker().createTopics(partitions, topic);
        return topic;
    }

    /** Sends the records with {@code acks=all}, flushes, and fails if any record was not acknowledged. */
    public void produce(String topic, List<ProducerRecord<byte[], byte[]>> records) {
        Properties props = broker().clientProperties();
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        // Plain acks=all with one request in flight keeps each partition's order. Not idempotent: once in CI
        // the embedded broker refused a fresh producer's first batches as OUT_OF_ORDER_SEQUENCE_NUMBER for
        // two minutes (BacktestITCase), and a test's input must not depend on that bookkeeping.
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<RecordMetadata>> acks = new ArrayList<>(records.size());
            for (ProducerRecord<byte[], byte[]> record : records) {
                if (!record.topic().equals(topic)) {
                    throw new IllegalArgumentException(
                            "Record for topic " + record.topic() + " passed to produce(" + topic + ", ...)");
                }
                acks.add(producer.send(record));
            }
            producer.flush();
            for (Future<RecordMetadata> ack : acks) {
                ack.get(METADATA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("Could not produce to " + topic, e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Timed out producing to " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted producing to " + topic, e);
        }
    }

    /**
     * Reads {@code topic} from the beginning (read_uncommitted) until {@code expectedCount} records
     * arrived or {@code timeout} passed; returns what was read either way.
     */
    public List<ConsumerRecord<byte[], byte[]>> drain(String topic, int expectedCount, Duration timeout) {
        return drain(topic, expectedCount, timeout, false);
    }

    /**
     * Reads {@code topic} from the beginning until {@code expectedCount} records arrived or
     * {@code timeout} passed; returns what was read either way. With {@code readCommitted}, records
     * of aborted or still-open transactions are not returned.
     */
    public List<ConsumerRecord<byte[], byte[]>> drain(
            String topic, int expectedCount, Duration timeout, boolean readCommitted) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = newConsumer(readCommitted)) {
            if (!assignAll(consumer, topic, deadline)) {
                return out;
            }
            while (out.size() < expectedCount) {
                long remainingNanos = deadline - System.nanoTime();
                if (remainingNanos <= 0) {
                    break;
                }
                Duration poll = Duration.ofNanos(Math.min(remainingNanos, POLL.toNanos()));
                consumer.poll(poll).forEach(out::add);
            }
        }
        return out;
    }

    /**
     * Reads {@code topic} from the beginning (read_uncommitted) until every partition reaches the
     * end offset it had when the call started. Gives up, returning what was read, when no record
     * arrived for {@code quiet}.
     */
    /** A consumer of {@code topic} in its own group, from the earliest offset; the caller closes it. */
    public KafkaConsumer<byte[], byte[]> subscribe(String topic, String group) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group + "-" + topic);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p);
        c.subscribe(List.of(topic));
        return c;
    }

    public List<ConsumerRecord<byte[], byte[]>> drainAll(String topic, Duration quiet) {
        return drainAll(topic, quiet, false);
    }

    /**
     * Like {@link #drainAll(String, Duration)}; with {@code readCommitted} the end offsets are the
     * last stable offsets and records of aborted or open transactions are not returned.
     */
    public List<ConsumerRecord<byte[], byte[]>> drainAll(String topic, Duration quiet, boolean readCommitted) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = newConsumer(readCommitted)) {
            if (!assignAll(consumer, topic, System.nanoTime() + METADATA_TIMEOUT.toNanos())) {
                return out;
            }
            Map<TopicPartition, Long> endOffsets =
                    new HashMap<>(consumer.endOffsets(consumer.assignment(), METADATA_TIMEOUT));
            long quietDeadline = System.nanoTime() + quiet.toNanos();
            while (true) {
                endOffsets.entrySet().removeIf(e -> consumer.position(e.getKey(), METADATA_TIMEOUT) >= e.getValue());
                if (endOffsets.isEmpty()) {
                    return out;
                }
                long remainingNanos = quietDeadline - System.nanoTime();
                if (remainingNanos <= 0) {
                    return out;
                }
                int before = out.size();
                consumer.poll(Duration.ofNanos(Math.min(remainingNanos, POLL.toNanos())))
                        .forEach(out::add);
                if (out.size() > before) {
                    quietDeadline = System.nanoTime() + quiet.toNanos();
                }
            }
        }
    }

    private KafkaConsumer<byte[], byte[]> newConsumer(boolean readCommitted) {
        Properties props = broker().clientProperties();
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                (readCommitted ? IsolationLevel.READ_COMMITTED : IsolationLevel.READ_UNCOMMITTED).toString());
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Assigns every partition of the topic and seeks to the beginning; false if the topic never showed up. */
    private static boolean assignAll(KafkaConsumer<byte[], byte[]> consumer, String topic, long deadlineNanos) {
        while (true) {
            Duration remaining = Duration.ofNanos(Math.max(deadlineNanos - System.nanoTime(), POLL.toNanos()));
            List<PartitionInfo> partitions;
            try {
                partitions = consumer.partitionsFor(topic, remaining);
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                partitions = List.of();
            }
            if (partitions != null && !partitions.isEmpty()) {
                List<TopicPartition> assignment = partitions.stream()
                        .map(p -> new TopicPartition(p.topic(), p.partition()))
                        .toList();
                consumer.assign(assignment);
                consumer.seekToBeginning(assignment);
                return true;
            }
            if (System.nanoTime() >= deadlineNanos) {
                return false;
            }
            LockSupport.parkNanos(POLL.toNanos());
        }
    }
}
