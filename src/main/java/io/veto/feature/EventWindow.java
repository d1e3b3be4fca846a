package io.veto.feature;

import io.veto.event.EventType;
import io.veto.event.PaymentEvent;
import io.veto.time.Times;
import java.util.Arrays;
import java.util.Set;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * The whole keyed state of one entity (a card, a merchant, a device, ...) for its window features,
 * read and written once per event: enough of the entity's history to answer every
 * {@link FeatureSpec} its rules name, at the event time of each payment, the payment included.
 * Plain Java, no Flink inside (public fields of primitive arrays and numbers); Flink serializes it
 * with {@link EventWindowSerializer}, which writes only the used part of each array, packed.
 *
 * <h2>What it keeps</h2>
 * <ul>
 *   <li><b>Exact tier</b>: every payment of roughly the last 24 hours, sorted by event time, as
 *       parallel arrays: {@link #times}, fixed-point {@link #amounts}, and in {@link #hashes} a 60-bit
 *       hash per payment of each field a DISTINCT counts; and every refund, reversal and chargeback
 *       of those hours ({@link #feedbackTimes}), when a feature reads them.</li>
 *   <li><b>Hour tier</b>, only when a feature reaches back more than 24 hours: older events folded
 *       into one record per UTC hour in {@link #buckets} (count, sum, and only when needed
 *       chargebacks/refunds, max/min, spread; see {@link HourBuckets}) with running
 *       {@link #hourTotals}; for each field a DISTINCT
 *       counts over more than 24 hours, the last hour each value was seen ({@link #values},
 *       {@link #valueHours}); and the time of the newest folded payment, for {@code since_last}.</li>
 * </ul>
 * A payment moves from the exact tier to the hour tier once it is 24 hours behind the watermark
 * ({@link #expire}), and leaves the window once it is the longest horizon behind it. Which
 * fields, columns and feedback are recorded is set by {@link #track(WindowNeeds)} and stored in
 * {@link #layout} (and the longest horizon in {@link #horizon}), so the state describes itself after
 * a restore.
 *
 * <h2>Exactness</h2>
 * For a payment at event time t that is on time (after every {@code safeTime} the operator has
 * passed to {@link #expire}), with horizon H:
 * <ul>
 *   <li><b>H ≤ 24h: exact</b>. The window is {@code (t - H, t]} to the millisecond: an event at
 *       exactly {@code t - H} is out, one at {@code t - H + 1} is in; events added later but
 *       earlier in event time count for later payments only.</li>
 *   <li><b>H &gt; 24h: exact at one-hour granularity at the far edge</b>. An event at s counts iff
 *       {@code floorHour(s) > t - H} and {@code s <= t}: the window is
 *       {@code [floorHour(t - H) + 1h, t]}, so it spans between H - 1h and H, and the events of the
 *       partial oldest hour are left out. Everything else is exact.</li>
 *   <li>Distinct counts are exact up to 60-bit hash collisions (below 1e-8 for 100,000 values).
 *       Beyond 24h, at most {@value #MAX_REMEMBERED_VALUES} values per field are remembered (the
 *       most recently seen): an entity with more distinct values than that in the hour tier gets a
 *       count that is at least {@code min(true count, 1024)} and never more than the true count.</li>
 *   <li>{@code stddev} is a double computed stably (exact mean, then squared deviations; per hour
 *       bucket its own spread): within 1e-9 relative of a textbook two-pass computation. Averages,
 *       rates and ratios are the same divisions of exact integer totals.</li>
 *   <li>{@code since_last} is exact: the previous payment's time is kept even after it is folded.</li>
 * </ul>
 * A late payment (at or behind the watermark) is computed from what the window still holds: the
 * part of its window more than 24 hours behind the watermark is read at hour granularity (events
 * count as at the start of their hour), also for short horizons, and what is more than the longest
 * horizon behind the watermark is gone. A feature that a rule-set
 * change starts needing sees only what was recorded since the change (a lower bound) until its
 * horizon has passed once; a distinct field that is not tracked at all counts 0.
 *
 * <h2>Contract</h2>
 * Per event: {@link #track(WindowNeeds)} with the active rule set's needs, {@link #add(PaymentEvent)},
 * then for a payment {@link #compute(FeatureSpec, PaymentEvent)} for each feature, then
 * {@link #expire(long, long)} with {@code min(watermark, event time)} and the longest horizon. The
 * feedback events reach the window of every entity they carry (same card, merchant, terminal as
 * the original payment) and count at their own event time: {@code chargeback_rate_28d} is
 * chargebacks reported in the last 28 days over payments made in the last 28 days.
 *
 * <p>Not thread-safe; one instance per key.
 */
@TypeInfo(EventWindowSerializer.Factory.class)
public final class EventWindow {
    /** Beyond 24h, at most this many remembered values per distinct field (12 bytes each). */
    public static final int MAX_REMEMBERED_VALUES = 1024;
    /**
     * The most payments (and, apart, refunds, reversals and chargebacks) the exact tier keeps for
     * one entity. Beyond it, the oldest quarter is folded into the hour tier at once, whatever the
     * watermark: a hot key (a carding bot at a thousand payments a second on one card, IP or
     * device) costs bounded memory and time per event. An entity over the cap gets its short
     * windows counted from the exact tier plus the whole hours of the hour tier that start inside
     * them: never more than the true value, and at least the cap's worth of its newest payments —
     * far past any threshold a rule sets; long windows stay as exact as ever.
     */
    public static final int MAX_EXACT_EVENTS = 20_000;

    static final long HOUR = HourBuckets.HOUR;
    static final byte CHARGEBACK = 1;
    static final byte REFUND = 2;

    private static final long EXACT = FeatureSpec.EXACT_HORIZON_MILLIS;
    private static final double SCALE = Math.pow(10, PaymentEvent.AMOUNT_SCALE);
    private static final ValueField[] FIELDS = ValueField.values();

    /** Event times of the exact tier's payments, ascending; only the first {@link #size} are used. */
    public long[] times = new long[2];
    /** Their amounts in fixed point ({@link PaymentEvent#AMOUNT_SCALE} decimals). */
    public long[] amounts = new long[2];

    public int size;
    /**
     * Per payment of the exact tier, one value hash per tracked field (ascending field ordinal),
     * payment-major: payment i's hashes start at {@code i * bitCount(tracked fields)}; 0 = absent.
     * Null when no field is tracked.
     */
    public long[] hashes;
    /** What is recorded: tracked fields, remembered fields, feedback, bucket columns ({@link WindowNeeds}). */
    public int layout;
    /** Event times of the exact tier's refunds, reversals and chargebacks, ascending; null when not recorded. */
    public long[] feedbackTimes;
    /** Their kinds: {@link #CHARGEBACK} or {@link #REFUND} (refunds and reversals). */
    public byte[] feedbackKinds;

    public int feedbackSize;
    /** The hour tier, packed ({@link HourBuckets}); null when empty. */
    public byte[] buckets;
    /**
     * Totals over the hour tier (payments, amount sum, chargebacks, refunds, an upper bound of the
     * newest bucket's start: {@link HourBuckets#TOTALS}), so that a long window's count, sum and
     * feedback read only the buckets at its far edge; null when {@link #buckets} is.
     */
    public long[] hourTotals;
    /**
     * Values seen in the hour tier for long-horizon distinct counts: the field's ordinal in the top 4
     * bits, the value's hash below; ascending. Only the first {@link #valueCount} are used.
     */
    public long[] values;
    /** For each of {@link #values}, the last hour (since the epoch) it was seen in a folded payment. */
    public int[] valueHours;

    public int valueCount;
    /** Event time of the newest payment folded into the hour tier, or {@link Long#MIN_VALUE}. */
    public long lastFoldedPayment = Long.MIN_VALUE;
    /** Event time of the pending cleanup timer, or {@link Long#MIN_VALUE} when none (the operator's). */
    public long cleanupTimer = Long.MIN_VALUE;
    /**
     * The longest horizon of the features last {@linkplain #track(WindowNeeds) tracked}: what an
     * operator passes to {@link #expire} and its cleanup timer when no rule set is at hand.
     */
    public long horizon;

    /**
     * The hour tier decoded, for reads, and the array it was decoded from: {@link #buckets} is
     * replaced, never changed in place, so identity says whether the cache is current. Transient:
     * not state, and not serialized. It is only ever filled by decoding, so a read sees
     * exactly what a restored copy would.
     */
    private transient byte[] decodedFrom;

    private transient HourBuckets.Table decoded;

    public EventWindow() {}

    // ---------------------------------------------------------------- what to record

    /**
     * Records from now on what {@code needs} asks for; cheap when it already does. Hashes of fields
     * no longer counted, remembered values, feedback and bucket columns no longer read are dropped;
     * newly needed ones start empty (see the class comment).
     */
    public void track(WindowNeeds needs) {
        if (needs.layout != layout) {
            relayout(needs.layout);
        }
        horizon = needs.horizon();
    }

    /** {@link #track(WindowNeeds)} for these features; prefer computing the needs once per rule set. */
    public void track(Set<FeatureSpec> specs) {
        track(WindowNeeds.of(specs));
    }

    // ---------------------------------------------------------------- updates

    /**
     * Adds a payment, or a refund, reversal or chargeback when feedback is tracked; other events
     * are ignored. Events may come in any order of event time.
     *
     * @return whether the window changed
     */
    public boolean add(PaymentEvent e) {
        EventType type = e.type();
        if (type == EventType.PAYMENT) {
            insertPayment(e.eventTime(), e.amountFixed(), e);
            capExactTier();
            return true;
        }
        if (type != null && type.refersToPayment() && (layout & WindowNeeds.FEEDBACK) != 0) {
            insertFeedback(e.eventTime(), type == EventType.CHARGEBACK ? CHARGEBACK : REFUND);
            capExactTier();
            return true;
        }
        return false;
    }

    /** Adds a payment known only by time and fixed-point amount; it has no value for any distinct field. */
    public void add(long time, long amount) {
        insertPayment(time, amount, null);
        capExactTier();
    }

    /** Folds the oldest quarter of a tier over {@link #MAX_EXACT_EVENTS} into the hour tier. */
    private void capExactTier() {
        int keep = MAX_EXACT_EVENTS - MAX_EXACT_EVENTS / 4;
        if (size > MAX_EXACT_EVENTS) {
            foldUpTo(times[size - keep - 1]);
        }
        if (feedbackSize > MAX_EXACT_EVENTS) {
            foldUpTo(feedbackTimes[feedbackSize - keep - 1]);
        }
    }

    /**
     * Keeps what a later on-time payment can need, and nothing more: no event still to come that
     * needs features is at or before {@code safeTime} (the operator passes
     * {@code min(watermark, this event's time)}). Drops everything at or before
     * {@code safeTime - horizon} ({@link #evictUpTo}) and, for horizons over 24h, folds the exact
     * tier's events at or before {@code safeTime - 24h} into hour buckets ({@link #foldUpTo}).
     *
     * @param horizon the longest horizon of the entity's features ({@link WindowNeeds#horizon()})
     */
    public void expire(long safeTime, long horizon) {
        evictUpTo(saturatedMinus(safeTime, horizon));
        if (horizon > EXACT) {
            foldUpTo(saturatedMinus(safeTime, EXACT));
        }
    }

    /**
     * Drops every event at or before {@code cutoff}: payments and feedback of the exact tier, hour
     * buckets starting at or before it (their events count as at the hour's start, as in long
     * windows), remembered values last seen in such an hour.
     *
     * @return how many payments were dropped
     */
    public int evictUpTo(long cutoff) {
        int dropped = after(cutoff);
        if (dropped > 0) {
            removePayments(dropped);
        }
        int fk = feedbackAfter(cutoff);
        if (fk > 0) {
            removeFeedback(fk);
        }
        if (buckets != null) {
            long[] totals = totals();
            long before = totals[HourBuckets.PAYMENTS];
            buckets = HourBuckets.dropUpTo(buckets, columns(), cutoff, totals);
            dropped += (int) (before - totals[HourBuckets.PAYMENTS]);
            if (buckets == null) {
                hourTotals = null;
            }
        }
        if (valueCount > 0) {
            int w = 0;
            for (int i = 0; i < valueCount; i++) {
                if (valueHours[i] * HOUR > cutoff) {
                    values[w] = values[i];
                    valueHours[w++] = valueHours[i];
                }
            }
            valueCount = w;
            if (w == 0) {
                values = null;
                valueHours = null;
            }
        }
        if (lastFoldedPayment <= cutoff) {
            lastFoldedPayment = Long.MIN_VALUE;
        }
        trim();
        return dropped;
    }

    /**
     * Moves the exact tier's events at or before {@code cutoff} into the hour tier; {@link #expire}
     * passes 24 hours behind the watermark, which no on-time payment's exact window reaches.
     */
    public void foldUpTo(long cutoff) {
        int k = after(cutoff);
        int fk = feedbackAfter(cutoff);
        int cols = columns();
        boolean feedbackColumns = (cols & HourBuckets.FEEDBACK) != 0;
        if (k > 0 || (fk > 0 && feedbackColumns)) {
            // Events fold in time order, so they nearly always land in the newest bucket or after it:
            // then only the packed tail is rewritten instead of the whole tier (same bytes either way).
            long oldestHour = Math.min(
                    k > 0 ? Math.floorDiv(times[0], HOUR) : Long.MAX_VALUE,
                    fk > 0 && feedbackColumns ? Math.floorDiv(feedbackTimes[0], HOUR) : Long.MAX_VALUE);
            HourBuckets.Newest newest = buckets == null ? null : HourBuckets.newest(buckets, cols);
            boolean tailOnly = newest != null && oldestHour >= newest.hour;
            boolean intoNewest = tailOnly && oldestHour == newest.hour;
            HourBuckets.Table t = !tailOnly
                    ? HourBuckets.decode(buckets, cols)
                    : intoNewest ? HourBuckets.decodeNewest(buckets, cols, newest) : new HourBuckets.Table(4);
            int stride = stride();
            int remembered =
                    hashes == null ? 0 : (layout & WindowNeeds.LONG_DISTINCT) >>> WindowNeeds.LONG_DISTINCT_SHIFT;
            long[] totals = totals();
            for (int i = 0; i < k; i++) {
                long hour = Math.floorDiv(times[i], HOUR);
                t.addPayment(t.bucket(hour), amounts[i]);
                totals[HourBuckets.PAYMENTS]++;
                totals[HourBuckets.AMOUNT] += amounts[i];
                totals[HourBuckets.NEWEST_START] = Math.max(totals[HourBuckets.NEWEST_START], hour * HOUR);
                lastFoldedPayment = Math.max(lastFoldedPayment, times[i]);
                for (int f = 0; remembered != 0 && f < FIELDS.length; f++) {
                    if ((remembered & (1 << f)) != 0) {
                        long v = hashes[i * stride + slot(f)];
                        if (v != 0) {
                            remember(f, v, (int) hour);
                        }
                    }
                }
            }
            for (int j = 0; feedbackColumns && j < fk; j++) {
                long hour = Math.floorDiv(feedbackTimes[j], HOUR);
                int b = t.bucket(hour);
                if (feedbackKinds[j] == CHARGEBACK) {
                    t.chargebacks[b]++;
                    totals[HourBuckets.CHARGEBACKS]++;
                } else {
                    t.refunds[b]++;
                    totals[HourBuckets.REFUNDS]++;
                }
                totals[HourBuckets.NEWEST_START] = Math.max(totals[HourBuckets.NEWEST_START], hour * HOUR);
            }
            buckets = tailOnly
                    ? HourBuckets.replaceNewest(buckets, cols, newest, t, intoNewest)
                    : HourBuckets.encode(t, cols);
        }
        if (k > 0) {
            removePayments(k);
        }
        if (fk > 0) {
            removeFeedback(fk);
        }
        trim();
    }

    // ---------------------------------------------------------------- reads

    /** Whether nothing is kept: the operator may clear the entity's state. */
    public boolean isEmpty() {
        return size == 0
                && feedbackSize == 0
                && buckets == null
                && valueCount == 0
                && lastFoldedPayment == Long.MIN_VALUE;
    }

    /**
     * The newest event time the window holds (for a folded hour, the hour's last millisecond), or
     * {@link Long#MIN_VALUE} when empty: once the watermark is a horizon past it, nothing is left.
     */
    public long latestTime() {
        long latest = lastFoldedPayment;
        if (size > 0) {
            latest = Math.max(latest, times[size - 1]);
        }
        if (feedbackSize > 0) {
            latest = Math.max(latest, feedbackTimes[feedbackSize - 1]);
        }
        if (buckets != null) {
            latest = Math.max(latest, Times.plusSaturating(totals()[HourBuckets.NEWEST_START], HOUR - 1));
        }
        if (valueCount > 0) {
            for (int i = 0; i < valueCount; i++) {
                latest = Math.max(latest, valueHours[i] * HOUR + HOUR - 1);
            }
        }
        return latest;
    }

    /**
     * The value of a feature for {@code current}, which must have been {@link #add added}: over the
     * events in {@code (t - horizon, t]}, t being its event time (see the class comment for horizons
     * over 24h). Amounts come back in currency units.
     */
    public double compute(FeatureSpec spec, PaymentEvent current) {
        return compute(spec, current.eventTime(), current.amountFixed(), true);
    }

    /**
     * The value of a feature at event time {@code t}, for callers without the payment: every
     * aggregate but {@code amount_ratio}, which needs the payment's amount.
     */
    public double compute(FeatureSpec spec, long t) {
        if (spec.aggregate() == Aggregate.AMOUNT_RATIO) {
            throw new IllegalArgumentException(spec.qualifiedName() + " needs the payment: use compute(spec, payment)");
        }
        return compute(spec, t, 0L, false);
    }

    private double compute(FeatureSpec spec, long t, long amount, boolean amountKnown) {
        Aggregate agg = spec.aggregate();
        long horizon = spec.horizonMillis();
        if (agg == Aggregate.SINCE_LAST) {
            return sinceLast(t, horizon, amount, amountKnown);
        }
        long from = windowStart(t, horizon);
        // The hour tier: for long windows, and for short ones only when it reaches into them (a
        // late payment's, or an entity over the exact tier's cap).
        boolean hours = buckets != null
                && (horizon > EXACT || (hourTotals != null && hourTotals[HourBuckets.NEWEST_START] > from));
        switch (agg) {
            case DISTINCT:
                return distinct(spec.valueField(), from, t, horizon > EXACT);
            case STDDEV:
                return stddev(from, t, hours);
            case CHARGEBACK_COUNT:
                return feedback(CHARGEBACK, from, t, hours);
            case REFUND_COUNT:
                return feedback(REFUND, from, t, hours);
            case CHARGEBACK_RATE:
            case REFUND_RATE: {
                long n = totals(from, t, hours, false).count;
                return n == 0
                        ? 0.0
                        : feedback(agg == Aggregate.CHARGEBACK_RATE ? CHARGEBACK : REFUND, from, t, hours) / n;
            }
            default:
                break;
        }
        Totals s = totals(from, t, hours, agg == Aggregate.MAX || agg == Aggregate.MIN);
        return switch (agg) {
            case COUNT -> s.count;
            case SUM -> s.sum / SCALE;
            case AVG -> s.count == 0 ? 0.0 : (double) s.sum / s.count / SCALE;
            case MAX -> s.max == Long.MIN_VALUE ? 0.0 : s.max / SCALE;
            case MIN -> s.min == Long.MAX_VALUE ? 0.0 : s.min / SCALE;
            case AMOUNT_RATIO -> {
                long others = s.count - 1;
                long othersSum = s.sum - amount;
                yield others <= 0 || othersSum <= 0 ? 0.0 : (double) amount * others / othersSum;
            }
            default -> throw new IllegalStateException("unhandled aggregate " + agg);
        };
    }

    /**
     * The exclusive lower bound of the window of t: {@code t - horizon}, or for horizons over 24h
     * the last millisecond of the hour holding {@code t - horizon}, so that the window starts on a
     * whole hour, as the hour tier can tell.
     */
    static long windowStart(long t, long horizon) {
        long from = saturatedMinus(t, horizon);
        if (horizon <= EXACT) {
            return from;
        }
        if (from < Long.MIN_VALUE + HOUR) {
            return Long.MIN_VALUE;
        }
        return Math.floorDiv(from, HOUR) * HOUR + HOUR - 1;
    }

    private static final class Totals {
        long count;
        long sum;
        long max = Long.MIN_VALUE;
        long min = Long.MAX_VALUE;
    }

    /** Count, sum, and with {@code extremes} max and min, of the payments in the window. */
    private Totals totals(long from, long t, boolean hours, boolean extremes) {
        Totals s = new Totals();
        int hi = after(t);
        for (int i = after(from); i < hi; i++) {
            long a = amounts[i];
            s.count++;
            s.sum += a;
            s.max = Math.max(s.max, a);
            s.min = Math.min(s.min, a);
        }
        if (hours && !extremes && hourTotals != null && t >= hourTotals[HourBuckets.NEWEST_START]) {
            // Every bucket starts at or before t: the tier's totals minus the buckets at the far edge.
            s.count += hourTotals[HourBuckets.PAYMENTS];
            s.sum += hourTotals[HourBuckets.AMOUNT];
            HourBuckets.Reader r = new HourBuckets.Reader(buckets, columns());
            while (r.next() && r.start() <= from) {
                s.count -= r.count;
                s.sum -= r.sum;
            }
        } else if (hours) {
            HourBuckets.Table b = hourTier();
            int first = b.firstAfter(Math.floorDiv(from, HOUR));
            int end = b.firstAfter(Math.floorDiv(t, HOUR));
            s.count += b.countsBefore[end] - b.countsBefore[first];
            s.sum += b.sumsBefore[end] - b.sumsBefore[first];
            for (int i = first; extremes && i < end; i++) {
                if (b.counts[i] > 0 && b.max[i] != HourBuckets.NO_MAX) {
                    s.max = Math.max(s.max, b.max[i]);
                    s.min = Math.min(s.min, b.min[i]);
                }
            }
        }
        return s;
    }

    private double distinct(ValueField field, long from, long t, boolean longHorizon) {
        int f = field.ordinal();
        if ((layout & (1 << f)) == 0) {
            return 0.0;
        }
        int lo = after(from);
        int hi = after(t);
        boolean remembered =
                longHorizon && (layout & (1 << (f + WindowNeeds.LONG_DISTINCT_SHIFT))) != 0 && valueCount > 0;
        int stride = stride();
        int slot = slot(f);
        if (!remembered && hi - lo <= 1) {
            return hi > lo && hashes != null && hashes[lo * stride + slot] != 0 ? 1.0 : 0.0;
        }
        if (hashes == null) {
            // Copied or restored without hashes: its payments carry no value.
            hi = lo;
        }
        LongSet set = LongSet.scratch(hi - lo + (remembered ? valueCount : 0));
        for (int i = lo; i < hi; i++) {
            long v = hashes[i * stride + slot];
            if (v != 0) {
                set.add(v);
            }
        }
        if (remembered) {
            for (int j = 0; j < valueCount; j++) {
                long v = values[j];
                if ((int) (v >>> 60) == f) {
                    long start = valueHours[j] * HOUR;
                    if (start > from && start <= t) {
                        set.add(v & ValueField.HASH_MASK);
                    }
                }
            }
        }
        return set.size();
    }

    /**
     * Population standard deviation, numerically stable: the exact mean from the fixed-point sum,
     * then squared deviations of the exact tier plus, per hour bucket, its own spread and its
     * mean's deviation (the parallel-variance decomposition).
     */
    private double stddev(long from, long t, boolean hours) {
        int lo = after(from);
        int hi = after(t);
        long n = hi - lo;
        long sum = 0;
        for (int i = lo; i < hi; i++) {
            sum += amounts[i];
        }
        // Buckets of several payments folded without the spread column (NaN) are left out.
        HourBuckets.Table b = hours ? hourTier() : null;
        int first = b == null ? 0 : b.firstAfter(Math.floorDiv(from, HOUR));
        int end = b == null ? 0 : b.firstAfter(Math.floorDiv(t, HOUR));
        for (int i = first; i < end; i++) {
            if (b.counts[i] > 0 && !Double.isNaN(b.spread[i])) {
                n += b.counts[i];
                sum += b.sums[i];
            }
        }
        if (n == 0) {
            return 0.0;
        }
        double mean = (double) sum / n;
        double m2 = 0.0;
        for (int i = lo; i < hi; i++) {
            double d = amounts[i] - mean;
            m2 += d * d;
        }
        for (int i = first; i < end; i++) {
            if (b.counts[i] > 0 && !Double.isNaN(b.spread[i])) {
                double d = (double) b.sums[i] / b.counts[i] - mean;
                m2 += b.spread[i] + b.counts[i] * d * d;
            }
        }
        return Math.sqrt(m2 / n) / SCALE;
    }

    private double feedback(byte kind, long from, long t, boolean hours) {
        long n = 0;
        int hi = feedbackAfter(t);
        for (int i = feedbackAfter(from); i < hi; i++) {
            if (feedbackKinds[i] == kind) {
                n++;
            }
        }
        if (hours
                && (columns() & HourBuckets.FEEDBACK) != 0
                && hourTotals != null
                && t >= hourTotals[HourBuckets.NEWEST_START]) {
            n += hourTotals[kind == CHARGEBACK ? HourBuckets.CHARGEBACKS : HourBuckets.REFUNDS];
            HourBuckets.Reader r = new HourBuckets.Reader(buckets, columns());
            while (r.next() && r.start() <= from) {
                n -= kind == CHARGEBACK ? r.chargebacks : r.refunds;
            }
        } else if (hours && (columns() & HourBuckets.FEEDBACK) != 0) {
            HourBuckets.Table b = hourTier();
            int end = b.firstAfter(Math.floorDiv(t, HOUR));
            for (int i = b.firstAfter(Math.floorDiv(from, HOUR)); i < end; i++) {
                n += kind == CHARGEBACK ? b.chargebacks[i] : b.refunds[i];
            }
        }
        return n;
    }

    /**
     * Time since the latest other payment at or before t, within {@code reach}. The current payment
     * is skipped once (matched by time, and by amount when known); another payment at the same
     * millisecond gives 0.
     */
    private double sinceLast(long t, long reach, long amount, boolean amountKnown) {
        long previous = Long.MIN_VALUE;
        boolean skipped = false;
        for (int i = after(t) - 1; i >= 0; i--) {
            if (!skipped && times[i] == t && (!amountKnown || amounts[i] == amount)) {
                skipped = true;
                continue;
            }
            previous = times[i];
            break;
        }
        if (lastFoldedPayment <= t) {
            previous = Math.max(previous, lastFoldedPayment);
        } else if (buckets != null) {
            // A very late payment, older than the newest folded one: the hour tier knows only hours.
            HourBuckets.Table b = hourTier();
            for (int i = b.firstAfter(Math.floorDiv(t, HOUR)) - 1; i >= 0; i--) {
                if (b.counts[i] > 0) {
                    previous = Math.max(previous, b.hours[i] * HOUR);
                    break;
                }
            }
        }
        if (previous == Long.MIN_VALUE || previous <= saturatedMinus(t, reach)) {
            return FeatureSpec.SINCE_LAST_NONE;
        }
        return t - previous;
    }

    // ---------------------------------------------------------------- storage

    /**
     * {@link #hourTotals}, created for a tier that has none yet (empty, or written without them),
     * from its buckets.
     */
    private long[] totals() {
        if (hourTotals == null) {
            hourTotals = new long[HourBuckets.TOTALS];
            hourTotals[HourBuckets.NEWEST_START] = Long.MIN_VALUE;
            HourBuckets.Reader r = new HourBuckets.Reader(buckets, columns());
            while (r.next()) {
                hourTotals[HourBuckets.PAYMENTS] += r.count;
                hourTotals[HourBuckets.AMOUNT] += r.sum;
                hourTotals[HourBuckets.CHARGEBACKS] += r.chargebacks;
                hourTotals[HourBuckets.REFUNDS] += r.refunds;
                hourTotals[HourBuckets.NEWEST_START] = r.start();
            }
        }
        return hourTotals;
    }

    /** The hour tier for reading (never to be changed: writes decode their own copy). */
    private HourBuckets.Table hourTier() {
        if (decodedFrom != buckets) {
            decoded = HourBuckets.decode(buckets, columns()).withPrefixSums();
            decodedFrom = buckets;
        }
        return decoded;
    }

    private int stride() {
        return Integer.bitCount(layout & WindowNeeds.TRACKED);
    }

    /** Position of field {@code f}'s hash among a payment's hashes. */
    private int slot(int f) {
        return Integer.bitCount(layout & WindowNeeds.TRACKED & ((1 << f) - 1));
    }

    private int columns() {
        return (layout >>> WindowNeeds.BUCKET_COLUMNS_SHIFT) & 7;
    }

    /** Index of the first payment of the exact tier later than {@code x}. */
    private int after(long x) {
        return firstAfter(times, size, x);
    }

    private int feedbackAfter(long x) {
        return firstAfter(feedbackTimes, feedbackSize, x);
    }

    /** Index of the first of the {@code n} ascending values later than {@code x}. */
    private static int firstAfter(long[] ascending, int n, long x) {
        int lo = 0;
        int hi = n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (ascending[mid] <= x) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Inserts in event-time order; an equal time goes after the existing ones. */
    private void insertPayment(long time, long amount, PaymentEvent e) {
        if (size == times.length) {
            // Modest growth: spare room costs memory on a heap state backend (see trim).
            resize(size + (size >> 3) + 2);
        }
        int stride = stride();
        if (stride > 0 && (hashes == null || hashes.length < times.length * stride)) {
            // A window copied or restored without hashes: its payments count as having no value.
            hashes = hashes == null ? new long[times.length * stride] : Arrays.copyOf(hashes, times.length * stride);
        }
        int pos = size;
        while (pos > 0 && times[pos - 1] > time) {
            pos--;
        }
        if (pos < size) {
            System.arraycopy(times, pos, times, pos + 1, size - pos);
            System.arraycopy(amounts, pos, amounts, pos + 1, size - pos);
            if (stride > 0) {
                System.arraycopy(hashes, pos * stride, hashes, (pos + 1) * stride, (size - pos) * stride);
            }
        }
        times[pos] = time;
        amounts[pos] = amount;
        if (stride > 0) {
            int k = pos * stride;
            for (int f = 0; f < FIELDS.length; f++) {
                if ((layout & (1 << f)) != 0) {
                    hashes[k++] = e == null ? 0L : FIELDS[f].hashOf(e);
                }
            }
        }
        size++;
    }

    private void insertFeedback(long time, byte kind) {
        if (feedbackTimes == null) {
            feedbackTimes = new long[2];
            feedbackKinds = new byte[2];
        } else if (feedbackSize == feedbackTimes.length) {
            int cap = feedbackSize + (feedbackSize >> 1) + 2;
            feedbackTimes = Arrays.copyOf(feedbackTimes, cap);
            feedbackKinds = Arrays.copyOf(feedbackKinds, cap);
        }
        int pos = feedbackSize;
        while (pos > 0 && feedbackTimes[pos - 1] > time) {
            pos--;
        }
        System.arraycopy(feedbackTimes, pos, feedbackTimes, pos + 1, feedbackSize - pos);
        System.arraycopy(feedbackKinds, pos, feedbackKinds, pos + 1, feedbackSize - pos);
        feedbackTimes[pos] = time;
        feedbackKinds[pos] = kind;
        feedbackSize++;
    }

    private void removePayments(int k) {
        int stride = stride();
        System.arraycopy(times, k, times, 0, size - k);
        System.arraycopy(amounts, k, amounts, 0, size - k);
        if (stride > 0 && hashes != null) {
            System.arraycopy(hashes, k * stride, hashes, 0, (size - k) * stride);
        }
        size -= k;
    }

    private void removeFeedback(int k) {
        System.arraycopy(feedbackTimes, k, feedbackTimes, 0, feedbackSize - k);
        System.arraycopy(feedbackKinds, k, feedbackKinds, 0, feedbackSize - k);
        feedbackSize -= k;
        if (feedbackSize == 0) {
            feedbackTimes = null;
            feedbackKinds = null;
        }
    }

    private void resize(int capacity) {
        times = Arrays.copyOf(times, capacity);
        amounts = Arrays.copyOf(amounts, capacity);
        int stride = stride();
        if (stride > 0) {
            hashes = hashes == null ? new long[capacity * stride] : Arrays.copyOf(hashes, capacity * stride);
        }
    }

    /**
     * Gives back spare capacity once a window has shrunk to well under it: the serializer writes
     * only the used part, but a heap state backend keeps whole arrays. Windows read from RocksDB
     * come exact-sized, so trimming less often also saves a copy per event there.
     */
    private void trim() {
        if (times.length > 2 * size + 8) {
            resize(size + (size >> 3));
        }
        if (feedbackTimes != null && feedbackTimes.length != feedbackSize) {
            feedbackTimes = Arrays.copyOf(feedbackTimes, feedbackSize);
            feedbackKinds = Arrays.copyOf(feedbackKinds, feedbackSize);
        }
        if (values != null && values.length != valueCount) {
            values = Arrays.copyOf(values, valueCount);
            valueHours = Arrays.copyOf(valueHours, valueCount);
        }
    }

    /**
     * Notes that the value with hash {@code v} of field {@code f} was seen in {@code hour}, keeping at
     * most {@link #MAX_REMEMBERED_VALUES} per field: the least recently seen goes first, so a count
     * over any window stays at least min(true count, the cap).
     */
    private void remember(int f, long v, int hour) {
        long tagged = ((long) f << 60) | v;
        int i = values == null ? -1 : Arrays.binarySearch(values, 0, valueCount, tagged);
        if (i >= 0) {
            valueHours[i] = Math.max(valueHours[i], hour);
            return;
        }
        int pos = -(i + 1);
        if (values == null) {
            values = new long[4];
            valueHours = new int[4];
        } else if (valueCount == values.length) {
            int cap = valueCount + (valueCount >> 1) + 2;
            values = Arrays.copyOf(values, cap);
            valueHours = Arrays.copyOf(valueHours, cap);
        }
        System.arraycopy(values, pos, values, pos + 1, valueCount - pos);
        System.arraycopy(valueHours, pos, valueHours, pos + 1, valueCount - pos);
        values[pos] = tagged;
        valueHours[pos] = hour;
        valueCount++;
        if (valueCount > MAX_REMEMBERED_VALUES) {
            int ofField = 0;
            int oldest = -1;
            for (int j = 0; j < valueCount; j++) {
                if ((int) (values[j] >>> 60) == f) {
                    ofField++;
                    if (oldest < 0 || valueHours[j] < valueHours[oldest]) {
                        oldest = j;
                    }
                }
            }
            if (ofField > MAX_REMEMBERED_VALUES) {
                System.arraycopy(values, oldest + 1, values, oldest, valueCount - oldest - 1);
                System.arraycopy(valueHours, oldest + 1, valueHours, oldest, valueCount - oldest - 1);
                valueCount--;
            }
        }
    }

    private void relayout(int next) {
        int oldTracked = layout & WindowNeeds.TRACKED;
        int newTracked = next & WindowNeeds.TRACKED;
        if (oldTracked != newTracked) {
            int oldStride = Integer.bitCount(oldTracked);
            int newStride = Integer.bitCount(newTracked);
            long[] moved = newStride == 0 ? null : new long[times.length * newStride];
            if (moved != null && hashes != null && oldStride > 0) {
                for (int f = 0; f < FIELDS.length; f++) {
                    int bit = 1 << f;
                    if ((oldTracked & bit) != 0 && (newTracked & bit) != 0) {
                        int from = Integer.bitCount(oldTracked & (bit - 1));
                        int to = Integer.bitCount(newTracked & (bit - 1));
                        for (int i = 0; i < size; i++) {
                            moved[i * newStride + to] = hashes[i * oldStride + from];
                        }
                    }
                }
            }
            hashes = moved;
        }
        int keepRemembered = (next & WindowNeeds.LONG_DISTINCT) >>> WindowNeeds.LONG_DISTINCT_SHIFT;
        if (valueCount > 0) {
            int w = 0;
            for (int i = 0; i < valueCount; i++) {
                if ((keepRemembered & (1 << (int) (values[i] >>> 60))) != 0) {
                    values[w] = values[i];
                    valueHours[w++] = valueHours[i];
                }
            }
            valueCount = w;
            if (w == 0) {
                values = null;
                valueHours = null;
            }
        }
        if ((next & WindowNeeds.FEEDBACK) == 0) {
            feedbackTimes = null;
            feedbackKinds = null;
            feedbackSize = 0;
        }
        int oldColumns = columns();
        int newColumns = (next >>> WindowNeeds.BUCKET_COLUMNS_SHIFT) & 7;
        if (oldColumns != newColumns && buckets != null) {
            buckets = HourBuckets.encode(HourBuckets.decode(buckets, oldColumns), newColumns);
            if ((newColumns & HourBuckets.FEEDBACK) == 0 && hourTotals != null) {
                hourTotals[HourBuckets.CHARGEBACKS] = 0;
                hourTotals[HourBuckets.REFUNDS] = 0;
            }
        }
        layout = next;
    }

    static long saturatedMinus(long a, long b) {
        return Times.minusSaturating(a, b);
    }
}
