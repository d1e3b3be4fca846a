package io.veto.cli;

import io.veto.card.CardScorer;
import io.veto.decision.Decision;
import io.veto.decision.Reason;
import io.veto.event.PaymentEvent;
import io.veto.feature.EventWindow;
import io.veto.rule.CompiledRuleSet;
import io.veto.rule.Example;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the examples of a rule set through {@link CardScorer}, the class the Flink operator decides
 * with, so an example passes offline exactly when the job would decide the same way. Each example
 * gets a fresh card window; the watermark stays at {@link Long#MIN_VALUE}, so no payment is late
 * and every payment of the example stays in the window its rules need.
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
        CardScorer scorer = new CardScorer(rules);
        List<Result> results = new ArrayList<>(rules.examples().size());
        for (Example ex : rules.examples()) {
            EventWindow window = new EventWindow();
            Decision last = null;
            for (PaymentEvent p : ex.events()) {
                // decidedAt is the event time so that a result never depends on the wall clock.
                last = scorer.decide(window, p, Long.MIN_VALUE, p.eventTime());
            }
            results.add(new Result(ex, last, ex.expect().mismatches(last)));
        }
        return results;
    }

    /** {@code card-velocity-10m +50: detail} or {@code list:blocked-bins [DENY]: detail}. */
    public static String format(Reason r) {
        String weight = r.outcome() == null ? "+" + r.points() : (r.points() != 0 ? "+" + r.points() + " " : "") + "[" + r.outcome() + "]";
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
            lines.add("shadow:   " + d.shadow().decision() + ", score " + d.shadow().score());
            for (Reason r : d.shadow().reasons()) {
                lines.add("          " + format(r));
            }
        }
        return lines;
    }
}
