package io.veto.feature;

import java.util.Locale;

/** How a window feature folds the events in its horizon. */
public enum Aggregate {
    /** Number of payments, the current one included. */
    COUNT(false),
    /** Sum of a numeric field (amount). */
    SUM(true),
    AVG(true),
    MAX(true),
    MIN(true);

    private final boolean needsField;

    Aggregate(boolean needsField) {
        this.needsField = needsField;
    }

    public boolean needsField() {
        return needsField;
    }

    public String ruleName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
