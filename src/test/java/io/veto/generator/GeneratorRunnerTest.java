package io.veto.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class GeneratorRunnerTest {
    private static final GeneratorConfig CONFIG = GeneratorConfig.defaults().withFraudRate(0.05);

    private static MockProducer<byte[], byte[]> producer() {
        return new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @Test
    void sendsEachEventWithItsCardKeyAndCountsWhatWasAcknowledged() {
        MockProducer<byte[], byte[]> producer = producer();
        List<GeneratedEvent> expected = new ArrayList<>();
        PaymentGenerator reference = new PaymentGenerator(CONFIG);
        for (int i = 0; i < 5_000; i++) {
            expected.add(reference.next());
        }
        try (GeneratorRunner runner =
                new GeneratorRunner(new PaymentGenerator(CONFIG), producer, "payments", 0, null, 5_000)) {
            runner.run();

            List<ProducerRecord<byte[], byte[]>> sent = producer.history();
            assertThat(sent).hasSize(5_000);
            Pattern pan = Pattern.compile("\\d{12,19}");
            Map<String, Long> labels = new TreeMap<>();
            long payments = 0;
            for (int i = 0; i < sent.size(); i++) {
                ProducerRecord<byte[], byte[]> r = sent.get(i);
                GeneratedEvent e = expected.get(i);
                assertThat(r.topic()).isEqualTo("payments");
                String key = new String(r.key(), StandardCharsets.UTF_8);
                assertThat(key).isEqualTo(e.key()).doesNotContainPattern(pan);
                assertThat(r.value()).isEqualTo(e.json());
                assertThat(r.timestamp()).isNull(); // the producer stamps the time of sending
                payments += e.isPayment() ? 1 : 0;
                if (e.fraudLabel() != null) {
                    labels.merge(e.fraudLabel(), 1L, Long::sum);
                }
            }
            assertThat(runner.attempted()).isEqualTo(5_000);
            assertThat(runner.sent()).isEqualTo(5_000);
            assertThat(runner.failed()).isZero();
            assertThat(runner.sentPayments()).isEqualTo(payments);
            assertThat(runner.sentByLabel()).isEqualTo(labels).containsKeys("card_testing", "velocity_burst");
            assertThat(producer.flushed()).isTrue();
            assertThat(runner.isRunning()).isFalse();
        }
        assertThat(producer.closed()).isTrue();
    }

    @Test
    void pacesEachEventToItsSlotAndWaitsByParking() {
        FakeTicker clock = new FakeTicker();
        MockProducer<byte[], byte[]> producer = clock.recordingProducer(-1, 0);
        try (GeneratorRunner runner = new GeneratorRunner(
                        new PaymentGenerator(CONFIG), producer, "payments", 2_000, null, 1_000)
                .withTicker(clock)) {
            runner.run();

            assertThat(runner.sent()).isEqualTo(1_000);
            assertThat(clock.sendTimes).hasSize(1_000);
            for (int i = 0; i < clock.sendTimes.size(); i++) {
                // 2000/s: the i-th event's slot starts at i * 0.5 ms; it leaves then, not earlier, and not later.
                assertThat(clock.sendTimes.get(i)).as("event %d", i).isBetween(i * 500_000L, i * 500_000L + 1_000L);
            }
            // Between two events it parks once, until the next slot: a spinning loop would read the
            // clock again and again while this clock stands still.
            assertThat(clock.parks).hasSize(999).allMatch(nanos -> nanos > 0 && nanos <= 500_001L);
            assertThat(clock.reads).isLessThanOrEqualTo(2L * 1_000 + 2);
        }
    }

    @Test
    void stopsWhenTheDurationIsUp() {
        FakeTicker clock = new FakeTicker();
        MockProducer<byte[], byte[]> producer = clock.recordingProducer(-1, 0);
        try (GeneratorRunner runner = new GeneratorRunner(
                        new PaymentGenerator(CONFIG), producer, "payments", 1_000, Duration.ofMillis(500), 0)
                .withTicker(clock)) {
            runner.run();

            // One event per millisecond, in slots 0 ms .. 499 ms; the wait for the 501st ends at the deadline.
            assertThat(runner.sent()).isEqualTo(500);
            assertThat(clock.sendTimes.get(499)).isLessThan(500_000_000L);
            assertThat(clock.now).isEqualTo(500_000_000L);
        }
    }

    @Test
    void catchesUpAtMostOneHundredMillisecondsOfEventsAfterAStall() {
        FakeTicker clock = new FakeTicker();
        // The 10th send stalls for a second (a producer blocked on a full buffer, a GC pause).
        MockProducer<byte[], byte[]> producer = clock.recordingProducer(9, 1_000_000_000L);
        try (GeneratorRunner runner = new GeneratorRunner(
                        new PaymentGenerator(CONFIG), producer, "payments", 1_000, null, 400)
                .withTicker(clock)) {
            runner.run();

            assertThat(runner.sent()).isEqualTo(400);
            long resumed = clock.sendTimes.get(10);
            assertThat(resumed).isGreaterThanOrEqualTo(1_000_000_000L);
            long burst = clock.sendTimes.stream().filter(t -> t == resumed).count();
            // 100 ms at 1000/s: 100 events at once, then one a millisecond again (not the 1000 missed).
            assertThat(burst).isBetween(100L, 101L);
            int next = 10 + (int) burst;
            for (int i = next; i < clock.sendTimes.size(); i++) {
                long gap = clock.sendTimes.get(i) - clock.sendTimes.get(i - 1);
                assertThat(gap).as("gap before event %d", i).isBetween(1_000_000L - 1_000L, 1_000_000L + 1_000L);
            }
        }
    }

    @Test
    void closeFromAnotherThreadStopsAnEndlessRunAndClosesTheProducer() throws Exception {
        MockProducer<byte[], byte[]> producer = producer();
        GeneratorRunner runner = new GeneratorRunner(new PaymentGenerator(CONFIG), producer, "payments", 200, null, 0);
        Thread t = new Thread(runner, "runner");
        t.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (runner.sent() < 20 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000L);
        }
        assertThat(runner.isRunning()).isTrue();
        runner.close();
        t.join(10_000);
        assertThat(t.isAlive()).isFalse();
        assertThat(runner.isRunning()).isFalse();
        long sentAtClose = runner.sent();
        assertThat(sentAtClose).isGreaterThanOrEqualTo(20L);
        assertThat(producer.closed()).isTrue();
        runner.close(); // idempotent
        assertThatThrownBy(runner::run).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void stopsWhenTheEventsRunOut() {
        List<GeneratedEvent> events = new ArrayList<>();
        PaymentGenerator g = new PaymentGenerator(CONFIG);
        for (int i = 0; i < 10; i++) {
            events.add(g.next());
        }
        MockProducer<byte[], byte[]> producer = producer();
        try (GeneratorRunner runner = new GeneratorRunner(events.iterator(), producer, "t", 0, null, 0)) {
            runner.run();
            assertThat(runner.sent()).isEqualTo(10);
        }
    }

    @Test
    void canStampRecordsWithTheEventTime() {
        MockProducer<byte[], byte[]> producer = producer();
        PaymentGenerator reference = new PaymentGenerator(CONFIG);
        try (GeneratorRunner runner = new GeneratorRunner(
                        new PaymentGenerator(CONFIG), producer, "payments", 0, null, 100)
                .withEventTimeAsRecordTimestamp(true)) {
            runner.run();
            for (ProducerRecord<byte[], byte[]> r : producer.history()) {
                assertThat(r.timestamp()).isEqualTo(reference.next().eventTimeMillis());
            }
        }
    }

    @Test
    void failedSendsAreCountedApartFromAcknowledgedOnes() {
        MockProducer<byte[], byte[]> failing =
                new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer()) {
                    private int n;

                    @Override
                    public synchronized Future<RecordMetadata> send(
                            ProducerRecord<byte[], byte[]> record, Callback callback) {
                        if (n++ % 2 == 0) {
                            callback.onCompletion(null, new TimeoutException("broker away"));
                            return CompletableFuture.failedFuture(new TimeoutException("broker away"));
                        }
                        return super.send(record, callback);
                    }
                };
        try (GeneratorRunner runner =
                new GeneratorRunner(new PaymentGenerator(CONFIG), failing, "payments", 0, null, 100)) {
            runner.run();
            assertThat(runner.attempted()).isEqualTo(100);
            assertThat(runner.sent()).isEqualTo(50);
            assertThat(runner.failed()).isEqualTo(50);
            assertThat(runner.firstError()).isInstanceOf(TimeoutException.class);
        }
    }

    @Test
    void producerPropertiesAskForDurableCompressedBatches() {
        var p = GeneratorRunner.producerProperties("localhost:9092", "lz4");
        assertThat(p)
                .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
                .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4")
                .containsEntry(ProducerConfig.LINGER_MS_CONFIG, "5")
                .containsEntry(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092")
                .containsEntry(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    }

    /**
     * A clock that stands still until the runner parks (then it jumps by the park) or a send stalls:
     * the runner's schedule becomes exact, whatever else the machine does.
     */
    private static final class FakeTicker implements GeneratorRunner.Ticker {
        long now;
        long reads;
        final List<Long> parks = new ArrayList<>();
        final List<Long> sendTimes = new ArrayList<>();

        @Override
        public long nanoTime() {
            reads++;
            return now;
        }

        @Override
        public void parkNanos(Object blocker, long nanos) {
            parks.add(nanos);
            now += nanos;
        }

        /** A producer that notes when each record is sent; send number {@code stallAt} takes {@code stallNanos}. */
        MockProducer<byte[], byte[]> recordingProducer(int stallAt, long stallNanos) {
            return new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer()) {
                @Override
                public synchronized Future<RecordMetadata> send(
                        ProducerRecord<byte[], byte[]> record, Callback callback) {
                    sendTimes.add(now);
                    if (sendTimes.size() - 1 == stallAt) {
                        now += stallNanos;
                    }
                    return super.send(record, callback);
                }
            };
        }
    }
}
