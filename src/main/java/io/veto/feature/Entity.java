package io.veto.feature;

import io.veto.event.PaymentEvent;
import java.util.Arrays;
import java.util.Locale;

/**
 * What a window feature is keyed by. The lower-case name is how rules refer to it
 * ({@code card.count_10m}, {@code merchant.sum_amount_1h}).
 *
 * <p>{@link #code()} is what serializers write into state and savepoints: fixed forever, whatever
 * the order of the constants (the codes are the ordinals the first format wrote); never reused.
 */
public enum Entity {
    CARD(0),
    CUSTOMER(1),
    MERCHANT(2),
    TERMINAL(3),
    DEVICE(4),
    IP(5),
    BIN(6);

    private static final Entity[] BY_CODE = byCode();

    private final byte code;

    Entity(int code) {
        this.code = (byte) code;
    }

    /** The entity's code in serialized state: stable across releases. */
    public byte code() {
        return code;
    }

    /** The entity of a serialized code; fails on a code no entity has. */
    public static Entity ofCode(int code) {
        if (code < 0 || code >= BY_CODE.length || BY_CODE[code] == null) {
            throw new IllegalArgumentException("no entity has code " + code);
        }
        return BY_CODE[code];
    }

    private static Entity[] byCode() {
        int max = 0;
        for (Entity e : values()) {
            max = Math.max(max, e.code);
        }
        Entity[] all = new Entity[max + 1];
        for (Entity e : values()) {
            if (all[e.code] != null) {
                throw new ExceptionInInitializerError(
                        "entities " + all[e.code] + " and " + e + " share code " + e.code);
            }
            all[e.code] = e;
        }
        return all;
    }

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
            Arrays.stream(values()).map(e -> ValueField.valueOf(e.name())).toArray(ValueField[]::new);

    public static Entity fromRuleName(String name) {
        for (Entity e : values()) {
            if (e.ruleName().equals(name)) {
                return e;
            }
        }
        return null;
    }
}
