package io.veto.generator;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
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
 * @param fraudLabel the label of the injected fraud scenario the event belongs to ({@link #CARD_TESTING},
 *     {@link #VELOCITY_BURST}, {@link #AMOUNT_ANOMALY}, {@link #IMPOSSIBLE_TRAVEL},
 *     {@link #ACCOUNT_TAKEOVER}, {@link #REFUND_ABUSE}); null for genuine traffic. Scenarios label
 *     every one of their events, account events and refunds included
 * @param json the record value: one JSON object, UTF-8
 * @param scenario which injected scenario instance the event belongs to, its place in it and whether
 *     it is the payment that completes the scenario's sequence; null for genuine traffic. Test-side
 *     truth only: none of it is written into {@link #json()} (the JSON carries only
 *     {@code fraudLabel}). {@link ScenarioInstance#collect} groups a stream's events by instance
 */
public record GeneratedEvent(
        String key,
        String eventId,
        String type,
        String paymentId,
        long eventTimeMillis,
        String fraudLabel,
        byte[] json,
        ScenarioTag scenario) {

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
    public static final String IMPOSSIBLE_TRAVEL = "impossible_travel";
    public static final String ACCOUNT_TAKEOVER = "account_takeover";
    public static final String REFUND_ABUSE = "refund_abuse";

    /** Every scenario label, in the order of {@link PaymentGenerator#DEFAULT_SCENARIO_WEIGHTS}. */
    public static final List<String> SCENARIO_LABELS =
            List.of(CARD_TESTING, VELOCITY_BURST, AMOUNT_ANOMALY, IMPOSSIBLE_TRAVEL, ACCOUNT_TAKEOVER, REFUND_ABUSE);

    /** An event outside any scenario (genuine traffic, or a record built by hand). */
    public GeneratedEvent(
            String key,
            String eventId,
            String type,
            String paymentId,
            long eventTimeMillis,
            String fraudLabel,
            byte[] json) {
        this(key, eventId, type, paymentId, eventTimeMillis, fraudLabel, json, null);
    }

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

    /** The id of the scenario instance this event belongs to; null for genuine traffic. */
    public String scenarioId() {
        return scenario == null ? null : scenario.id();
    }

    /** Whether this is the payment that completes its scenario's sequence (what a rule should catch). */
    public boolean completes() {
        return scenario != null && scenario.completes();
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
                && Objects.equals(scenario, e.scenario)
                && Arrays.equals(json, e.json);
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hash(key, eventId, type, paymentId, eventTimeMillis, fraudLabel, scenario)
                + Arrays.hashCode(json);
    }

    @Override
    public String toString() {
        return "GeneratedEvent[key=" + key + ", eventId=" + eventId + ", type=" + type
                + (paymentId == null ? "" : ", paymentId=" + paymentId)
                + ", eventTimeMillis=" + eventTimeMillis
                + (fraudLabel == null ? "" : ", fraudLabel=" + fraudLabel)
                + (scenario == null
                        ? ""
                        : ", scenario=" + scenario.id() + " " + scenario.step() + "/" + scenario.size()
                                + (scenario.completes() ? " completes" : ""))
                + ", json=" + json.length + " bytes]";
    }
}
