package io.veto.rule;

import dev.cel.runtime.CelRuntime;
import io.veto.feature.FeatureSpec;
import java.util.List;

/**
 * One rule ready to evaluate: its compiled condition, what it adds when it fires, and the names it
 * reads (for explanations and for knowing which features to compute).
 */
record CompiledRule(
        String id,
        String description,
        String owner,
        String file,
        int line,
        boolean shadow,
        int points,
        Outcome outcome,
        String explain,
        long validFrom,
        long validUntil,
        CelRuntime.Program program,
        List<FeatureSpec> features,
        List<String> fields) {

    boolean validAt(long eventTime) {
        return eventTime >= validFrom && eventTime < validUntil;
    }
}
