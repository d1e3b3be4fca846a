package io.veto.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.veto.decision.Decision;
import io.veto.decision.Outcome;
import io.veto.decision.Reason;
import io.veto.decision.ShadowResult;
import org.apache.flink.metrics.HistogramStatistics;
import org.junit.jupiter.api.Test;

class DecisionMetricsTest {
    private static final long T = 1_800_000_000_000L;

    private static Decision decision(
            String id, String version, long eventTime, long decidedAt, ShadowResult shadow, Reason... reasons) {
        return new Decision(
                id,
                "evt-" + id,
                reasons.length == 0 ? Outcome.APPROVE : Outcome.REVIEW,
                10 * reasons.length,
                reasons,
                version,
                shadow,
                eventTime,
                decidedAt,
                false,
                "tok_x",
                "411111",
                "1111",
                new String[] {"card.count_10m"},
                new double[] {1});
    }

    private static Reason reason(String rule) {
        return new Reason(rule, 10, null, "fired", null);
    }

    @Test
    void shouldCountEachRuleThatFiredAndEachShadowRuleSeparately() {
        RecordingMetricGroup group = new RecordingMetricGroup();
        DecisionMetrics.Meter meter = new DecisionMetrics.Meter(group, "default@1");

        meter.record(decision("p1", "default@1", T, T + 5, null, reason("velocity-10m"), reason("list:blocked-bins")));
        meter.record(decision(
                "p2",
                "default@1",
                T,
                T + 5,
                new ShadowResult("REVIEW", 20, new Reason[] {reason("night-ecom-large")}),
                reason("velocity-10m")));
        meter.record(decision("p3", "default@1", T, T + 5, null));

        assertThat(group.count("rule=velocity-10m.hits")).isEqualTo(2);
        assertThat(group.count("rule=list:blocked-bins.hits")).isEqualTo(1);
        assertThat(group.count("rule=night-ecom-large.shadow_hits")).isEqualTo(1);
        assertThat(group.get("rule=night-ecom-large.hits"))
                .as("a shadow rule never counts as a hit")
                .isNull();
    }

    @Test
    void shouldCountARuleThatCouldNotBeEvaluatedAsItsErrorNotAsAHit() {
        RecordingMetricGroup group = new RecordingMetricGroup();
        DecisionMetrics.Meter meter = new DecisionMetrics.Meter(group, "default@1");

        meter.record(decision(
                "p1", "default@1", T, T + 5, null, new Reason("error:ratio", 0, null, "could not be evaluated", null)));
        meter.record(decision(
                "p2",
                "default@1",
                T,
                T + 5,
                null,
                new Reason("error:ratio", 0, null, "could not be evaluated", null),
                reason("velocity-10m")));

        assertThat(group.count("rule=ratio.errors")).isEqualTo(2);
        assertThat(group.count("rule=velocity-10m.hits")).isEqualTo(1);
        assertThat(group.get("rule=error:ratio.hits")).isNull();
        assertThat(group.get("rule=ratio.hits")).isNull();
    }

    @Test
    void shouldKeepDecisionLatencyFromEventTimeAsAHistogram() {
        RecordingMetricGroup group = new RecordingMetricGroup();
        DecisionMetrics.Meter meter = new DecisionMetrics.Meter(group, "default@1");
        for (int i = 1; i <= 100; i++) {
            meter.record(decision("p" + i, "default@1", T, T + i, null));
        }
        // A payment from before its decision's clock (clock skew upstream) counts as 0, never negative.
        meter.record(decision("skewed", "default@1", T + 1_000, T, null));

        HistogramStatistics stats = group.histogram("decision_latency_ms").getStatistics();
        assertThat(group.histogram("decision_latency_ms").getCount()).isEqualTo(101);
        assertThat(stats.getMin()).isZero();
        assertThat(stats.getMax()).isEqualTo(100);
        assertThat(stats.getQuantile(0.5)).isBetween(49.0, 52.0);
    }

    @Test
    void shouldReportTheRuleSetVersionOfTheLatestDecision() {
        RecordingMetricGroup group = new RecordingMetricGroup();
        DecisionMetrics.Meter meter = new DecisionMetrics.Meter(group, "default@1");
        assertThat(meter.ruleSetVersion()).isEqualTo("default@1");
        assertThat(group.gauge("rule_set=default@1.active")).isEqualTo(1);

        meter.record(decision("p1", "default@2", T, T + 1, null));

        assertThat(meter.ruleSetVersion()).isEqualTo("default@2");
        assertThat(group.gauge("rule_set=default@2.active")).isEqualTo(1);
        assertThat(group.gauge("rule_set=default@1.active")).isEqualTo(0);
    }
}
