package io.veto.event;

/**
 * When a stage that waits for the watermark lets a waiting element go: the one rule of every
 * such stage (the entity features, the customer sequences), kept apart from how each stores what
 * waits.
 *
 * <ul>
 *   <li>An element is released when the watermark passes its event time: exact, whatever order the
 *       elements arrived in.
 *   <li>An element already behind the watermark is <em>late</em>: handled at once, with what has
 *       arrived.
 *   <li>The watermark only moves while events flow. Once it has not moved for {@code maxWait} of
 *       wall clock (a quiet spell), an element that has waited that long is released before it.
 *       While the watermark moves, however slowly, nothing is released before it. A (re)start
 *       counts as movement, so restored elements are not released before the replay has had a
 *       chance to move the watermark.
 *   <li>{@code maxWait} is for live traffic; while the watermark (before any, the element's event
 *       time) is history, it is the catch-up wait ({@link CatchUp}).
 * </ul>
 *
 * <p>Plain Java, no Flink: the stage feeds it the watermark and the wall clock, and asks it. One
 * per operator instance, not checkpointed (a restore starts it afresh).
 */
public final class EventTimeGate {
    /** Wall-clock checks are rounded up to this, so that one check serves many waiting elements. */
    public static final long CHECK_GRANULARITY_MILLIS = 100L;

    private final long maxWaitMillis;
    private final CatchUp catchUp;
    private long watermark = Long.MIN_VALUE;
    /** Wall-clock time the watermark last moved (or the gate started); MIN_VALUE before either. */
    private long movedAt = Long.MIN_VALUE;

    /**
     * @param maxWaitMillis in a quiet spell of live traffic, how long an element may wait for the watermark
     * @param catchUp how long that is while the watermark is history (a catch-up or replay)
     */
    public EventTimeGate(long maxWaitMillis, CatchUp catchUp) {
        this.maxWaitMillis = maxWaitMillis;
        this.catchUp = catchUp;
    }

    /** The (re)start at wall-clock time {@code now}, which counts as movement; only the first call counts. */
    public void start(long now) {
        if (movedAt == Long.MIN_VALUE) {
            movedAt = now;
        }
    }

    /**
     * Notes the watermark {@code w} seen at wall-clock time {@code now} (starting the gate if it has
     * not started); returns whether it moved.
     */
    public boolean advance(long w, long now) {
        start(now);
        if (w > watermark) {
            watermark = w;
            movedAt = now;
            return true;
        }
        return false;
    }

    /** The highest watermark seen; {@link Long#MIN_VALUE} before any. */
    public long watermark() {
        return watermark;
    }

    /** Whether an element of {@code eventTime} is late: the watermark has passed it already. */
    public boolean isLate(long eventTime) {
        return eventTime <= watermark;
    }

    /**
     * How long an element may wait for the watermark now: {@code maxWait}, or the catch-up wait
     * while the watermark is history; before any watermark, judged by the element's {@code eventTime}.
     */
    public long maxWait(long now, long eventTime) {
        return catchUp.wait(maxWaitMillis, watermark != Long.MIN_VALUE ? watermark : eventTime, now);
    }

    /** From when on a watermark that does not move counts as a quiet spell, for a wait of {@code maxWait}. */
    public long quietFrom(long maxWait) {
        return movedAt == Long.MIN_VALUE ? Long.MIN_VALUE : movedAt + maxWait;
    }

    /**
     * The earliest wall-clock time an element that arrived at {@code arrivedAt} may be released
     * before the watermark: once it has waited {@code maxWait}, and the watermark has not moved for
     * as long. Before that time has come, a moving watermark may push it further.
     */
    public long releaseAt(long arrivedAt, long maxWait) {
        return Math.max(arrivedAt + maxWait, quietFrom(maxWait));
    }

    /** When to check for a release due at {@code deadline}: rounded up to {@link #CHECK_GRANULARITY_MILLIS}. */
    public static long checkAt(long deadline) {
        return (deadline / CHECK_GRANULARITY_MILLIS + 1) * CHECK_GRANULARITY_MILLIS;
    }
}
