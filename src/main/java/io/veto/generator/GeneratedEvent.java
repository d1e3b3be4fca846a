package io.veto.generator;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One record of the synthetic payments stream: the Kafka key, the UTF-8 JSON value, and a few of the
 * value's fields pulled out so that producers and tests need not parse it.
 *
 * <p>{@link #toString()} never shows the JSON, which holds a raw card number.
 *
 * @param key stable opaque per-card id ({@code card-000123}), never the PAN; account events use
 *     the key of the customer's first card
 * @param eventId unique id of the event
 * @param type PAYMENT, REFUND, REVERSAL, CHARGEBACK, LOGIN, PASSWORD_RESET or DEVICE_CHANGE
 * @param paymentId the new payment's id for PAYMENT, the referred payment's id for
 *     REFUND/REVERSAL/CHARGEBACK, null for account events
 * @param eventTimeMillis the event time, epoch milliseconds
 * @param fraudLabel {@code card_testing}, {@code velocity_burst} or {@code amount_anomaly} for a
 *     payment of an injected fraud scenario; null otherwise
 * @param json the record value: one JSON object, UTF-8
 */
public record GeneratedEvent(
        String key,
        String eventId,
        String type,
        String paymentId,
        long eventTimeMillis,
        String fraudLabel,
        byte[] json) {

    public static final String PAYMENT = "PAYMENT";
    public static final String REFUND = "REFUND";
    public static final String REVERSAL = "REVERSAL";
    public static final String CHARGEBACK = "CHARGEBACK";
    public static final String LOGIN = "LOGIN";
    public static final String PASSWORD_RESET = "PASSWORD_RESET";
    public static final String DEVICE_CHANGE = "DEVICE_CHANGE";

    public static final String CARD_TESTING = "card_testing";
    public static final String VELOCITY_BURST = "velocity_burst";
    public static final String AMOUNT_ANOMALY = "amount_anomaly";

    public GeneratedEvent {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(json, "json");
    }

    public boolean isPayment() {
        return PAYMENT.equals(type);
    }

    public boolean isFraud() {
        return fraudLabel != null;
    }

    /** The value as a string (holds the raw PAN: do not log it). */
    public String jsonString() {
        return new String(json, StandardCharsets.UTF_8);
    }

    public byte[] keyBytes() {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GeneratedEvent e
                && eventTimeMillis == e.eventTimeMillis
                && key.equals(e.key)
                && eventId.equals(e.eventId)
                && type.equals(e.type)
                && Objects.equals(paymentId, e.paymentId)
                && Objects.equals(fraudLabel, e.fraudLabel)
                && Arrays.equals(json, e.json);
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hash(key, eventId, type, paymentId, eventTimeMillis, fraudLabel) + Arrays.hashCode(json);
    }

    @Override
    public String toString() {
        return "GeneratedEvent[key=" + key + ", eventId=" + eventId + ", type=" + type
                + (paymentId == null ? "" : ", paymentId=" + paymentId)
                + ", eventTimeMillis=" + eventTimeMillis
                + (fraudLabel == null ? "" : ", fraudLabel=" + fraudLabel)
                + ", json=" + json.length + " bytes]";
    }
}
