package io.veto.event;

/**
 * The kinds of event on the payments topic. Only {@link #PAYMENT} asks for a decision; the money
 * movements after it feed features, and the account events feed sequence rules.
 *
 * <p>Each has a {@link #code()} that serializers write into state and savepoints: fixed forever,
 * whatever the order of the constants (the codes are the ordinals the first format wrote). A new
 * type takes the next unused code; a code is never reused.
 */
public enum EventType {
    /** An authorization that needs a decision while the customer waits. */
    PAYMENT(0),
    REFUND(1),
    REVERSAL(2),
    CHARGEBACK(3),
    LOGIN(4),
    PASSWORD_RESET(5),
    DEVICE_CHANGE(6),
    EMAIL_CHANGE(7),
    PHONE_CHANGE(8),
    BENEFICIARY_ADD(9);

    private static final EventType[] BY_CODE = byCode();

    private final byte code;

    EventType(int code) {
        this.code = (byte) code;
    }

    /** The type's code in serialized state: stable across releases. */
    public byte code() {
        return code;
    }

    /** The type of a serialized code; fails on a code no type has. */
    public static EventType ofCode(int code) {
        if (code < 0 || code >= BY_CODE.length || BY_CODE[code] == null) {
            throw new IllegalArgumentException("no event type has code " + code);
        }
        return BY_CODE[code];
    }

    private static EventType[] byCode() {
        int max = 0;
        for (EventType t : values()) {
            max = Math.max(max, t.code);
        }
        EventType[] all = new EventType[max + 1];
        for (EventType t : values()) {
            if (all[t.code] != null) {
                throw new ExceptionInInitializerError(
                        "event types " + all[t.code] + " and " + t + " share code " + t.code);
            }
            all[t.code] = t;
        }
        return all;
    }

    /** Whether the event is about an earlier payment (paymentId names that payment). */
    public boolean refersToPayment() {
        return this == REFUND || this == REVERSAL || this == CHARGEBACK;
    }

    /** Whether the event moves money on a card (and so needs a card). */
    public boolean isCardEvent() {
        return this == PAYMENT || refersToPayment();
    }
}
