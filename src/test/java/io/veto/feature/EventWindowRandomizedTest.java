package io.veto.feature;

import static io.veto.feature.TestEvents.DAY;
import static io.veto.feature.TestEvents.HOUR;
import static io.veto.feature.TestEvents.MINUTE;
import static io.veto.feature.TestEvents.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.veto.event.EventType;
import io.veto.event.PaymentEvent;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * 100,000 events over 45 days on thousands of cards, devices and IPs and hundreds of merchants, out of
 * order within a few seconds, with refunds, reversals and chargebacks mixed in: every feature of
 * every payment, from one {@link EventWindow} per entity fed as a Flink job would, is compared with
 * a brute-force recomputation from the full event list under the documented semantics (exact up to
 * 24h, the partial oldest hour left out beyond).
 */
class EventWindowRandomizedTest {
    private static final int EVENTS = 100_000;
    private static final long SPAN = 45 * DAY;
    /** Largest event-time disorder in arrival; the watermark trails the newest event by this. */
    private static final long BOUND = 3_000;

    private static final double SCALE = 10_000.0;
    private static final Entity[] ENTITIES = {Entity.CARD, Entity.MERCHANT, Entity.DEVICE, Entity.IP};

    private static List<String> specNames() {
        List<String> names = new ArrayList<>();
        for (String h : List.of("1m", "10m", "1h", "24h", "7d", "30d")) {
            for (String a : List.of("count", "sum_amount", "avg_amount", "max_amount", "min_amount", "stddev_amount")) {
                names.add(a + "_" + h);
            }
        }
        for (String h : List.of("10m", "1h", "24h", "7d", "30d")) {
            names.add("distinct_country_" + h);
        }
        for (String h : List.of("1h", "24h", "30d")) {
            names.add("distinct_card_" + h);
            names.add("distinct_merchant_" + h);
        }
        names.addAll(List.of(
                "distinct_device_24h",
                "distinct_device_7d",
                "distinct_ip_10m",
                "chargeback_count_24h",
                "chargeback_count_28d",
                "chargeback_rate_28d",
                "chargeback_rate_1h",
                "refund_count_1h",
                "refund_rate_7d",
                "refund_count_30d",
                "amount_ratio_24h",
                "amount_ratio_30d",
                "since_last"));
        return names;
    }

    // ------------------------------------------------------------------ the event stream

    private static PaymentEvent event(
            EventType type,
            String paymentId,
            long time,
            BigDecimal amount,
            String card,
            String merchant,
            String device,
            String ip,
            String country) {
        return new PaymentEvent(
                "evt-" + type + "-" + paymentId + "-" + time,
                type,
                paymentId,
                time,
                card,
                "4" + Math.floorMod(card.hashCode(), 100_000),
                "0000",
                null,
                merchant,
                "5411",
                "t-" + merchant,
                amount,
                "EUR",
                country,
                ip,
                device,
                "ECOM",
                null,
                null,
                "gen");
    }

    private static BigDecimal amount(Random rnd) {
        int kind = rnd.nextInt(100);
        if (kind < 3) {
            return BigDecimal.ZERO;
        }
        if (kind < 13) {
            return BigDecimal.valueOf(rnd.nextInt(20_000), 4); // 4 decimals, under 2
        }
        if (kind < 15) {
            return BigDecimal.valueOf(250_000 + rnd.nextInt(300_000), 2);
        }
        return BigDecimal.valueOf(Math.round(Math.exp(Math.log(2500) + 1.2 * rnd.nextGaussian())), 2);
    }

