package io.veto.entity;

import static org.assertj.core.api.Assertions.assertThat;

import io.veto.card.CardInput;
import io.veto.event.EventType;
import io.veto.event.PaymentEvent;
import io.veto.feature.Entity;
import io.veto.stage.entity.EntityFeatureOperator;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A replay after a failure answers every request exactly as an uninterrupted run does, whatever
 * order the inputs arrive in: the property that makes an at-least-once duplicate decision equal to
 * the first one.
 *
 * <p>The entity stage's input is simulated as Flink delivers it: several upstream channels (one
 * per source subtask), each a sequence of requests in event-time order, each followed by that
 * channel's watermark ({@code max time - bound - 1}, the bounded-out-of-orderness generator's),
 * the operator's watermark being the minimum over channels. Channels are interleaved at random.
 * A checkpoint is taken at a random point; the run goes on for a while (the answers it gives then
 * are the first decisions a failure turns into duplicates), then the operator is restored from the
 * checkpoint into a new harness on RocksDB, and each channel is replayed from where it stood at
 * the checkpoint, with fresh watermarks, in a new random interleaving. Every answer given, before
 * and after the failure, must equal the uninterrupted run's.
 */
class EntityFeatureReplayTest {
    private static final String[] FEATURES = {
        "count_10m", "distinct_card_10m", "max_amount_10m", "sum_amount_1h", "amount_ratio_30d", "refund_count_24h"
    };
    private static final long START = 1_780_000_000_000L;
    private static final long BOUND = 10;
    private static final int CHANNELS = 3;

    /** One element of a channel: a request, then the channel's watermark after it. */
    private record Item(EntityRequest request, long watermarkAfter) {}

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void shouldAnswerAReplayAfterARestoreExactlyAsAnUninterruptedRun(long seed) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<List<Item>> channels = channels(rnd, 1_500);
        int total = channels.stream().mapToInt(List::size).sum();

        Map<String, double[]> expected = new HashMap<>();
        Run reference = new Run(expected, null);
        reference.deliver(channels, new int[CHANNELS], total, new SplittableRandom(seed * 31));
        reference.finish();
        assertThat(expected).hasSize((int) channels.stream()
                .flatMap(List::stream)
                .filter(i -> i.request.wantsAnswer())
                .count());

        Map<String, double[]> mismatches = new TreeMap<>();
        Run live = new Run(expected, mismatches);
        int[] positions = new int[CHANNELS];
        SplittableRandom order = new SplittableRandom(seed * 77);
        live.deliver(channels, positions, rnd.nextInt(total / 4, 3 * total / 4), order);
        int[] atCheckpoint = positions.clone();
        OperatorSubtaskState checkpoint = live.harness.snapshot(1, 1);
        // Goes on after the checkpoint: these answers are what a failure later duplicates.
        live.deliver(channels, positions, rnd.nextInt(1, total / 5), order);
        live.harness.close();

        Run replay = new Run(expected, mismatches, checkpoint);
        replay.deliver(channels, atCheckpoint, total, new SplittableRandom(seed * 131));
        replay.finish();

