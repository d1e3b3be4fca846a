package io.veto.scoring;

import io.veto.decision.Decision;
import io.veto.decision.Reason;
import io.veto.event.PaymentEvent;
import io.veto.rule.CompiledRuleSet;
import io.veto.rule.Example;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the examples of a rule set through {@link OfflineDecider}, which decides with the classes
 * the Flink job decides with, so an example passes offline exactly when the job would decide the
 * same way. Each example starts with fresh windows (card and every entity the rules read); its
 * payments come in order, so none is late and each stays in the windows its rules need.
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
            Decision last = null;
            try (OfflineDecider decider = new OfflineDecider(rules)) {
                for (PaymentEvent p : ex.events()) {
                    Decision d = decider.accept(p);
                    last = d != null ? d : last;
                }
            }
            results.add(new Result(ex, last, ex.expect().mismatches(last)));
        }
        return results;
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