    /** Events in arrival order: times out of order by less than {@link #BOUND}. */
    private static List<PaymentEvent> stream(long seed) {
        Random rnd = new Random(seed);
        String[] countries = {"DE", "FR", "IT", "ES", "NL", "PL", "US", "GB", "BR", "IN", "NG", "RU"};
        int cards = 2000;
        List<PaymentEvent> payments = new ArrayList<>();
        int feedbackCount = EVENTS * 6 / 100;
        while (payments.size() < EVENTS - feedbackCount) {
            int c = (int) Math.min(cards - 1, Math.abs(rnd.nextGaussian()) * cards / 2.5);
            String card = "card-" + c;
            String device = rnd.nextInt(20) == 0
                    ? null
                    : rnd.nextInt(10) == 0 ? "shared-dev-" + rnd.nextInt(300) : "dev-" + (c % 1700);
            String ip = rnd.nextInt(4) == 0 ? "ip-" + rnd.nextInt(500) : "ip-home-" + (c % 900);
            String country = rnd.nextInt(8) == 0 ? countries[rnd.nextInt(countries.length)] : countries[c % 5];
            String merchant = "m-" + (int) Math.min(599, Math.abs(rnd.nextGaussian()) * 250);
            long time = T0 + (long) (rnd.nextDouble() * SPAN);
            int shape = rnd.nextInt(100);
            if (shape < 5) {
                time = Math.floorDiv(time, HOUR) * HOUR - (rnd.nextBoolean() ? 1 : 0); // on an hour's edge
            } else if (shape < 25) {
                time = Math.floorDiv(time, MINUTE) * MINUTE;
            }
            PaymentEvent p = event(
                    EventType.PAYMENT, "p" + payments.size(), time, amount(rnd), card, merchant, device, ip, country);
            payments.add(p);
            if (rnd.nextInt(100) < 4 && payments.size() < EVENTS - feedbackCount - 6) {
                // Follow-ups of the same card at exactly a horizon's distance, or at the same millisecond,
                // and bursts: where off-by-one mistakes show.
                long[] gaps = {0, MINUTE, 10 * MINUTE, HOUR, DAY, 7 * DAY, 1, 20_000};
                int n = 1 + rnd.nextInt(5);
                long t = time;
                for (int k = 0; k < n; k++) {
                    t += gaps[rnd.nextInt(gaps.length)];
                    payments.add(event(
                            EventType.PAYMENT,
                            "p" + payments.size(),
                            t,
                            amount(rnd),
                            card,
                            rnd.nextBoolean() ? merchant : "m-" + rnd.nextInt(600),
                            device,
                            ip,
                            country));
                }
            }
        }
        payments.sort(Comparator.comparingLong(PaymentEvent::eventTime));
        List<PaymentEvent> all = new ArrayList<>(payments);
        for (int i = 0; i < feedbackCount; i++) {
            PaymentEvent p = payments.get(rnd.nextInt(payments.size()));
            int kind = rnd.nextInt(6);
            EventType type = kind < 2 ? EventType.CHARGEBACK : kind < 5 ? EventType.REFUND : EventType.REVERSAL;
            long delay = type == EventType.REVERSAL
                    ? rnd.nextInt((int) HOUR)
                    : (long) (rnd.nextDouble() * (type == EventType.CHARGEBACK ? 40 : 5) * DAY);
            if (rnd.nextInt(4) == 0) {
                // At the payment's own millisecond or a horizon after it: where window edges are tested.
                long[] exact = {0, MINUTE, HOUR, DAY, 7 * DAY};
                delay = exact[rnd.nextInt(exact.length)];
            }
            // Labels carry the original payment's card, merchant and terminal; device and IP only sometimes.
            all.add(event(
                    type,
                    p.paymentId(),
                    p.eventTime() + delay,
                    p.amount(),
                    p.cardToken(),
                    p.merchantId(),
                    rnd.nextBoolean() ? p.deviceId() : null,
                    rnd.nextBoolean() ? p.ip() : null,
                    p.country()));
        }
        // Arrival: each event delayed by less than BOUND, so event time is out of order by less than that.
        Map<PaymentEvent, Long> arrival = new HashMap<>();
        for (PaymentEvent e : all) {
            arrival.put(e, e.eventTime() + rnd.nextInt((int) BOUND));
        }
        all.sort(Comparator.comparingLong(arrival::get));
        return all;
    }

