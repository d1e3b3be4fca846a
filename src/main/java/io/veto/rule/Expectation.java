package io.veto.rule;

import io.veto.decision.Decision;
import io.veto.decision.Outcome;
import io.veto.decision.Reason;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What an {@link Example} expects of the decision on its last payment.
 *
 * @param decision the expected decision
 * @param fires rules ({@code card-velocity-10m}) and lists ({@code list:blocked-bins}) that must be
 *     among the reasons, enforced or shadow
 * @param doesNotFire rules and lists that must not be among them
 * @param score the expected score, or null when any score will do
 * @param shadow {@code NONE} (no shadow rule fired), {@code APPROVE}/{@code REVIEW}/{@code DENY}
 *     (what the shadow decision must be), or null when it does not matter
 */
public record Expectation(
        Outcome decision, List<String> fires, List<String> doesNotFire, Integer score, String shadow) {
    public static final String NO_SHADOW = "NONE";

    public Expectation {
        fires = List.copyOf(fires);
        doesNotFire = List.copyOf(doesNotFire);
    }

    /** What the decision gets wrong, one sentence each; empty when it meets the expectation. */
    public List<String> mismatches(Decision d) {
        List<String> out = new ArrayList<>();
        if (d.decision() != decision) {
            out.add("expected decision " + decision + ", got " + d.decision());
        }
        if (score != null && d.score() != score) {
            out.add("expected score " + score + ", got " + d.score());
        }
        Set<String> fired = fired(d);
        for (String id : fires) {
            if (!fired.contains(id)) {
                out.add("expected " + id + " to fire; it did not");
            }
        }
        for (String id : doesNotFire) {
            if (fired.contains(id)) {
                out.add("expected " + id + " not to fire; it did");
            }
        }
        if (shadow != null) {
            String actual = d.shadow() == null ? NO_SHADOW : d.shadow().decision();
            if (!shadow.equals(actual)) {
                out.add("expected shadow " + shadow + ", got " + actual);
            }
        }
        return out;
    }

    /** Every rule and list among a decision's reasons, enforced and shadow. */
    public static Set<String> fired(Decision d) {
        Set<String> fired = new LinkedHashSet<>();
        for (Reason r : d.reasons()) {
            fired.add(r.ruleId());
        }
        if (d.shadow() != null) {
            for (Reason r : d.shadow().reasons()) {
                fired.add(r.ruleId());
            }
        }
        return fired;
    }
}
