package io.veto.backtest;

import io.veto.decision.Decision;
import io.veto.event.PaymentEvent;
import io.veto.rule.CompiledRuleSet;
import io.veto.rule.Example;
import io.veto.rule.RuleSet;
import io.veto.scoring.ExampleRunner;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a rule set's examples through the job's own graph ({@link GraphDecider}): all of them in one
 * bounded run on one local MiniCluster, each in its own stretch of event time ({@link
 * ExampleEpochs}), so each starts with fresh windows and sequences as if it ran alone. (Examples
 * that no move can set apart without changing their decisions — ones that span a time at which a
 * rule starts or stops applying, and overlap — take one more job each, on the same cluster.) Payment ids are made unique per example for the
 * run and the decisions mapped back to the examples by them, with the example's own payment id
 * and event time restored: what {@code rules test} shows is what the job decides.
 */
public final class GraphExamples {
    private GraphExamples() {}

    /** Each example's outcome: the decision on its last payment, checked against its expectation. */
    public static List<ExampleRunner.Result> run(RuleSet ruleSet, CompiledRuleSet compiled) throws Exception {
        try (LocalCluster cluster = new LocalCluster(1)) {
            return run(cluster, ruleSet, compiled);
        }
    }

    /** As {@link #run(RuleSet, CompiledRuleSet)}, on a cluster already started (one slot is enough). */
    public static List<ExampleRunner.Result> run(LocalCluster cluster, RuleSet ruleSet, CompiledRuleSet compiled)
            throws Exception {
        List<Example> examples = compiled.examples();
        List<List<Decision>> decided = decide(cluster, ruleSet, compiled);
        List<ExampleRunner.Result> results = new ArrayList<>(examples.size());
        for (int i = 0; i < examples.size(); i++) {
            List<Decision> d = decided.get(i);
            Decision last = d.isEmpty() ? null : d.get(d.size() - 1);
            results.add(new ExampleRunner.Result(
                    examples.get(i), last, examples.get(i).expect().mismatches(last)));
        }
        return results;
    }

    /**
     * The decisions on each example's payments, in the order written (one list per example of
     * {@code compiled.examples()}), as the job made them.
     *
     * @param ruleSet the set's text, which the job compiles; {@code compiled} is the same set compiled
     */
    public static List<List<Decision>> decide(RuleSet ruleSet, CompiledRuleSet compiled) throws Exception {
        try (LocalCluster cluster = new LocalCluster(1)) {
            return decide(cluster, ruleSet, compiled);
        }
    }

    /** As {@link #decide(RuleSet, CompiledRuleSet)}, on a cluster already started (one slot is enough). */
    public static List<List<Decision>> decide(LocalCluster cluster, RuleSet ruleSet, CompiledRuleSet compiled)
            throws Exception {
        List<Example> examples = compiled.examples();
        List<List<PaymentEvent>> events = new ArrayList<>(examples.size());
        List<ExampleEpochs.Span> spans = new ArrayList<>(examples.size());
        for (Example ex : examples) {
            List<PaymentEvent> e = ex.events();
            events.add(e);
            long first = e.stream().mapToLong(PaymentEvent::eventTime).min().orElse(ex.start());
            long last = e.stream().mapToLong(PaymentEvent::eventTime).max().orElse(ex.start());
            spans.add(new ExampleEpochs.Span(first, last));
        }
        List<ExampleEpochs.Placement> placements =
                ExampleEpochs.place(spans, compiled.longestHorizon(), compiled.validityChanges());
        int rounds = placements.stream().mapToInt(p -> p.round() + 1).max().orElse(0);

        Map<String, Decision> byId = new HashMap<>();
        for (int round = 0; round < rounds; round++) {
            byId.putAll(GraphDecider.decide(cluster, ruleSet, round(round, events, spans, placements), 1));
        }

        List<List<Decision>> out = new ArrayList<>(examples.size());
        for (int i = 0; i < examples.size(); i++) {
            List<Decision> decisions = new ArrayList<>();
            for (PaymentEvent e : events.get(i)) {
                if (e.needsDecision() && e.cardToken() != null) {
                    Decision d = byId.get(runId(i, e.paymentId()));
                    decisions.add(restored(d, e));
                }
            }
            out.add(decisions);
        }
        return out;
    }

    /** The events of one run: its examples one after the other in event time, each moved, each as written. */
    private static List<PaymentEvent> round(
            int round,
            List<List<PaymentEvent>> events,
            List<ExampleEpochs.Span> spans,
            List<ExampleEpochs.Placement> placements) {
        List<Integer> in = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            if (placements.get(i).round() == round) {
                in.add(i);
            }
        }
        in.sort(Comparator.comparingLong(
                i -> spans.get(i).first() + placements.get(i).shift()));
        List<PaymentEvent> run = new ArrayList<>();
        for (int i : in) {
            for (PaymentEvent e : events.get(i)) {
                run.add(moved(e, runId(i, e.paymentId()), placements.get(i).shift()));
            }
        }
        return run;
    }

    /** The id of example {@code i}'s payment in the run: examples number their payments alike. */
    private static String runId(int example, String paymentId) {
        return paymentId == null ? null : "x" + example + "/" + paymentId;
    }

    private static PaymentEvent moved(PaymentEvent e, String paymentId, long shift) {
        return new PaymentEvent(
                e.eventId(),
                e.type(),
                paymentId,
                e.eventTime() + shift,
                e.cardToken(),
                e.bin(),
                e.last4(),
                e.customerId(),
                e.merchantId(),
                e.mcc(),
                e.terminalId(),
                e.amount(),
                e.currency(),
                e.country(),
                e.ip(),
                e.deviceId(),
                e.channel(),
                e.lat(),
                e.lon(),
                e.source());
    }

    /** The job's decision with the example's own payment id and event time. */
    private static Decision restored(Decision d, PaymentEvent original) {
        return new Decision(
                original.paymentId(),
                d.eventId(),
                d.decision(),
                d.score(),
                d.reasons(),
                d.ruleSetVersion(),
                d.shadow(),
                original.eventTime(),
                d.decidedAt(),
                d.late(),
                d.cardToken(),
                d.cardBin(),
                d.cardLast4(),
                d.featureNames(),
                d.featureValues());
    }
}