    // ------------------------------------------------------------------ the reference

    /**
     * An event as the reference reads it: its fixed-point amount, and its field values as small
     * ids (one per field and value, -1 when absent), extracted once.
     */
    private record Ev(PaymentEvent event, EventType type, long time, long amount, int[] ids) {
        static Ev of(PaymentEvent e, Map<String, Integer> dictionary) {
            int[] ids = new int[ValueField.values().length];
            for (ValueField f : ValueField.values()) {
                String v = f.of(e);
                ids[f.ordinal()] = v == null || v.isEmpty()
                        ? -1
                        : dictionary.computeIfAbsent(f.ordinal() + ":" + v, k -> dictionary.size());
            }
            return new Ev(e, e.type(), e.eventTime(), e.amountFixed(), ids);
        }
    }

    /** Which value ids were seen in the window being recomputed: marked with that window's stamp. */
    private static int[] seen = new int[1 << 16];

    private static int stamp;

    /** Everything the features of one horizon read, recomputed from the entity's events so far. */
    private static final class Reference {
        long count;
        long sum;
        long max = Long.MIN_VALUE;
        long min = Long.MAX_VALUE;
        double stddev;
        long chargebacks;
        long refunds;
        final int[] distinct = new int[ValueField.values().length];

        static boolean inWindow(long s, long t, long horizon) {
            if (s > t) {
                return false;
            }
            return horizon <= FeatureSpec.EXACT_HORIZON_MILLIS
                    ? s > t - horizon
                    : Math.floorDiv(s, HOUR) * HOUR > t - horizon;
        }

        /**
         * The window of t over {@code arrived}, newest arrival first, with distinct values of
         * {@code fields} only (the costly part). The scan stops once arrivals are older than any
         * window by more than the disorder bound: nothing that arrived earlier can be in it.
         */
        static Reference of(List<Ev> arrived, long t, long horizon, Set<ValueField> fields) {
            Reference r = new Reference();
            stamp++;
            long stop = t - horizon - HOUR - 2 * BOUND;
            for (Ev e : arrived) {
                if (e.time() < stop) {
                    break;
                }
                if (!inWindow(e.time(), t, horizon)) {
                    continue;
                }
                switch (e.type()) {
                    case PAYMENT -> {
                        long a = e.amount();
                        r.count++;
                        r.sum += a;
                        r.max = Math.max(r.max, a);
                        r.min = Math.min(r.min, a);
                        for (ValueField f : fields) {
                            int id = e.ids()[f.ordinal()];
                            if (id >= 0) {
                                if (id >= seen.length) {
                                    seen = Arrays.copyOf(seen, id * 2);
                                }
                                if (seen[id] != stamp) {
                                    seen[id] = stamp;
                                    r.distinct[f.ordinal()]++;
                                }
                            }
                        }
                    }
                    case CHARGEBACK -> r.chargebacks++;
                    case REFUND, REVERSAL -> r.refunds++;
                    default -> {}
                }
            }
            // Two passes: the textbook population standard deviation.
            if (r.count > 0) {
                double mean = (double) r.sum / r.count;
                double m2 = 0;
                for (Ev e : arrived) {
                    if (e.time() < stop) {
                        break;
                    }
                    if (e.type() == EventType.PAYMENT && inWindow(e.time(), t, horizon)) {
                        double d = e.amount() - mean;
                        m2 += d * d;
                    }
                }
                r.stddev = Math.sqrt(m2 / r.count) / SCALE;
            }
            return r;
        }

