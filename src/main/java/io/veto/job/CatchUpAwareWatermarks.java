package io.veto.job;

import io.veto.event.CatchUp;
import io.veto.time.Times;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.util.clock.RelativeClock;

/**
 * Per-partition watermarks of the payments source: bounded out-of-orderness while events flow, and
 * for a partition that goes quiet, one of three things, by what it last read:
 *
 * <ul>
 *   <li><b>Live events, read as they come</b> (its newest event within
 *       {@link CatchUp#LIVE_LAG_MILLIS} of the wall clock when read, and within {@code idleness},
 *       or {@code clockAfter} if longer, of its event time): once it, and every other partition of
 *       its source subtask, has read nothing for {@code clockAfter}, its watermark follows the wall
 *       clock, {@code clockAfter} behind it, less the delay its newest event was read with, less the
 *       out-of-orderness bound. A quiet spell of live traffic thus moves the watermark on instead of
 *       stopping it: the payments before the spell are passed by the watermark, and get exact
 *       features, {@code clockAfter} after it begins, without waiting for the next payment or for
 *       the stages' wall-clock fallback (which answers {@code late}). The assumption is the one
 *       {@code withIdleness} makes, bounded: an event reaches its reader within {@code clockAfter}
 *       more than events did so far. Requiring the whole subtask to be quiet keeps it when the job
 *       falls behind: a reader with a backlog keeps reading, so its partitions do not follow the
 *       clock past events still in the log. A partition quiet while its subtask reads others counts
 *       as idle after {@code idleness}, as with {@code withIdleness}; one that has read nothing yet
 *       gets that long from its subtask's first record, for its first fetch.
 *   <li><b>History, or a reader that lags</b> (a catch-up or replay, see {@link CatchUp}; or a cold
 *       start, a stalled producer or broker, where the newest event came later than that): it counts
 *       as idle, as with Flink's own {@code withIdleness}, but only after the catch-up wait: a
 *       partition whose reader is starved or behind for two seconds is not done, and counting it
 *       idle would make its next events late.
 *   <li><b>Nothing yet</b>: it is judged by the newest event its source subtask has read from any
 *       partition ({@link Strategy} shares it): behind live events read as they come, it follows the
 *       clock as above; behind history or a lagging reader, it waits the catch-up wait (its first fetch may be slow to come); when the
 *       subtask has read nothing at all, it is idle after {@code idleness}.
 * </ul>
 *
 * <p>Quiet is measured on the source's input-activity clock, which stands still while the source is
 * backpressured: a reader held back by the job is not quiet. Records with {@link Long#MIN_VALUE}
 * as their timestamp (rejected ones, bound for the DLQ) show the partition is active but never
 * move its watermark.
 */
final class CatchUpAwareWatermarks<T> implements WatermarkGenerator<T> {
    /** The source's watermark strategy: one generator per partition, sharing the subtask's newest event. */
    static final class Strategy<T> implements WatermarkStrategy<T> {
        private static final long serialVersionUID = 1L;
        private final long outOfOrderness;
        private final long idleness;
        private final long clockAfter;
        private final CatchUp catchUp;
        /** The newest event this source subtask has read; one per subtask, as each deserializes its own strategy. */
        private transient Newest newest;

        Strategy(Duration outOfOrderness, Duration idleness, Duration clockAfter, CatchUp catchUp) {
            this.outOfOrderness = outOfOrderness.toMillis();
            this.idleness = idleness.toMillis();
            this.clockAfter = clockAfter.toMillis();
            this.catchUp = catchUp;
        }

        @Override
        public WatermarkGenerator<T> createWatermarkGenerator(WatermarkGeneratorSupplier.Context ctx) {
            if (newest == null) {
                newest = new Newest();
            }
            return new CatchUpAwareWatermarks<>(
                    outOfOrderness,
                    idleness,
                    clockAfter,
                    catchUp,
                    ctx.getInputActivityClock(),
                    System::currentTimeMillis,
                    newest);
        }
    }

    /** The newest event time read, and the wall-clock time it was read at. */
    static final class Newest {
        long eventTime = Long.MIN_VALUE;
        long readAt;
        /** On the input-activity clock, when the last record (of any kind) was read. */
        long lastActivity;
        /** On the input-activity clock, when the first record was read; {@link Long#MIN_VALUE} before. */
        long firstActivity = Long.MIN_VALUE;

