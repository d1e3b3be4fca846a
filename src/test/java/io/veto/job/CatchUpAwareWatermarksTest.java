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
    private static final long CLOCK_AFTER = 500;

    private final ManualClock activity = new ManualClock();
    private final Output out = new Output();
    private final CatchUpAwareWatermarks.Newest subtaskNewest = new CatchUpAwareWatermarks.Newest();
    /** The wall clock; {@link #pass} moves it together with the activity clock. */
    private long wall = NOW;

    private CatchUpAwareWatermarks<String> generator;

    @BeforeEach
    void setUp() {
        generator = partition();
    }

    private CatchUpAwareWatermarks<String> partition() {
        return new CatchUpAwareWatermarks<>(
                10,
                IDLENESS,
                CLOCK_AFTER,
                CatchUp.of(Duration.ofMillis(CATCH_UP)),
                activity,
                () -> wall,
                subtaskNewest);
    }

    /** Time passes, the source not backpressured. */
    private void pass(long millis) {
        activity.advanceTime(Duration.ofMillis(millis));
        wall += millis;
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
    void shouldLetTheWatermarkOfAQuietLivePartitionFollowTheWallClockInsteadOfGoingIdle() {
        generator.onEvent("e", NOW - 100, out); // read 100 ms after its event time
        pass(CLOCK_AFTER - 1);
        generator.onPeriodicEmit(out);
        assertThat(out.watermarks).as("events may still be on their way").containsExactly(NOW - 111);

        pass(1 + 1_000);
        generator.onPeriodicEmit(out);
        // The clock, less the grace, less the 100 ms delay, less the bound and one.
        assertThat(out.watermarks).last().isEqualTo(wall - CLOCK_AFTER - 100 - 11);
        assertThat(out.watermarks.get(out.watermarks.size() - 1))
                .as("past the last event: the payments before the spell are released")
                .isGreaterThan(NOW - 100);

        pass(IDLENESS * 10);
        generator.onPeriodicEmit(out);
        assertThat(out.idle)
                .as("a quiet live partition never drops out of the watermark")
                .isFalse();
        assertThat(out.watermarks).last().isEqualTo(wall - CLOCK_AFTER - 111);
    }

    @Test
    void shouldNotFollowTheClockWhileOtherPartitionsOfTheSubtaskAreRead() {
        CatchUpAwareWatermarks<String> other = partition();
        generator.onEvent("e", NOW - 100, out);
        for (int i = 0; i < 6; i++) {
            // The reader has a backlog (the job fell behind): it keeps reading, this partition's
            // next events may be in the same log, not yet fetched.
            pass(CLOCK_AFTER / 2);
            other.onEvent("e", NOW - 100 + i, new Output());
        }
        generator.onPeriodicEmit(out);
        assertThat(out.watermarks).containsExactly(NOW - 111);

        pass(IDLENESS);
        other.onEvent("e", NOW + 1_000, new Output());
        generator.onPeriodicEmit(out);
        assertThat(out.idle)
                .as("quiet for the idleness while the others are read: idle, as before")
                .isTrue();
    }

    @Test
    void shouldTreatALaggingReaderAsACatchUpNeitherFollowingTheClockNorIdleBeforeTheCatchUpWait() {
        generator.onEvent(
                "e", NOW - IDLENESS - 1, out); // read over the idleness after its event time: more may be on its way
        pass(CLOCK_AFTER * 2);
        generator.onPeriodicEmit(out);
        assertThat(out.watermarks).containsExactly(NOW - IDLENESS - 12);

        pass(IDLENESS);
        generator.onPeriodicEmit(out);
        assertThat(out.idle)
                .as("a reader seconds behind is not done after the idleness")
                .isFalse();
        assertThat(out.watermarks).last().isEqualTo(NOW - IDLENESS - 12);

        pass(CATCH_UP);
        generator.onPeriodicEmit(out);
        assertThat(out.idle).isTrue();
    }

    @Test
    void shouldGiveAnEmptyPartitionTheIdlenessFromItsSubtasksFirstRecordForItsFirstFetch() {
        pass(IDLENESS * 10); // the job started a while before the first payment
        CatchUpAwareWatermarks<String> other = partition();
        other.onEvent("e", wall - 100, new Output());
        pass(IDLENESS - 1);
        other.onEvent("e", wall - 100, new Output()); // the subtask reads on: nothing follows the clock
        generator.onPeriodicEmit(out);
        assertThat(out.idle).as("its first fetch may still come").isFalse();

        pass(1);
        generator.onPeriodicEmit(out);
        assertThat(out.idle).isTrue();
    }

    @Test
    void shouldNotFollowTheClockWhileTheSourceIsBackpressured() {
        generator.onEvent("e", NOW - 100, out);
        wall += 10_000; // the activity clock stands still: the reader is held back, not quiet
        generator.onPeriodicEmit(out);

        assertThat(out.watermarks).containsExactly(NOW - 111);
    }

    @Test
    void shouldNotMakeTheNextLiveEventLateAfterAQuietSpell() {
        generator.onEvent("e", NOW - 100, out);
        pass(60_000);
        generator.onPeriodicEmit(out);
        long next = wall - 100; // the next event, read with the same delay as the last
        generator.onEvent("e", next, out);
        generator.onPeriodicEmit(out);

        assertThat(out.watermarks.get(0)).isLessThan(next);
        assertThat(out.watermarks).last().isEqualTo(next - 11);
    }

    @Test
    void shouldLetAnEmptyPartitionOfALiveSubtaskFollowTheClockWithTheSubtasksDelay() {
        CatchUpAwareWatermarks<String> other = partition();
        other.onEvent("e", NOW - 40, new Output());
        pass(CLOCK_AFTER - 1);
        generator.onPeriodicEmit(out);
        assertThat(out.watermarks).as("its first records may be on their way").isEmpty();
        assertThat(out.idle).isFalse();

        pass(1);
        generator.onPeriodicEmit(out);
        assertThat(out.watermarks).containsExactly(wall - CLOCK_AFTER - 40 - 11);
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
        generator.onEvent("e", NOW - Duration.ofDays(1).toMillis(), out);
        activity.advanceTime(Duration.ofMillis(CATCH_UP));
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
        pass(CLOCK_AFTER - 1);
        generator.onEvent("rejected", Long.MIN_VALUE, out);
        pass(CLOCK_AFTER - 1);
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