        double value(FeatureSpec spec, PaymentEvent current) {
            long a = current.amountFixed();
            return switch (spec.aggregate()) {
                case COUNT -> count;
                case SUM -> sum / SCALE;
                case AVG -> count == 0 ? 0.0 : (double) sum / count / SCALE;
                case MAX -> count == 0 ? 0.0 : max / SCALE;
                case MIN -> count == 0 ? 0.0 : min / SCALE;
                case STDDEV -> stddev;
                case DISTINCT -> distinct[spec.valueField().ordinal()];
                case CHARGEBACK_COUNT -> chargebacks;
                case REFUND_COUNT -> refunds;
                case CHARGEBACK_RATE -> count == 0 ? 0.0 : (double) chargebacks / count;
                case REFUND_RATE -> count == 0 ? 0.0 : (double) refunds / count;
                case AMOUNT_RATIO -> count - 1 <= 0 || sum - a <= 0 ? 0.0 : (double) a * (count - 1) / (sum - a);
                case SINCE_LAST -> throw new IllegalStateException("computed apart");
            };
        }
    }

    private static double sinceLast(List<Ev> arrived, PaymentEvent current) {
        long t = current.eventTime();
        long previous = Long.MIN_VALUE;
        for (Ev e : arrived) {
            if (e.event() != current && e.type() == EventType.PAYMENT && e.time() <= t) {
                previous = Math.max(previous, e.time());
            }
        }
        return previous == Long.MIN_VALUE || previous <= t - FeatureSpec.SINCE_LAST_HORIZON_MILLIS
                ? FeatureSpec.SINCE_LAST_NONE
                : t - previous;
    }

    // ------------------------------------------------------------------ the comparison

