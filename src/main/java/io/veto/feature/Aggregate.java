package io.veto.feature;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How a window feature folds the events in its horizon. The lower-case name is how rules write it
 * ({@code count}, {@code chargeback_rate}, {@code since_last}); {@link FeatureSpec} has the grammar
 * and what each one means.
 */
public enum Aggregate {
    /** Number of payments, the current one included. */
    COUNT(FieldKind.NONE),
    /** Sum of the payments' amounts. */
    SUM(FieldKind.AMOUNT),
    AVG(FieldKind.AMOUNT),
    MAX(FieldKind.AMOUNT),
    MIN(FieldKind.AMOUNT),
    /** Population standard deviation of the amounts. */
    STDDEV(FieldKind.AMOUNT),
    /** Number of distinct values of a payment field ({@link ValueField}). */
    DISTINCT(FieldKind.VALUE),
    /** Chargebacks reported in the horizon. */
    CHARGEBACK_COUNT(FieldKind.NONE),
    /** Chargebacks reported in the horizon per payment in the horizon. */
    CHARGEBACK_RATE(FieldKind.NONE),
    /** Refunds and reversals reported in the horizon. */
    REFUND_COUNT(FieldKind.NONE),
    /** Refunds and reversals reported in the horizon per payment in the horizon. */
    REFUND_RATE(FieldKind.NONE),
    /** This payment's amount over the average of the entity's other payments in the horizon. */
    AMOUNT_RATIO(FieldKind.NONE),
    /** Milliseconds since the entity's previous payment; written without a horizon. */
    SINCE_LAST(FieldKind.NONE);

    /** What may follow the aggregate's name before the horizon. */
    public enum FieldKind {
        NONE,
        /** {@code _amount}, the only numeric field. */
        AMOUNT,
        /** A {@link ValueField}: {@code _country}, {@code _device}, ... */
        VALUE
    }

    /** The rule names, for messages: {@code count, sum, ...}. */
    static final String KNOWN = Arrays.stream(values()).map(Aggregate::ruleName).collect(Collectors.joining(", "));

    private final FieldKind fieldKind;
    /** Cached: feature names are built for every payment. */
    private final String ruleName;

    Aggregate(FieldKind fieldKind) {
        this.fieldKind = fieldKind;
        this.ruleName = name().toLowerCase(Locale.ROOT);
    }

    public FieldKind fieldKind() {
        return fieldKind;
    }

    public boolean needsField() {
        return fieldKind != FieldKind.NONE;
    }

    /** False only for {@link #SINCE_LAST}, whose reach is fixed ({@link FeatureSpec#SINCE_LAST_HORIZON_MILLIS}). */
    public boolean takesHorizon() {
        return this != SINCE_LAST;
    }

    /** Whether the aggregate reads refunds, reversals or chargebacks. */
    public boolean readsFeedback() {
        return this == CHARGEBACK_COUNT || this == CHARGEBACK_RATE || this == REFUND_COUNT || this == REFUND_RATE;
    }

    public String ruleName() {
        return ruleName;
    }
}
