package io.veto.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.veto.event.CatchUp;
import io.veto.stage.RuleSetUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.junit.jupiter.api.Test;

class VetoPipelineTest {
    /** Records what a watermark generator does. */
    private static final class Recording implements WatermarkOutput {
        final List<Long> watermarks = new ArrayList<>();
        int idle;

        @Override
        public void emitWatermark(Watermark watermark) {
            watermarks.add(watermark.getTimestamp());
        }

        @Override
        public void markIdle() {
            idle++;
        }

        @Override
        public void markActive() {}
    }

    @Test
    void shouldKeepTheRulesInputIdleSoThatQuietPaymentsNeverMoveEventTime() {
        // An "end of time" watermark from the rules input would, once payments go quiet and their
        // input turns idle, fire every cleanup timer and wipe every window.
        var generator = new VetoPipeline.NeverHoldsBack();
        Recording out = new Recording();
        generator.onEvent(new RuleSetUpdate(new byte[0], "rules/0/0"), Long.MAX_VALUE, out);
        generator.onPeriodicEmit(out);
        generator.onPeriodicEmit(out);

        assertThat(out.watermarks).isEmpty();
        assertThat(out.idle).isEqualTo(2);
    }

    @Test
    void shouldAlignThePaymentPartitionsWatermarksWithinTheDriftUnlessTurnedOff() {
        JobOptions o = new JobOptions();
        assertThat(o.maxWatermarkDrift)
                .as("off until the connector has FLINK-39728")
                .isZero();
        o.maxWatermarkDrift = Duration.ofMinutes(1);
        var aligned =
                VetoPipeline.paymentWatermarks(o, CatchUp.of(o.catchUpWait)).getAlignmentParameters();
        assertThat(aligned.isEnabled()).isTrue();
        assertThat(aligned.getWatermarkGroup()).isEqualTo(VetoPipeline.ALIGNMENT_GROUP);
        assertThat(aligned.getMaxAllowedWatermarkDrift()).isEqualTo(o.maxWatermarkDrift.toMillis());

        o.maxWatermarkDrift = Duration.ZERO;
        assertThat(VetoPipeline.paymentWatermarks(o, CatchUp.of(o.catchUpWait))
                        .getAlignmentParameters()
                        .isEnabled())
                .isFalse();
    }
}