    @Test
    void shouldMatchABruteForceRecomputationForEveryPaymentAndFeature() {
        List<PaymentEvent> events = stream(20261128L);
        Map<Entity, Set<FeatureSpec>> specs = new EnumMap<>(Entity.class);
        Map<Entity, WindowNeeds> needs = new EnumMap<>(Entity.class);
        Map<Entity, Map<String, EventWindow>> windows = new EnumMap<>(Entity.class);
        Map<Entity, Map<String, List<Ev>>> history = new EnumMap<>(Entity.class);
        Map<Entity, Map<Long, Set<ValueField>>> distinctFields = new EnumMap<>(Entity.class);
        Map<String, Integer> dictionary = new HashMap<>();
        for (Entity entity : ENTITIES) {
            Set<FeatureSpec> s = new LinkedHashSet<>();
            for (String n : specNames()) {
                s.add(FeatureSpec.parse(entity, n));
            }
            specs.put(entity, s);
            needs.put(entity, WindowNeeds.of(s));
            Map<Long, Set<ValueField>> fields = new HashMap<>();
            for (FeatureSpec spec : s) {
                Set<ValueField> f = fields.computeIfAbsent(spec.horizonMillis(), h -> EnumSet.noneOf(ValueField.class));
                if (spec.valueField() != null) {
                    f.add(spec.valueField());
                }
            }
            distinctFields.put(entity, fields);
            windows.put(entity, new HashMap<>());
            history.put(entity, new HashMap<>());
        }
        long horizon = needs.get(Entity.CARD).horizon();
        long longest = horizon + HOUR + BOUND;

        long newest = Long.MIN_VALUE;
        long comparisons = 0;
        long payments = 0;
        long nonZeroLong = 0;
        int maxHours = 0;
        int cleared = 0;
        long mismatchCount = 0;
        List<String> mismatches = new ArrayList<>();
        for (int n = 0; n < events.size(); n++) {
            PaymentEvent e = events.get(n);
            Ev ev = Ev.of(e, dictionary);
            // As BoundedOutOfOrderness: the newest time seen before this event, minus the bound, minus 1.
            long watermark = newest == Long.MIN_VALUE ? Long.MIN_VALUE : newest - BOUND - 1;
            newest = Math.max(newest, e.eventTime());
            boolean payment = e.type() == EventType.PAYMENT;
            if (payment) {
                payments++;
                assertThat(e.eventTime()).as("every payment is on time").isGreaterThan(watermark);
            }
            for (Entity entity : ENTITIES) {
                String key = entity.keyOf(e);
                if (key == null) {
                    continue;
                }
                EventWindow w = windows.get(entity).computeIfAbsent(key, k -> new EventWindow());
                List<Ev> arrived = history.get(entity).computeIfAbsent(key, k -> new ArrayList<>());
                arrived.add(ev);
                w.track(needs.get(entity));
                w.add(e);
                if (payment) {
                    long t = e.eventTime();
                    // Only events that can be in a window: earlier arrivals are at most BOUND later in event time.
                    List<Ev> recent = new ArrayList<>();
                    for (int i = arrived.size() - 1; i >= 0; i--) {
                        Ev x = arrived.get(i);
                        if (x.time() < t - longest - BOUND) {
                            break;
                        }
                        recent.add(x);
                    }
                    Map<Long, Reference> byHorizon = new HashMap<>();
                    for (FeatureSpec spec : specs.get(entity)) {
                        double expected = spec.aggregate() == Aggregate.SINCE_LAST
                                ? sinceLast(recent, e)
                                : byHorizon
                                        .computeIfAbsent(
                                                spec.horizonMillis(),
                                                h -> Reference.of(
                                                        recent,
                                                        t,
                                                        h,
                                                        distinctFields
                                                                .get(entity)
                                                                .get(h)))
                                        .value(spec, e);
                        double actual = w.compute(spec, e);
                        comparisons++;
                        if (!spec.exact() && expected != 0) {
                            nonZeroLong++;
                        }
                        boolean same = spec.aggregate() == Aggregate.STDDEV
                                ? Math.abs(actual - expected) <= 1e-9 * Math.max(1.0, Math.abs(expected))
                                : actual == expected;
                        if (!same) {
                            mismatchCount++;
                            if (mismatches.size() < 20) {
                                mismatches.add(spec.qualifiedName() + " of " + e.paymentId() + " at " + t + " (" + key
                                        + "): expected " + expected + ", got " + actual);
                            }
                        }
                    }
                }
                w.expire(Math.min(watermark, e.eventTime()), horizon);
            }
            if (n % 10_000 == 9_999) {
                cleared += cleanUp(windows, watermark, horizon);
                for (Map<String, EventWindow> byKey : windows.values()) {
                    for (EventWindow w : byKey.values()) {
                        maxHours = Math.max(maxHours, hourCount(w));
                    }
                }
            }
        }

        System.out.printf(
                "randomized: %,d events, %,d payments, %,d feature values compared (%,d non-zero beyond 24h), %,d mismatches;"
                        + " %,d idle windows cleared, at most %d hour buckets%n",
                events.size(), payments, comparisons, nonZeroLong, mismatchCount, cleared, maxHours);
        assertThat(mismatches).isEmpty();
        assertThat(mismatchCount).isZero();
        assertThat(payments).isGreaterThan(90_000);
        assertThat(nonZeroLong).isGreaterThan(1_000_000);
        assertThat(cleared).isPositive();
        // Hours in (watermark - 30d, watermark - 24h] at most, plus the one partly past the cutoff.
        assertThat(maxHours).isLessThanOrEqualTo(29 * 24 + 2);
    }

    private static int hourCount(EventWindow w) {
        int n = 0;
        HourBuckets.Reader r = new HourBuckets.Reader(w.buckets, (w.layout >>> WindowNeeds.BUCKET_COLUMNS_SHIFT) & 7);
        while (r.next()) {
            n++;
        }
        return n;
    }

    /** What the operator's cleanup timer does: a window a whole horizon past its latest event is empty and goes. */
    private static int cleanUp(Map<Entity, Map<String, EventWindow>> windows, long watermark, long horizon) {
        int cleared = 0;
        for (Map<String, EventWindow> byKey : windows.values()) {
            for (Iterator<EventWindow> it = byKey.values().iterator(); it.hasNext(); ) {
                EventWindow w = it.next();
                long latest = w.latestTime();
                if (latest <= watermark - horizon) {
                    w.evictUpTo(watermark - horizon);
                    assertThat(w.isEmpty()).isTrue();
                    it.remove();
                    cleared++;
                }
            }
        }
        return cleared;
    }
}
