package io.veto.rule;

import java.io.Serializable;

/**
 * Supplies the public key that published rule sets must be signed for, where the rules source
 * runs (on a TaskManager). The production supplier reads that TaskManager's environment, like the
 * PAN key, so the key is never part of the job graph or its configuration.
 */
@FunctionalInterface
public interface RulesKeySupplier extends Serializable {
    /** The public key as PEM or base64 text, or null when none is configured. */
    String get();

    static RulesKeySupplier fromEnvironment() {
        return () -> RuleSigning.publicKeyText(System.getenv()).orElse(null);
    }
}
