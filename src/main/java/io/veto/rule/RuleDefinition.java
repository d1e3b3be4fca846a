package io.veto.rule;

import io.veto.decision.Outcome;
import java.util.List;

/**
 * A rule as the analyst wrote it, without its compiled condition: what {@code rules diff} compares
 * and what tools show.
 *
 * @param outcome the direct outcome, or null for a points rule
 * @param validFrom event time from which it applies ({@link Long#MIN_VALUE} when always)
 * @param validUntil event time from which it no longer applies ({@link Long#MAX_VALUE} when never)
 * @param when the condition; for a sequence rule, the optional check at the completing payment (null when none)
 * @param sequence for a sequence rule, its steps; null for a rule on single payments
 * @param pointsExpression the CEL expression that computes the rule's points when it fires, or null
 *     when {@code points} is a number
 */
public record RuleDefinition(
        String id,
        String description,
        String owner,
        String file,
        int line,
        String when,
        int points,
        Outcome outcome,
        boolean shadow,
        String explain,
        long validFrom,
        long validUntil,
        List<String> tags,
        SequenceDefinition sequence,
        String pointsExpression) {

    public boolean isSequence() {
        return sequence != null;
    }

    /** The points as written: the number, or the expression that computes them. */
    public String pointsText() {
        return pointsExpression != null ? pointsExpression.trim().replaceAll("\\s+", " ") : Integer.toString(points);
    }

    public String mode() {
        return shadow ? "shadow" : "active";
    }
}
