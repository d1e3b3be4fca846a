package io.veto.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Follows a decisions topic from its beginning while a job writes it (read_uncommitted: every
 * decision written, committed or not): which payments have a decision, and when each record was
 * written (its timestamp is the decision's {@code decidedAt}), to tell when output resumed after a
 * failure.
 */
public final class DecisionTracker implements AutoCloseable {
    private final Set<String> paymentIds = ConcurrentHashMap.newKeySet();
    private final Object lock = new Object();
    private long[] timestamps = new long[1 << 16];
    private int records;
    private volatile boolean stopped;
    private volatile Throwable failure;
    private final Thread thread;

    public DecisionTracker(String bootstrapServers, String topic, int partitions) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        thread = new Thread(() -> follow(p, topic, partitions), "decisions-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    private void follow(Properties p, String topic, int partitions) {
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = IntStream.range(0, partitions)
                    .mapToObj(i -> new TopicPartition(topic, i))
                    .toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            while (!stopped) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    paymentIds.add(new String(r.key(), StandardCharsets.UTF_8));
                    synchronized (lock) {
                        if (records == timestamps.length) {
                            timestamps = Arrays.copyOf(timestamps, records * 2);
                        }
                        timestamps[records++] = r.timestamp();
                    }
                }
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    /** Payments with at least one decision so far. */
    public int decided() {
        check();
        return paymentIds.size();
    }

    public Set<String> paymentIds() {
        check();
        return Set.copyOf(paymentIds);
    }

    /** Decision records so far, duplicates included. */
    public int records() {
        synchronized (lock) {
            return records;
        }
    }

    /** The earliest decision written after {@code millis}, or -1 if none was yet. */
    public long firstWrittenAfter(long millis) {
        long first = Long.MAX_VALUE;
        synchronized (lock) {
            for (int i = 0; i < records; i++) {
                if (timestamps[i] > millis && timestamps[i] < first) {
                    first = timestamps[i];
                }
            }
        }
        return first == Long.MAX_VALUE ? -1 : first;
    }

    private void check() {
        if (failure != null) {
            throw new IllegalStateException("decision tracker failed", failure);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        thread.join(TimeUnit.SECONDS.toMillis(30));
    }
}
