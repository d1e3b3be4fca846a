package io.veto.rule;

import dev.cel.runtime.CelRuntime;
import io.veto.decision.Outcome;
import io.veto.feature.FeatureSpec;
import java.util.List;
import java.util.Map;

/**
 * One rule ready to evaluate: its compiled condition, what it adds when it fires, and the names it
 * reads (for explanations and for knowing which features to compute).
 *
 * @param features the features the rule reads, by the qualified name it writes them with
 *     ({@code card.count_24h}); the spec's own name may differ ({@code card.count_1d})
 * @param sequence the compiled pattern of a sequence rule, null for a rule on single payments;
 *     a sequence rule fires on a payment that completes a match and satisfies {@code program}
 * @param pointsProgram computes the points of a rule whose {@code points:} is an expression, compiled
 *     once with the rule set; null when the points are a number
 */
record CompiledRule(
        RuleDefinition definition,
        CelRuntime.Program program,
        Map<String, FeatureSpec> features,
        List<String> fields,
        CompiledSequence sequence,
        CelRuntime.Program pointsProgram) {

    String id() {
        return definition.id();
    }

    String description() {
        return definition.description();
    }

    boolean shadow() {
        return definition.shadow();
    }

    int points() {
        return definition.points();
    }

    Outcome outcome() {
        return definition.outcome();
    }

    String explain() {
        return definition.explain();
    }

    boolean validAt(long eventTime) {
        return eventTime >= definition.validFrom() && eventTime < definition.validUntil();
    }
}
