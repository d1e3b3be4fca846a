package io.veto.event;

import java.io.Serializable;
import java.time.Duration;

/**
 * Tells live traffic from a catch-up or a replay, for the two places where event time gives way
 * to the wall clock: a source partition counted as idle, and a stage that answers before the
 * watermark in a quiet spell. Both are there so that a customer who waits is not kept waiting by a
 * quiet partition. Neither helps a catch-up — nobody waits for a payment that is minutes old — and
 * both hurt it: a catch-up's watermark stalls for a second at every checkpoint alignment or
 * backpressured spell, and a partition starved for a moment looks quiet, so its events would arrive
 * behind the watermark and the stalled stages would answer before it, inexactly (the benchmark's
 * catch-up decided 14-80% of its payments {@code late} that way). So, when the newest event time
 * seen is more than {@link #LIVE_LAG_MILLIS} behind the wall clock (or none was seen yet), those
 * waits are {@code catchUp} instead of their live value.
 */
public record CatchUp(long catchUpMillis) implements Serializable {
    /** Events this much older than the wall clock are history being caught up on, not a payment a customer waits for. */
    public static final long LIVE_LAG_MILLIS = 10_000;
    /** The default {@code --catch-up-wait}. */
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(30);

    public static CatchUp of(Duration wait) {
        return new CatchUp(wait.toMillis());
    }

    /** Whether event time {@code eventTime} (Long.MIN_VALUE: none yet) is live at wall-clock time {@code now}. */
    public static boolean live(long eventTime, long now) {
        return eventTime != Long.MIN_VALUE && eventTime >= now - LIVE_LAG_MILLIS;
    }

    /** {@code liveMillis} when {@code eventTime} is live at {@code now}, else the catch-up wait (never shorter). */
    public long wait(long liveMillis, long eventTime, long now) {
        return live(eventTime, now) ? liveMillis : Math.max(liveMillis, catchUpMillis);
    }
}
