package io.veto.scoring;

import io.veto.decision.Decision;
import io.veto.decision.Reason;
import io.veto.event.PaymentEvent;
import io.veto.rule.CompiledRuleSet;
import io.veto.rule.Example;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the examples of a rule set in process, through {@link GateDecider}: the job's rule-set gate
 * ({@code RuleSetGuard}) runs a published set's examples this way before it applies the set, and
 * {@code rules publish} the same way before it sends one, so that it never sends a set the job
 * would refuse. ({@code rules test} runs them through the job's graph instead.) Each example
 * starts with fresh windows (card and every entity the rules read) and sequences; its events are
 * taken in the order written, with a watermark bound as wide as their own disorder, so none is
 * late.
 */
public final class ExampleRunner {

    /** One example's outcome: the decision on its last payment and what it got wrong (nothing when it passed). */
    public record Result(Example example, Decision decision, List<String> mismatches) {
        public boolean passed() {
            return mismatches.isEmpty();
        }
    }

    private ExampleRunner() {}

    public static List<Result> run(CompiledRuleSet rules) {
        List<Result> results = new ArrayList<>(rules.examples().size());
        for (Example ex : rules.examples()) {
            List<Decision> decisions = decide(rules, ex);
            Decision last = decisions.isEmpty() ? null : decisions.get(decisions.size() - 1);
            results.add(new Result(ex, last, ex.expect().mismatches(last)));
        }
        return results;
    }

    /** The decisions on the example's payments, in the order written, from fresh windows and sequences. */
    public static List<Decision> decide(CompiledRuleSet rules, Example ex) {
        List<PaymentEvent> events = ex.events();
        try (GateDecider decider = new GateDecider(rules, GateDecider.disorder(events))) {
            return decider.decideAll(events);
        }
    }

    /** {@code card-velocity-10m +50: detail} or {@code list:blocked-bins [DENY]: detail}. */
    public static String format(Reason r) {
        String weight = r.outcome() == null
                ? "+" + r.points()
                : (r.points() != 0 ? "+" + r.points() + " " : "") + "[" + r.outcome() + "]";
        return r.ruleId() + " " + weight + ": " + r.detail();
    }

    /** The decision, score and reasons, indented, as {@code rules test} shows them. */
    public static List<String> describe(Decision d) {
        List<String> lines = new ArrayList<>();
        lines.add("decision: " + d.decision() + ", score " + d.score());
        if (d.reasons().length == 0) {
            lines.add("reasons:  none");
        }
        for (int i = 0; i < d.reasons().length; i++) {
            lines.add((i == 0 ? "reasons:  " : "          ") + format(d.reasons()[i]));
        }
        if (d.shadow() == null) {
            lines.add("shadow:   none");
        } else {
            lines.add("shadow:   " + d.shadow().decision() + ", score "
                    + d.shadow().score());
            for (Reason r : d.shadow().reasons()) {
                lines.add("          " + format(r));
            }
        }
        return lines;
    }
}
