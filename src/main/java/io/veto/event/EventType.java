package io.veto.event;

/**
 * The kinds of event on the payments topic. Only {@link #PAYMENT} asks for a decision; the money
 * movements after it feed features, and the account events feed sequence rules.
 */
public enum EventType {
    /** An authorization that needs a decision while the customer waits. */
    PAYMENT,
    REFUND,
    REVERSAL,
    CHARGEBACK,
    LOGIN,
    PASSWORD_RESET,
    DEVICE_CHANGE,
    EMAIL_CHANGE,
    PHONE_CHANGE,
    BENEFICIARY_ADD;

    /** Whether the event is about an earlier payment (paymentId names that payment). */
    public boolean refersToPayment() {
        return this == REFUND || this == REVERSAL || this == CHARGEBACK;
    }

    /** Whether the event moves money on a card (and so needs a card). */
    public boolean isCardEvent() {
        return this == PAYMENT || refersToPayment();
    }
}
