package io.veto.feature;

import java.io.Serializable;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Set;

/**
 * What an entity's {@link EventWindow} must record so that a set of features can be computed:
 * which payment fields to hash for distinct counts, whether to keep refunds and chargebacks, which
 * columns its hour buckets need, and how far back to keep anything. Computed once per rule set and
 * handed to {@link EventWindow#track(WindowNeeds)} before each update; recording only what the
 * features read is what keeps a window small.
 */
public final class WindowNeeds implements Serializable {
    private static final long serialVersionUID = 1L;

    static final int LONG_DISTINCT_SHIFT = 10;
    /** Bits 0-9: fields whose hashes every payment in the exact tier carries (any DISTINCT). */
    static final int TRACKED = (1 << LONG_DISTINCT_SHIFT) - 1;
    /** Bits 10-19: fields with a DISTINCT over more than 24h, whose values are remembered per hour. */
    static final int LONG_DISTINCT = TRACKED << LONG_DISTINCT_SHIFT;
    /** Refunds, reversals and chargebacks are recorded. */
    static final int FEEDBACK = 1 << 20;

    static final int BUCKET_COLUMNS_SHIFT = 21;
    /** Hour buckets count refunds and chargebacks (a feedback feature over more than 24h). */
    static final int FEEDBACK_COLUMNS = HourBuckets.FEEDBACK << BUCKET_COLUMNS_SHIFT;
    /** Hour buckets keep max and min (a max or min over more than 24h). */
    static final int EXTREMES_COLUMNS = HourBuckets.EXTREMES << BUCKET_COLUMNS_SHIFT;
    /** Hour buckets keep the spread of their amounts (a stddev over more than 24h). */
    static final int SPREAD_COLUMNS = HourBuckets.SPREAD << BUCKET_COLUMNS_SHIFT;

    /** Nothing to record: no feature reads the entity. */
    public static final WindowNeeds NONE = new WindowNeeds(0, 0L);

    final int layout;
    private final long horizon;

    private WindowNeeds(int layout, long horizon) {
        this.layout = layout;
        this.horizon = horizon;
    }

    /** The needs of these features; they are expected to be of one entity, which is not checked. */
    public static WindowNeeds of(Collection<FeatureSpec> specs) {
        int layout = 0;
        long horizon = 0;
        for (FeatureSpec s : specs) {
            horizon = Math.max(horizon, s.horizonMillis());
            boolean beyondExact = !s.exact();
            Aggregate a = s.aggregate();
            if (a == Aggregate.DISTINCT) {
                int bit = 1 << s.valueField().ordinal();
                layout |= bit;
                if (beyondExact) {
                    layout |= bit << LONG_DISTINCT_SHIFT;
                }
            } else if (a.readsFeedback()) {
                layout |= FEEDBACK | (beyondExact ? FEEDBACK_COLUMNS : 0);
            } else if ((a == Aggregate.MAX || a == Aggregate.MIN) && beyondExact) {
                layout |= EXTREMES_COLUMNS;
            } else if (a == Aggregate.STDDEV && beyondExact) {
                layout |= SPREAD_COLUMNS;
            }
        }
        return new WindowNeeds(layout, horizon);
    }

    /** How long the entity's events must be kept: the longest horizon; 0 when there are no features. */
    public long horizon() {
        return horizon;
    }

    /** Whether refunds, reversals and chargebacks must reach the window. */
    public boolean readsFeedback() {
        return (layout & FEEDBACK) != 0;
    }

    /** The fields whose distinct values some feature counts. */
    public Set<ValueField> distinctFields() {
        EnumSet<ValueField> s = EnumSet.noneOf(ValueField.class);
        for (ValueField f : ValueField.values()) {
            if ((layout & (1 << f.ordinal())) != 0) {
                s.add(f);
            }
        }
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WindowNeeds n && n.layout == layout && n.horizon == horizon;
    }

    @Override
    public int hashCode() {
        return Integer.hashCode(layout) * 31 + Long.hashCode(horizon);
    }

    @Override
    public String toString() {
        return "WindowNeeds{distinct=" + distinctFields() + ", feedback=" + readsFeedback() + ", horizon=" + horizon
                + "ms}";
    }
}
