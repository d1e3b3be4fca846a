package io.veto.feature;

import java.util.Arrays;

/**
 * The payments of one entity inside the longest horizon its rules need, sorted by event time: the
 * whole keyed state of a window stage, read and written once per payment. Times and amounts are
 * parallel arrays (amounts as fixed-point longs) so the state stays compact and Flink serializes it
 * as a POJO without Kryo.
 */
public final class EventWindow {
    /** Event times, ascending; only the first {@link #size} are used. */
    public long[] times = new long[4];
    /** Amounts in fixed point ({@link io.veto.event.PaymentEvent#AMOUNT_SCALE} decimals). */
    public long[] amounts = new long[4];
    public int size;
    /** Event time of the pending cleanup timer, or {@link Long#MIN_VALUE} when none. */
    public long cleanupTimer = Long.MIN_VALUE;

    public EventWindow() {}

    public boolean isEmpty() {
        return size == 0;
    }

    public long latestTime() {
        return times[size - 1];
    }

    /** Inserts in event-time order; an equal time goes after the existing ones. */
    public void add(long time, long amount) {
        if (size == times.length) {
            int cap = Math.max(4, size * 2);
            times = Arrays.copyOf(times, cap);
            amounts = Arrays.copyOf(amounts, cap);
        }
        int pos = size;
        while (pos > 0 && times[pos - 1] > time) {
            pos--;
        }
        if (pos < size) {
            System.arraycopy(times, pos, times, pos + 1, size - pos);
            System.arraycopy(amounts, pos, amounts, pos + 1, size - pos);
        }
        times[pos] = time;
        amounts[pos] = amount;
        size++;
    }

    /** Drops every event at or before {@code cutoff}; returns how many were dropped. */
    public int evictUpTo(long cutoff) {
        int drop = 0;
        while (drop < size && times[drop] <= cutoff) {
            drop++;
        }
        if (drop > 0) {
            System.arraycopy(times, drop, times, 0, size - drop);
            System.arraycopy(amounts, drop, amounts, 0, size - drop);
            size -= drop;
            if (times.length > 16 && size < times.length / 4) {
                times = Arrays.copyOf(times, Math.max(4, size * 2));
                amounts = Arrays.copyOf(amounts, times.length);
            }
        }
        return drop;
    }

    /**
     * The value of a feature at event time {@code t}, over the events in {@code (t - horizon, t]}.
     * Amount aggregates come back in currency units.
     */
    public double compute(FeatureSpec spec, long t) {
        long from = t - spec.horizonMillis();
        long count = 0;
        long sum = 0;
        long max = Long.MIN_VALUE;
        long min = Long.MAX_VALUE;
        for (int i = size - 1; i >= 0; i--) {
            long ts = times[i];
            if (ts > t) {
                continue;
            }
            if (ts <= from) {
                break;
            }
            count++;
            long a = amounts[i];
            sum += a;
            max = Math.max(max, a);
            min = Math.min(min, a);
        }
        double scale = Math.pow(10, io.veto.event.PaymentEvent.AMOUNT_SCALE);
        return switch (spec.aggregate()) {
            case COUNT -> count;
            case SUM -> sum / scale;
            case AVG -> count == 0 ? 0.0 : (double) sum / count / scale;
            case MAX -> count == 0 ? 0.0 : max / scale;
            case MIN -> count == 0 ? 0.0 : min / scale;
        };
    }
}
