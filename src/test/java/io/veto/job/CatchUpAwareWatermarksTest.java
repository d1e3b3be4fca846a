package io.veto.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.veto.event.CatchUp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.util.clock.ManualClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CatchUpAwareWatermarksTest {
    private static final long NOW = 1_800_000_000_000L;
    private static final long IDLENESS = 2_000;
    private static final long CATCH_UP = 30_000;

    private final ManualClock activity = new ManualClock();
    private final Output out = new Output();
    private final long[] subtaskNewest = {Long.MIN_VALUE};
    private CatchUpAwareWatermarks<String> generator;

    @BeforeEach
    void setUp() {
        generator = partition();
    }

    private CatchUpAwareWatermarks<String> partition() {
        return new CatchUpAwareWatermarks<>(10, IDLENESS, CatchUp.of(Duration.ofMillis(CATCH_UP)), activity, () -> NOW, subtaskNewest);
    }

    @Test
    void shouldNotCountAPartitionIdleBeforeItsFirstFetchWhileItsSubtaskCatchesUp() {
        CatchUpAwareWatermarks<String> other = partition();
        other.onEvent("e", NOW - Duration.ofDays(1).toMillis(), new Output());
        activity.advanceTime(Duration.ofMillis(IDLENESS * 3));
        generator.onPeriodicEmit(out);
        assertThat(out.idle).as("its first records are on their way").isFalse();

        activity.advanceTime(Duration.ofMillis(CATCH_UP));
        generator.onPeriodicEmit(out);
        assertThat(out.idle).isTrue();
    }

    @Test
    void shouldEmitTheBoundedWatermarkWhileEventsFlow() {
        generator.onEvent("e", NOW - 100, out);
        generator.onPeriodicEmit(out);

        assertThat(out.watermarks).containsExactly(NOW - 100 - 10 - 1);
        assertThat(out.idle).isFalse();
    }

    @Test
    void shouldCountALivePartitionIdleAfterTheIdleness() {
        generator.onEvent("e", NOW - 100, out);
        activity.advanceTime(Duration.ofMillis(IDLENESS - 1));
        generator.onPeriodicEmit(out);
        assertThat(out.idle).isFalse();

        activity.advanceTime(Duration.ofMillis(1));
        generator.onPeriodicEmit(out);
        assertThat(out.idle).isTrue();
    }

    @Test
    void shouldKeepAPartitionInACatchUpActiveUntilTheCatchUpWait() {
        generator.onEvent("e", NOW - Duration.ofDays(3).toMillis(), out);
        activity.advanceTime(Duration.ofMillis(IDLENESS * 5));
        generator.onPeriodicEmit(out);
        assertThat(out.idle).as("a starved reader in a catch-up is not done").isFalse();
        assertThat(out.watermarks).isNotEmpty();

        activity.advanceTime(Duration.ofMillis(CATCH_UP));
        generator.onPeriodicEmit(out);
        assertThat(out.idle).isTrue();
    }

    @Test
    void shouldCountAPartitionWithoutEventsIdleAfterTheIdlenessAndNeverEmitForIt() {
        activity.advanceTime(Duration.ofMillis(IDLENESS - 1));
        generator.onPeriodicEmit(out);
        assertThat(out.idle).isFalse();
        assertThat(out.watermarks).isEmpty();

        activity.advanceTime(Duration.ofMillis(1));
        generator.onPeriodicEmit(out);
        assertThat(out.idle).isTrue();
    }

    @Test
    void shouldBecomeActiveAgainOnTheNextEvent() {
        generator.onEvent("e", NOW - 100, out);
        activity.advanceTime(Duration.ofMillis(IDLENESS));
        generator.onPeriodicEmit(out);
        assertThat(out.idle).isTrue();

        generator.onEvent("e", NOW, out);
        generator.onPeriodicEmit(out);
        assertThat(out.idle).isFalse();
        assertThat(out.watermarks).endsWith(NOW - 11);
    }

    @Test
    void shouldNotLetRejectedRecordsMoveTheWatermarkButCountThemAsActivity() {
        generator.onEvent("e", NOW - 100, out);
        activity.advanceTime(Duration.ofMillis(IDLENESS - 1));
        generator.onEvent("rejected", Long.MIN_VALUE, out);
        activity.advanceTime(Duration.ofMillis(IDLENESS - 1));
        generator.onPeriodicEmit(out);

        assertThat(out.idle).isFalse();
        assertThat(out.watermarks).containsExactly(NOW - 111);
    }

    private static final class Output implements WatermarkOutput {
        final List<Long> watermarks = new ArrayList<>();
        boolean idle;

        @Override
        public void emitWatermark(Watermark watermark) {
            watermarks.add(watermark.getTimestamp());
            idle = false;
        }

        @Override
        public void markIdle() {
            idle = true;
        }

        @Override
        public void markActive() {
            idle = false;
        }
    }
}