        void read(long t, long now) {
            if (t > eventTime) {
                eventTime = t;
                readAt = now;
            }
        }

        boolean live() {
            return eventTime != Long.MIN_VALUE && CatchUp.live(eventTime, readAt);
        }

        /** Whether the newest event was read within {@code maxDelay} of its event time: the reader keeps up. */
        boolean keptUp(long maxDelay) {
            return Times.minusSaturating(readAt, eventTime) <= maxDelay;
        }

        /** The watermark of a quiet partition that follows the clock {@code behind} it, given this delay. */
        long clockWatermark(long now, long behind) {
            long delay = Times.minusSaturating(readAt, eventTime);
            return Times.minusSaturating(Times.minusSaturating(now, behind), delay);
        }
    }

    private final long outOfOrderness;
    private final long idleness;
    private final long clockAfter;
    private final CatchUp catchUp;
    private final RelativeClock activity;
    private final LongSupplier wallClock;
    /** Shared by the generators of one source subtask: the newest event it has read. */
    private final Newest subtaskNewest;

    private final Newest newest = new Newest();

    private long lastActivity;
    private boolean idle;

    CatchUpAwareWatermarks(
            long outOfOrderness,
            long idleness,
            long clockAfter,
            CatchUp catchUp,
            RelativeClock activity,
            LongSupplier wallClock,
            Newest subtaskNewest) {
        this.subtaskNewest = subtaskNewest;
        this.outOfOrderness = outOfOrderness;
        this.idleness = idleness;
        this.clockAfter = clockAfter;
        this.catchUp = catchUp;
        this.activity = activity;
        this.wallClock = wallClock;
        this.lastActivity = activity.relativeTimeMillis();
    }

    @Override
    public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {
        lastActivity = activity.relativeTimeMillis();
        subtaskNewest.lastActivity = lastActivity;
        if (subtaskNewest.firstActivity == Long.MIN_VALUE) {
            subtaskNewest.firstActivity = lastActivity;
        }
        if (eventTimestamp != Long.MIN_VALUE && eventTimestamp > newest.eventTime) {
            long now = wallClock.getAsLong();
            newest.read(eventTimestamp, now);
            subtaskNewest.read(eventTimestamp, now);
        }
        if (idle) {
            idle = false;
            output.markActive();
        }
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
        long at = activity.relativeTimeMillis();
        // A partition that has read nothing yet is given the time since its subtask's first record
        // for its first fetch, not the time since the job started.
        long quiet = at
                - (newest.eventTime == Long.MIN_VALUE
                        ? Math.max(lastActivity, subtaskNewest.firstActivity)
                        : lastActivity);
        Newest judged = newest.eventTime != Long.MIN_VALUE ? newest : subtaskNewest;
        long bounded = newest.eventTime == Long.MIN_VALUE
                ? Long.MIN_VALUE
                : Times.minusSaturating(newest.eventTime, outOfOrderness + 1);
        if (judged.live() && judged.keptUp(Math.max(clockAfter, idleness))) {
            long watermark = bounded;
            long subtaskQuiet = at - Math.max(lastActivity, subtaskNewest.lastActivity);
            if (subtaskQuiet >= clockAfter) {
                watermark = Math.max(
                        watermark, judged.clockWatermark(wallClock.getAsLong(), clockAfter + outOfOrderness + 1));
            } else if (quiet >= idleness) {
                if (!idle) {
                    idle = true;
                    output.markIdle();
                }
                return;
            }
            if (watermark != Long.MIN_VALUE) {
                if (idle) {
                    idle = false;
                    output.markActive();
                }
                output.emitWatermark(new Watermark(watermark));
            }
            return;
        }
        long limit = judged.eventTime == Long.MIN_VALUE ? idleness : Math.max(idleness, catchUp.catchUpMillis());
        if (quiet >= limit) {
            if (!idle) {
                idle = true;
                output.markIdle();
            }
            return;
        }
        if (bounded != Long.MIN_VALUE) {
            output.emitWatermark(new Watermark(bounded));
        }
    }
}
