package io.veto.feature;

import io.veto.event.PaymentEvent;
import java.util.Locale;

/**
 * What a window feature is keyed by. The lower-case name is how rules refer to it
 * ({@code card.count_10m}, {@code merchant.sum_amount_1h}).
 */
public enum Entity {
    CARD,
    CUSTOMER,
    MERCHANT,
    TERMINAL,
    DEVICE,
    IP,
    BIN;

    /** Cached: feature names are built for every payment. */
    private final String ruleName = name().toLowerCase(Locale.ROOT);

    public String ruleName() {
        return ruleName;
    }

    /** The entity's key in a payment, or null when the payment does not carry it. */
    public String keyOf(PaymentEvent p) {
        return FIELDS[ordinal()].of(p);
    }

    /** The payment field each entity is, by ordinal: looked up once, read per payment. */
    private static final ValueField[] FIELDS =
            java.util.Arrays.stream(values()).map(e -> ValueField.valueOf(e.name())).toArray(ValueField[]::new);

    public static Entity fromRuleName(String name) {
        for (Entity e : values()) {
            if (e.ruleName().equals(name)) {
                return e;
            }
        }
        return null;
    }
}
