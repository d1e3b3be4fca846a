package io.veto.metrics;

import io.veto.decision.Decision;
import io.veto.decision.Reason;
import io.veto.rule.CompiledRuleSet;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Passes decisions through unchanged, chained right after the card-decisions operator, and keeps
 * what an operator watches about them (per subtask; Prometheus adds the subtasks up):
 *
 * <ul>
 *   <li>{@code rule.hits} and {@code rule.shadow_hits}, labelled {@code rule}: how often each rule
 *       (or list, {@code list:<id>}) contributed to a decision, or would have as a shadow rule;
 *   <li>{@code rule.errors}, labelled {@code rule}: how often a rule could not be evaluated on a
 *       payment (the decision shows it as a reason {@code error:<ruleId>} of no points);
 *   <li>{@code decision_latency_ms}: a histogram of decision time minus the payment's event time,
 *       over the last {@value #LATENCY_SAMPLES} decisions;
 *   <li>{@code rule_set.active}, labelled {@code rule_set}: 1 for the rule-set version of this
 *       subtask's latest decision, 0 for versions it decided with before (a label, because
 *       Prometheus takes numbers only).
 * </ul>
 *
 * Decisions per outcome are counted where they are made ({@code decisions_approve}, ...).
 * Stateless: it adds nothing to checkpoints and can be added to or removed from a job restored
 * from a savepoint.
 */
public class DecisionMetrics extends ProcessFunction<Decision, Decision> {
    private static final long serialVersionUID = 1L;
    /** Decisions the latency histogram keeps, newest first: about a second at full speed. */
    public static final int LATENCY_SAMPLES = 10_000;

    private final String initialRuleSetVersion;

    private transient Meter meter;

    /** @param initialRuleSetVersion the version the job starts with, reported until the first decision */
    public DecisionMetrics(String initialRuleSetVersion) {
        this.initialRuleSetVersion = initialRuleSetVersion;
    }

    @Override
    public void open(OpenContext openContext) {
        meter = new Meter(getRuntimeContext().getMetricGroup(), initialRuleSetVersion);
    }

    @Override
    public void processElement(Decision d, Context ctx, Collector<Decision> out) {
        out.collect(d);
        meter.record(d);
    }

    /** The metrics themselves, apart from Flink's function life cycle so that tests can read them. */
    public static final class Meter {
        private final MetricGroup group;
        private final Map<String, Counter> hits = new HashMap<>();
        private final Map<String, Counter> shadowHits = new HashMap<>();
        private final Map<String, Counter> errors = new HashMap<>();
        private final Map<String, Boolean> versionsSeen = new HashMap<>();
        private final Histogram latency;
        private volatile String ruleSetVersion;

        public Meter(MetricGroup group, String initialRuleSetVersion) {
            this.group = group;
            this.latency = group.histogram("decision_latency_ms", new DescriptiveStatisticsHistogram(LATENCY_SAMPLES));
            useRuleSet(initialRuleSetVersion);
        }

        public void record(Decision d) {
            for (Reason r : d.reasons()) {
                if (r.ruleId().startsWith(CompiledRuleSet.ERROR_PREFIX)) {
                    counter(errors, "errors", r.ruleId().substring(CompiledRuleSet.ERROR_PREFIX.length()))
                            .inc();
                } else {
                    counter(hits, "hits", r.ruleId()).inc();
                }
            }
            if (d.shadow() != null) {
                for (Reason r : d.shadow().reasons()) {
                    counter(shadowHits, "shadow_hits", r.ruleId()).inc();
                }
            }
            latency.update(Math.max(0, d.decidedAt() - d.eventTime()));
            if (d.ruleSetVersion() != null && !d.ruleSetVersion().equals(ruleSetVersion)) {
                useRuleSet(d.ruleSetVersion());
            }
        }

        private Counter counter(Map<String, Counter> counters, String name, String ruleId) {
            Counter c = counters.get(ruleId);
            if (c == null) {
                c = group.addGroup("rule", ruleId).counter(name);
                counters.put(ruleId, c);
            }
            return c;
        }

        private void useRuleSet(String version) {
            ruleSetVersion = version;
            if (version != null && versionsSeen.putIfAbsent(version, Boolean.TRUE) == null) {
                // One gauge per version ever used: Flink cannot drop a metric, so old ones read 0.
                group.addGroup("rule_set", version)
                        .gauge("active", (Gauge<Integer>) () -> version.equals(ruleSetVersion) ? 1 : 0);
            }
        }

        public String ruleSetVersion() {
            return ruleSetVersion;
        }
    }
}
