package io.veto.rule;

import io.veto.event.PaymentEvent;
import io.veto.feature.ValueField;
import java.util.Arrays;
import java.util.Locale;

/**
 * What the values of an allow or block list name, and where a payment carries it. {@code card} is
 * the keyed card token a decision shows as {@code cardToken} (never a card number); {@code country}
 * is the merchant's country; {@code bin} values may be prefixes or ranges of the card's BIN.
 */
public enum ListEntity {
    CARD("card token"),
    CUSTOMER("customer"),
    MERCHANT("merchant"),
    TERMINAL("terminal"),
    DEVICE("device"),
    IP("IP address"),
    COUNTRY("merchant country"),
    BIN("card BIN");

    private final String label;

    ListEntity(String label) {
        this.label = label;
    }

    /** How the entity is written in a list file: {@code card}, {@code bin}, ... */
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** How the entity is named in a decision's explanation. */
    public String label() {
        return label;
    }

    /** The payment's value for this entity, or null when the payment does not carry it. */
    public String keyOf(PaymentEvent p) {
        return FIELDS[ordinal()].of(p);
    }

    /** The payment field each entity is, by ordinal: looked up once, read per payment. */
    private static final ValueField[] FIELDS =
            Arrays.stream(values()).map(e -> ValueField.valueOf(e.name())).toArray(ValueField[]::new);

    public static ListEntity fromYaml(String name) {
        for (ListEntity e : values()) {
            if (e.yamlName().equals(name)) {
                return e;
            }
        }
        return null;
    }
}
