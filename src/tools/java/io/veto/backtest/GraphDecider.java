package io.veto.backtest;

import io.veto.decision.Decision;
import io.veto.event.PaymentEvent;
import io.veto.job.JobOptions;
import io.veto.job.VetoJob;
import io.veto.job.VetoPipeline;
import io.veto.rule.RuleSet;
import io.veto.scoring.GateDecider;
import io.veto.stage.RuleSetUpdate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.CloseableIterator;

/**
 * Decides a list of events with the job itself: the graph {@link VetoPipeline#build} makes, on a
 * local MiniCluster ({@link LocalCluster}), in the backtest's exact mode ({@link Backtest#exactOptions}: a watermark bound
 * as wide as the events' own disorder, no wall-clock fallbacks, heap state, no checkpoints). The
 * events are read from memory ({@link EventListSource}) in the order given, as the job reads one
 * partition, and the decisions are collected back into this JVM. For a rule set's examples
 * ({@code rules test}) and for tests that compare another decider with the job.
 */
public final class GraphDecider {
    private GraphDecider() {}

    /**
     * Every payment's decision, by payment id: exactly one per PAYMENT event with a card (the job
     * decides no other), none late.
     *
     * @param events in the order the job reads them; payment ids must be unique
     * @throws IllegalStateException when the job breaks that (a payment decided twice, or never, or late)
     */
    public static Map<String, Decision> decide(RuleSet rules, List<PaymentEvent> events, int parallelism)
            throws Exception {
        try (LocalCluster cluster = new LocalCluster(parallelism)) {
            return decide(cluster, rules, events, parallelism);
        }
    }

    /** As {@link #decide(RuleSet, List, int)}, on a cluster already started (with enough slots). */
    static Map<String, Decision> decide(LocalCluster cluster, RuleSet rules, List<PaymentEvent> events, int parallelism)
            throws Exception {
        JobOptions o = Backtest.exactOptions(parallelism, GateDecider.disorder(events));
        StreamExecutionEnvironment env = cluster.environment(Backtest.exactConfiguration(o));
        VetoJob.configure(env, o);
        VetoPipeline.Io io = new VetoPipeline.Io(
                new EventListSource(events),
                new EmptySource<>(TypeInformation.of(RuleSetUpdate.class)),
                new DiscardingSink<>(),
                new DiscardingSink<>(),
                new DiscardingSink<>(),
                new DiscardingSink<>());
        DataStream<Decision> decisions = VetoPipeline.build(env, io, rules, o);
        Map<String, Decision> out = new HashMap<>();
        try (CloseableIterator<Decision> it = decisions.executeAndCollect("veto-decide-" + rules.name())) {
            while (it.hasNext()) {
                Decision d = it.next();
                if (out.putIfAbsent(d.paymentId(), d) != null) {
                    throw new IllegalStateException("the job decided payment " + d.paymentId() + " twice");
                }
                if (d.late()) {
                    throw new IllegalStateException("the job decided payment " + d.paymentId() + " late (not exact)");
                }
            }
        }
        for (PaymentEvent e : events) {
            if (e.needsDecision() && e.cardToken() != null && !out.containsKey(e.paymentId())) {
                throw new IllegalStateException("the job did not decide payment " + e.paymentId());
            }
        }
        return out;
    }
}