        assertThat(mismatches)
                .as("answers that differ from the uninterrupted run's (request -> values)")
                .isEmpty();
        assertThat(live.answered + replay.answered)
                .as("every request answered after the restore")
                .isGreaterThanOrEqualTo(expected.size());
    }

    /** One operator instance fed from the channels, comparing (or recording) its answers. */
    private static final class Run {
        final KeyedOneInputStreamOperatorTestHarness<String, EntityRequest, CardInput> harness;
        final Map<String, double[]> expected;
        final Map<String, double[]> mismatches;
        final long[] channelWatermarks = new long[CHANNELS];
        long emitted = Long.MIN_VALUE;
        int answered;

        Run(Map<String, double[]> expected, Map<String, double[]> mismatches) throws Exception {
            this(expected, mismatches, null);
        }

        Run(Map<String, double[]> expected, Map<String, double[]> mismatches, OperatorSubtaskState restore)
                throws Exception {
            this.expected = expected;
            this.mismatches = mismatches;
            harness = new KeyedOneInputStreamOperatorTestHarness<>(
                    new EntityFeatureOperator(Duration.ofMinutes(5)), EntityRequest::key, Types.STRING, 128, 1, 0);
            harness.setStateBackend(new EmbeddedRocksDBStateBackend());
            harness.setup();
            if (restore != null) {
                harness.initializeState(restore);
            }
            harness.open();
            Arrays.fill(channelWatermarks, Long.MIN_VALUE);
        }

        /** Delivers up to {@code steps} items, each from a random channel that has one left. */
        void deliver(List<List<Item>> channels, int[] positions, int steps, SplittableRandom order) throws Exception {
            for (int s = 0; s < steps; s++) {
                List<Integer> open = new ArrayList<>();
                for (int c = 0; c < CHANNELS; c++) {
                    if (positions[c] < channels.get(c).size()) {
                        open.add(c);
                    }
                }
                if (open.isEmpty()) {
                    return;
                }
                int c = open.get(order.nextInt(open.size()));
                Item item = channels.get(c).get(positions[c]++);
                harness.processElement(
                        new StreamRecord<>(item.request, item.request.event().eventTime()));
                channelWatermarks[c] = Math.max(channelWatermarks[c], item.watermarkAfter);
                if (positions[c] == channels.get(c).size()) {
                    channelWatermarks[c] =
                            Long.MAX_VALUE - 1; // the end of a channel: it no longer holds the watermark back
                }
                long min = Arrays.stream(channelWatermarks).min().orElseThrow();
                if (min > emitted) {
                    emitted = min;
                    harness.processWatermark(new Watermark(min));
                }
                collect();
            }
        }

        void finish() throws Exception {
            harness.processWatermark(new Watermark(Long.MAX_VALUE));
            collect();
            harness.close();
        }

        private void collect() {
            for (CardInput out : harness.extractOutputValues()) {
                EntityFeatures a = out.answer();
                String id = a.paymentId() + "@" + a.entity().ruleName();
                answered++;
                if (mismatches == null) {
                    assertThat(expected.put(id, a.values()))
                            .as("answered once: %s", id)
                            .isNull();
                } else if (!Arrays.equals(expected.get(id), a.values())) {
                    mismatches.put(id, a.values());
                }
            }
            harness.getOutput().clear();
        }
    }

    /**
     * Payments (and some refunds) of a few merchants and customers over three days, spread over
     * the channels as partitions spread cards: each channel in event-time order.
     */
    private static List<List<Item>> channels(SplittableRandom rnd, int payments) {
        List<List<Item>> channels = new ArrayList<>();
        long[] maxTime = new long[CHANNELS];
        for (int c = 0; c < CHANNELS; c++) {
            channels.add(new ArrayList<>());
            maxTime[c] = Long.MIN_VALUE;
        }
        long t = START;
        List<PaymentEvent> paid = new ArrayList<>();
        for (int i = 0; i < payments; i++) {
            t += rnd.nextInt(0, 4) == 0 ? 0 : rnd.nextLong(1, 300_000); // same-millisecond payments too
            int card = rnd.nextInt(40);
            int channel = card % CHANNELS;
            PaymentEvent e;
            if (!paid.isEmpty() && rnd.nextInt(12) == 0) {
                PaymentEvent p = paid.get(rnd.nextInt(paid.size()));
                e = event(
                        "r" + i,
                        EventType.REFUND,
                        p.paymentId(),
                        t,
                        p.cardToken(),
                        p.merchantId(),
                        p.customerId(),
                        "3.00");
                channel = Integer.parseInt(p.cardToken().substring(5)) % CHANNELS;
            } else {
                String amount = BigDecimal.valueOf(rnd.nextLong(100, 90_000), 2).toPlainString();
                e = event(
                        "p" + i,
                        EventType.PAYMENT,
                        "p" + i,
                        t,
                        "card-" + card,
                        "merch-" + rnd.nextInt(4),
                        "cust-" + (card % 7),
                        amount);
                paid.add(e);
            }
            maxTime[channel] = Math.max(maxTime[channel], t);
            String[] features = e.type() == EventType.PAYMENT ? FEATURES : new String[0];
            channels.get(channel)
                    .add(new Item(
                            new EntityRequest(
                                    EntityRequest.keyOf(Entity.MERCHANT, e.merchantId()), Entity.MERCHANT, e, features),
                            maxTime[channel] - BOUND - 1));
            channels.get(channel)
                    .add(new Item(
                            new EntityRequest(
                                    EntityRequest.keyOf(Entity.CUSTOMER, e.customerId()), Entity.CUSTOMER, e, features),
                            maxTime[channel] - BOUND - 1));
        }
        return channels;
    }

    private static PaymentEvent event(
            String id,
            EventType type,
            String paymentId,
            long time,
            String card,
            String merchant,
            String customer,
            String amount) {
        return new PaymentEvent(
                "evt-" + id,
                type,
                paymentId,
                time,
                card,
                "411111",
                "1111",
                customer,
                merchant,
                "5411",
                null,
                new BigDecimal(amount),
                "EUR",
                "DE",
                "10.0.0.1",
                "dev-1",
                "ECOM",
                null,
                null,
                "test/0/" + id);
    }
}
