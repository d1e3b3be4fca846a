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
        return switch (this) {
            case CARD -> p.cardToken();
            case CUSTOMER -> p.customerId();
            case MERCHANT -> p.merchantId();
            case TERMINAL -> p.terminalId();
            case DEVICE -> p.deviceId();
            case IP -> p.ip();
            case BIN -> p.bin();
        };
    }

    public static Entity fromRuleName(String name) {
        for (Entity e : values()) {
            if (e.ruleName().equals(name)) {
                return e;
            }
        }
        return null;
    }
}
