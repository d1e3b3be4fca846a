package io.veto.time;

/**
 * Event-time arithmetic that cannot wrap. Adding a horizon, a timeout or a {@code within} to a time
 * near the end of the {@code long} range would otherwise wrap into the far past and leave a timer
 * that is due at once and re-arms itself forever; these clamp to {@link Long#MIN_VALUE} and
 * {@link Long#MAX_VALUE} instead. Event times are bounded when parsed, so this is the second line.
 */
public final class Times {
    private Times() {}

    /** {@code t + d}, clamped to the range of {@code long}. */
    public static long plusSaturating(long t, long d) {
        long r = t + d;
        // Overflow iff both operands have the sign the result does not have.
        if (((t ^ r) & (d ^ r)) < 0) {
            return d > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
        }
        return r;
    }

    /** {@code t - d}, clamped to the range of {@code long}. */
    public static long minusSaturating(long t, long d) {
        long r = t - d;
        if (((t ^ d) & (t ^ r)) < 0) {
            return d > 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return r;
    }

    /**
     * The first multiple of {@code granularity} strictly after {@code t} (timers are coalesced on
     * such a grid), or {@link Long#MAX_VALUE} when there is none in range.
     */
    public static long nextMultipleAfter(long t, long granularity) {
        long next = Math.floorDiv(t, granularity) + 1;
        return next > Long.MAX_VALUE / granularity ? Long.MAX_VALUE : next * granularity;
    }
}
