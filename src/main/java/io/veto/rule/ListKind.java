package io.veto.rule;

import io.veto.decision.Outcome;
import java.util.Locale;

/**
 * What a hit on a list does. A block-list hit denies the payment; otherwise an allow-list hit
 * approves it; only then do rule outcomes and score thresholds decide.
 */
public enum ListKind {
    /** A hit approves the payment whatever the rules say, unless a block list is hit too. */
    ALLOW(Outcome.APPROVE),
    /** A hit denies the payment, whatever the rules and allow lists say. */
    BLOCK(Outcome.DENY);

    private final Outcome outcome;

    ListKind(Outcome outcome) {
        this.outcome = outcome;
    }

    public Outcome outcome() {
        return outcome;
    }

    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
