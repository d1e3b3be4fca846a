package io.veto.generator;

import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a stream of {@link GeneratedEvent}s to a Kafka topic at a target rate, for a duration and/or
 * a maximum count: the producing half of the generator, used by {@code generate} (see
 * {@link GeneratorCommand}), the local demo and the integration tests.
 *
 * <p>Pacing is a token bucket (GCRA): events leave at {@code eventsPerSecond} on average, with at
 * most 100 ms worth of catch-up burst after a stall, and the thread parks while it is ahead; it
 * never spins. Rate 0 sends as fast as the producer accepts. Each record's key is the event's
 * opaque card key and its value the JSON; the record timestamp is left to the producer (the time of
 * sending) unless {@link #withEventTimeAsRecordTimestamp(boolean)} asks for the event time (beware
 * topic retention with historical start times).
 *
 * <p>{@link #run()} runs once, on the calling thread, and flushes the producer before it returns;
 * {@link #close()} (from any thread) stops it, waits for it, and closes the producer, which the
 * runner owns. Counters count records the broker acknowledged. Nothing here logs a record's value.
 */
public final class GeneratorRunner implements Runnable, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GeneratorRunner.class);
    private static final long MAX_BURST_NANOS = 100_000_000L;

    private final Iterator<GeneratedEvent> events;
    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final double eventsPerSecond;
    private final Duration maxDuration;
    private final long maxCount;
    private volatile boolean eventTimeAsRecordTimestamp;
    private volatile Ticker ticker = Ticker.SYSTEM;

    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean stopRequested;
    private volatile Thread runner;

    private final AtomicLong attempted = new AtomicLong();
    private final LongAdder sent = new LongAdder();
    private final LongAdder sentPayments = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final Map<String, LongAdder> sentByLabel = new ConcurrentHashMap<>();
    private final AtomicReference<Exception> firstError = new AtomicReference<>();

    /**
     * @param events what to send; sending stops early when it runs out
     * @param producer the producer to send with; the runner closes it on {@link #close()}
     * @param topic the topic, e.g. {@code payments}
     * @param eventsPerSecond target rate; 0 = as fast as possible
     * @param maxDuration stop after this long; null = no time limit
     * @param maxCount stop after this many records; 0 or less = no count limit
     */
    public GeneratorRunner(
            Iterator<GeneratedEvent> events,
            Producer<byte[], byte[]> producer,
            String topic,
            double eventsPerSecond,
            Duration maxDuration,
            long maxCount) {
        this.events = Objects.requireNonNull(events, "events");
        this.producer = Objects.requireNonNull(producer, "producer");
        this.topic = Objects.requireNonNull(topic, "topic");
        if (!(eventsPerSecond >= 0) || Double.isInfinite(eventsPerSecond)) {
            throw new IllegalArgumentException("eventsPerSecond must be >= 0, got " + eventsPerSecond);
        }
        if (maxDuration != null && maxDuration.isNegative()) {
            throw new IllegalArgumentException("maxDuration must not be negative");
        }
        this.eventsPerSecond = eventsPerSecond;
        this.maxDuration = maxDuration;
        this.maxCount = maxCount;
    }

    /** A runner with a new {@link KafkaProducer} (see {@link #producerProperties(String, String)}). */
    public static GeneratorRunner toKafka(
            String bootstrapServers,
            String compression,
            String topic,
            Iterator<GeneratedEvent> events,
            double eventsPerSecond,
            Duration maxDuration,
            long maxCount) {
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties(bootstrapServers, compression));
        return new GeneratorRunner(events, producer, topic, eventsPerSecond, maxDuration, maxCount);
    }

    /**
     * Producer settings for the payments topic: byte-array serializers, acks=all with idempotence,
     * a small linger (5 ms) and the given compression ({@code lz4}, {@code none}, ...).
     */
    public static Properties producerProperties(String bootstrapServers, String compression) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "131072");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression == null ? "lz4" : compression);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "veto-generator");
        return p;
    }

    /** Use each event's time as the Kafka record timestamp (default: the time of sending). */
    public GeneratorRunner withEventTimeAsRecordTimestamp(boolean enabled) {
        this.eventTimeAsRecordTimestamp = enabled;
        return this;
    }

    /**
     * The clock the pacing reads and waits on: {@link Ticker#SYSTEM}, or a test's, which makes the
     * schedule a function of the events alone (when each leaves, and that the runner waits by
     * parking, not spinning), whatever the load of the machine.
     */
    GeneratorRunner withTicker(Ticker ticker) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        return this;
    }

    /** Sends until the duration, the count or the events run out, or until {@link #close()}. */
    @Override
    public void run() {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("a GeneratorRunner runs once");
        }
        runner = Thread.currentThread();
        try {
            if (!stopRequested) {
                sendLoop();
                flushQuietly();
            }
            Exception error = firstError.get();
            if (error != null) {
                LOG.warn(
                        "{} of {} records failed to send; first error: {}",
                        failed.sum(),
                        attempted.get(),
                        error.toString());
            }
        } finally {
            runner = null;
            finished.countDown();
        }
    }

    private void sendLoop() {
        Ticker clock = ticker;
        long start = clock.nanoTime();
        long budget = maxDuration == null ? Long.MAX_VALUE : saturatedNanos(maxDuration);
        double interval = eventsPerSecond > 0 ? 1e9 / eventsPerSecond : 0;
        double ahead = 0; // nanos since start at which the next record may leave
        while (!stopRequested && (maxCount <= 0 || attempted.get() < maxCount)) {
            long elapsed = clock.nanoTime() - start;
            if (elapsed >= budget) {
                break;
            }
            if (interval > 0) {
                if (ahead > elapsed) {
                    clock.parkNanos(this, Math.min((long) (ahead - elapsed) + 1, budget - elapsed));
                    if (Thread.currentThread().isInterrupted()) {
                        stopRequested = true;
                    }
                    continue;
                }
                if (elapsed - ahead > MAX_BURST_NANOS) { // after a stall: no unbounded catch-up burst
                    ahead = elapsed - MAX_BURST_NANOS;
                }
                ahead += interval;
            }
            if (!events.hasNext()) {
                break;
            }
            send(events.next());
        }
    }

    private void send(GeneratedEvent e) {
        Long timestamp = eventTimeAsRecordTimestamp ? e.eventTimeMillis() : null;
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, null, timestamp, e.keyBytes(), e.json());
        attempted.incrementAndGet();
        boolean payment = e.isPayment();
        String label = e.fraudLabel();
        Callback callback = (metadata, exception) -> {
            if (exception != null) {
                failed.increment();
                firstError.compareAndSet(null, exception);
            } else {
                sent.increment();
                if (payment) {
                    sentPayments.increment();
                }
                if (label != null) {
                    sentByLabel.computeIfAbsent(label, l -> new LongAdder()).increment();
                }
            }
        };
        producer.send(record, callback);
    }

    private void flushQuietly() {
        boolean interrupted = Thread.interrupted(); // flush must not die of our own stop signal
        try {
            producer.flush();
        } catch (RuntimeException e) {
            firstError.compareAndSet(null, e);
            LOG.warn("flushing the generator's producer failed: {}", e.toString());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Stops a running {@link #run()} (from any thread), waits up to 60 s for it to flush and return,
     * then closes the producer. Idempotent.
     */
    @Override
    public void close() {
        stopRequested = true;
        Thread t = runner;
        if (t != null) {
            LockSupport.unpark(t);
        }
        if (started.get() && t != Thread.currentThread()) {
            try {
                if (!finished.await(60, TimeUnit.SECONDS)) {
                    LOG.warn("generator did not stop within 60 s; closing its producer anyway");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (closed.compareAndSet(false, true)) {
            producer.close(Duration.ofSeconds(30));
        }
    }

    /** Whether {@link #run()} has started and not yet returned. */
    public boolean isRunning() {
        return started.get() && finished.getCount() > 0;
    }

    /** Records handed to the producer so far. */
    public long attempted() {
        return attempted.get();
    }

    /** Records the broker acknowledged. */
    public long sent() {
        return sent.sum();
    }

    /** Acknowledged PAYMENT records. */
    public long sentPayments() {
        return sentPayments.sum();
    }

    /** Records that failed to send. */
    public long failed() {
        return failed.sum();
    }

    /** Acknowledged fraud-labelled records by label ({@code card_testing}, ...), sorted by label. */
    public Map<String, Long> sentByLabel() {
        Map<String, Long> out = new TreeMap<>();
        sentByLabel.forEach((label, count) -> out.put(label, count.sum()));
        return out;
    }

    /** The first send failure, if any. */
    public Exception firstError() {
        return firstError.get();
    }

    /** A monotonic clock in nanoseconds and a way to wait on it; {@link #close()} unparks the runner. */
    interface Ticker {
        Ticker SYSTEM = new Ticker() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public void parkNanos(Object blocker, long nanos) {
                LockSupport.parkNanos(blocker, nanos);
            }
        };

        long nanoTime();

        /** Waits up to {@code nanos} (less if unparked or interrupted), as {@link LockSupport#parkNanos(Object, long)}. */
        void parkNanos(Object blocker, long nanos);
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
