package io.veto.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the decisions topic from its start for the whole benchmark, on its own thread: counts
 * decisions over time (for throughput) and, for payments a {@link Phase} sent, records the latency
 * from the moment the payment was due to be sent to the moment its decision was consumed here.
 * The decision's Kafka key is its paymentId, so nothing is parsed.
 */
final class DecisionWatcher implements Runnable, AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final Thread thread;
    private volatile boolean running = true;

    private final AtomicLong decided = new AtomicLong();
    private final AtomicLong late = new AtomicLong();
    private static final byte[] LATE = "\"late\":true".getBytes(StandardCharsets.UTF_8);
    /** (nanoTime, decisions so far) after every poll that brought any. */
    private final List<long[]> timeline = new ArrayList<>();
    /** Payments of the latency phases still waiting for their decision: paymentId -> due time (nanoTime). */
    final Map<String, Long> sent = new ConcurrentHashMap<>();

    private final List<Phase> phases = new CopyOnWriteArrayList<>();
    private volatile Throwable error;

    /** One fixed-rate phase: its measured window (by due time) and the latencies of its payments. */
    static final class Phase {
        final int rate;
        final long measureFrom;
        final long measureTo;
        /** Microseconds; anything above a minute is recorded as a minute. */
        final Histogram micros = new Histogram(TimeUnit.MINUTES.toMicros(1), 3);

        final AtomicLong sentMeasured = new AtomicLong();

        Phase(int rate, long measureFrom, long measureTo) {
            this.rate = rate;
            this.measureFrom = measureFrom;
            this.measureTo = measureTo;
        }

        boolean measures(long due) {
            return due >= measureFrom && due < measureTo;
        }
    }

    DecisionWatcher(String bootstrapServers, String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "veto-bench-decisions");
        // A decision is consumed as soon as the broker has it: the broker answers a fetch at once when data is there.
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "100");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        this.consumer = new KafkaConsumer<>(p);
        this.topic = topic;
        List<TopicPartition> parts = new ArrayList<>();
        for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
            parts.add(new TopicPartition(topic, info.partition()));
        }
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        this.thread = new Thread(this, "bench-decision-watcher");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    void addPhase(Phase phase) {
        phases.add(phase);
    }

    @Override
    public void run() {
        try {
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                long now = System.nanoTime();
                if (records.isEmpty()) {
                    continue;
                }
                if (!sent.isEmpty()) {
                    for (ConsumerRecord<byte[], byte[]> r : records) {
                        Long due = sent.remove(new String(r.key(), StandardCharsets.UTF_8));
                        if (due != null) {
                            record(due, now);
                        }
                    }
                }
                long lateHere = 0;
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    if (contains(r.value(), LATE)) {
                        lateHere++;
                    }
                }
                late.addAndGet(lateHere);
                long total = decided.addAndGet(records.count());
                synchronized (timeline) {
                    timeline.add(new long[] {now, total});
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (Throwable t) {
            error = t;
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void record(long due, long now) {
        for (Phase p : phases) {
            if (p.measures(due)) {
                p.micros.recordValue(Math.min(Math.max(0, (now - due) / 1_000), p.micros.getHighestTrackableValue()));
                return;
            }
        }
    }

    long decided() {
        return decided.get();
    }

    /** Decisions flagged {@code late} (Veto's decisions; the reference job writes no such flag). */
    long late() {
        return late.get();
    }

    private static boolean contains(byte[] value, byte[] part) {
        if (value == null) {
            return false;
        }
        outer:
        for (int i = 0, last = value.length - part.length; i <= last; i++) {
            for (int j = 0; j < part.length; j++) {
                if (value[i + j] != part[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** Waits until at least {@code n} decisions were consumed; false on timeout. {@code alive} throws when the job has failed. */
    boolean awaitDecided(long n, Duration timeout, Runnable alive) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long checked = System.nanoTime();
        while (decided.get() < n) {
            check();
            if (System.nanoTime() - checked > TimeUnit.SECONDS.toNanos(2)) {
                alive.run();
                checked = System.nanoTime();
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        return true;
    }

    /** Waits until no payment due before {@code dueBefore} waits for its decision; false on timeout. */
    boolean awaitAnswered(long dueBefore, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (sent.values().stream().anyMatch(d -> d < dueBefore)) {
            check();
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        return true;
    }

    /** Payments of the phase's measured window that never got a decision. */
    long missing(Phase p) {
        return sent.values().stream().filter(p::measures).count();
    }

    /** When (nanoTime) the {@code n}-th decision was consumed; -1 if not yet. */
    long timeOf(long n) {
        synchronized (timeline) {
            int lo = 0;
            int hi = timeline.size();
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (timeline.get(mid)[1] < n) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo < timeline.size() ? timeline.get(lo)[0] : -1;
        }
    }

    private void check() {
        if (error != null) {
            throw new IllegalStateException("the decisions consumer failed", error);
        }
        if (!thread.isAlive() && running) {
            throw new IllegalStateException("the decisions consumer stopped");
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    String topic() {
        return topic;
    }
}
