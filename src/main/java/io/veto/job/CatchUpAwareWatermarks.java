package io.veto.job;

import io.veto.event.CatchUp;
import java.util.function.LongSupplier;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.util.clock.RelativeClock;

/**
 * Per-partition watermarks of the payments source: bounded out-of-orderness, and a partition quiet
 * for {@code idleness} stops holding the others back — as Flink's own {@code withIdleness}, on the
 * source's input-activity clock (which stands still while the source is backpressured), except
 * that while the partition's newest event is history (a catch-up or replay, see {@link CatchUp})
 * it must be quiet for the catch-up wait: a partition whose reader is starved for two seconds
 * in a catch-up is not done, and counting it idle would make its next events late.
 *
 * <p>A partition that has had no event yet is judged by the newest event its source subtask has
 * read from any partition ({@link Strategy} shares it): while the subtask catches up on history, a
 * partition whose first fetch is slow to come is not counted idle after {@code idleness} (its
 * events would all be late); when the subtask has read nothing at all, or live events only, an
 * empty partition is idle after {@code idleness}, so that it does not hold the watermark back.
 * Records with {@link Long#MIN_VALUE} as their timestamp (rejected ones, bound for the DLQ) show
 * the partition is active but never move its watermark.
 */
final class CatchUpAwareWatermarks<T> implements WatermarkGenerator<T> {
    /** The source's watermark strategy: one generator per partition, sharing the subtask's newest event time. */
    static final class Strategy<T> implements org.apache.flink.api.common.eventtime.WatermarkStrategy<T> {
        private static final long serialVersionUID = 1L;
        private final long outOfOrderness;
        private final long idleness;
        private final CatchUp catchUp;
        /** The newest event time this source subtask has read; one per subtask, as each deserializes its own strategy. */
        private transient long[] newest;

        Strategy(java.time.Duration outOfOrderness, java.time.Duration idleness, CatchUp catchUp) {
            this.outOfOrderness = outOfOrderness.toMillis();
            this.idleness = idleness.toMillis();
            this.catchUp = catchUp;
        }

        @Override
        public WatermarkGenerator<T> createWatermarkGenerator(org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier.Context ctx) {
            if (newest == null) {
                newest = new long[] {Long.MIN_VALUE};
            }
            return new CatchUpAwareWatermarks<>(outOfOrderness, idleness, catchUp, ctx.getInputActivityClock(), System::currentTimeMillis, newest);
        }
    }

    private final long outOfOrderness;
    private final long idleness;
    private final CatchUp catchUp;
    private final RelativeClock activity;
    private final LongSupplier wallClock;
    /** Shared by the generators of one source subtask: the newest event time it has read. */
    private final long[] subtaskNewest;

    private long maxTimestamp = Long.MIN_VALUE;
    private long lastActivity;
    private boolean idle;

    CatchUpAwareWatermarks(long outOfOrderness, long idleness, CatchUp catchUp, RelativeClock activity, LongSupplier wallClock, long[] subtaskNewest) {
        this.subtaskNewest = subtaskNewest;
        this.outOfOrderness = outOfOrderness;
        this.idleness = idleness;
        this.catchUp = catchUp;
        this.activity = activity;
        this.wallClock = wallClock;
        this.lastActivity = activity.relativeTimeMillis();
    }

    @Override
    public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {
        lastActivity = activity.relativeTimeMillis();
        if (eventTimestamp != Long.MIN_VALUE && eventTimestamp > maxTimestamp) {
            maxTimestamp = eventTimestamp;
            if (eventTimestamp > subtaskNewest[0]) {
                subtaskNewest[0] = eventTimestamp;
            }
        }
        if (idle) {
            idle = false;
            output.markActive();
        }
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
        long quiet = activity.relativeTimeMillis() - lastActivity;
        long judged = maxTimestamp != Long.MIN_VALUE ? maxTimestamp : subtaskNewest[0];
        long limit = judged == Long.MIN_VALUE ? idleness : catchUp.wait(idleness, judged, wallClock.getAsLong());
        if (quiet >= limit) {
            if (!idle) {
                idle = true;
                output.markIdle();
            }
            return;
        }
        if (maxTimestamp != Long.MIN_VALUE) {
            output.emitWatermark(new Watermark(maxTimestamp - outOfOrderness - 1));
        }
    }
}
