package io.veto.event;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.veto.time.Times;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * Turns the bytes of one payments-topic record into a {@link PaymentEvent}, or says precisely why it
 * cannot. It never throws anything but {@link InvalidEventException}, whose message goes to the DLQ;
 * a raw PAN is tokenized here, at the source, and never leaves this class.
 *
 * <p>Not thread-safe (the tokenizer holds a {@link javax.crypto.Mac}): one per operator subtask.
 */
public final class EventParser {
    public static final int DEFAULT_MAX_BYTES = 64 * 1024;
    /** How far an event time may be ahead of its Kafka record's timestamp (clock skew upstream). */
    public static final Duration DEFAULT_MAX_FUTURE_SKEW = Duration.ofMinutes(5);
    /**
     * Events before 2000-01-01T00:00:00Z are refused: no payment Veto sees is that old, but epoch
     * seconds sent as milliseconds (1970-01-21) and zero or negative times are.
     */
    public static final long MIN_EVENT_TIME = 946_684_800_000L;
    /** What {@link #parse(byte[], String, long)} takes when a record has no timestamp (Kafka's -1). */
    public static final long NO_TIMESTAMP = -1L;
    /** Longest text field (ids, codes): longer ones are refused, as they would bloat keys and state. */
    public static final int MAX_TEXT_CHARS = 128;
    /** Longest amount or time written as text; a money amount or a time needs far fewer. */
    private static final int MAX_NUMBER_TEXT = 40;
    /** Amounts are below 10^12 with at most four decimals; more digits than this are refused before any arithmetic. */
    private static final int MAX_AMOUNT_PRECISION = 40;

    private static final BigDecimal MAX_AMOUNT = BigDecimal.valueOf(1_000_000_000_000L);

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            // Keep 12.30 as 12.30: the amount is money, its scale is part of it.
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    static {
        MAPPER.getFactory()
                .setStreamReadConstraints(
                        // A number longer than 100 characters is no amount, time or coordinate.
                        StreamReadConstraints.builder()
                                .maxNestingDepth(32)
                                .maxNumberLength(100)
                                .build());
    }

    private final CardTokenizer tokenizer;
    private final PanPolicy panPolicy;
    private final int maxBytes;
    private final long maxFutureSkewMillis;

    /**
     * @param panKey the tokenization key; may be null only with {@link PanPolicy#REJECT}
     */
    public EventParser(PanPolicy panPolicy, byte[] panKey, int maxBytes) {
        this(panPolicy, panKey, maxBytes, DEFAULT_MAX_FUTURE_SKEW);
    }

    /**
     * @param panKey the tokenization key; may be null only with {@link PanPolicy#REJECT}
     * @param maxFutureSkew how far an event time may be ahead of its record's timestamp
     */
    public EventParser(PanPolicy panPolicy, byte[] panKey, int maxBytes, Duration maxFutureSkew) {
        if (maxFutureSkew.isNegative()) {
            throw new IllegalArgumentException("the maximum future skew must not be negative");
        }
        this.panPolicy = panPolicy;
        this.maxBytes = maxBytes;
        this.maxFutureSkewMillis = maxFutureSkew.toMillis();
        if (panPolicy == PanPolicy.TOKENIZE) {
            if (panKey == null) {
                throw new IllegalStateException(PanKey.missingMessage());
            }
            this.tokenizer = new CardTokenizer(panKey);
        } else {
            this.tokenizer = null;
        }
    }

    /** Parses a record that has no Kafka timestamp: event times are bounded by the wall clock. */
    public PaymentEvent parse(byte[] value, String source) throws InvalidEventException {
        return parse(value, source, NO_TIMESTAMP);
    }

    /**
     * Parses one record. Its event time must lie between {@link #MIN_EVENT_TIME} and the record's
     * timestamp (or the wall clock, whichever is earlier) plus the maximum future skew: one event
     * dated in the future would otherwise move its partition's watermark there.
     *
     * @param recordTimestamp the Kafka record's timestamp, or {@link #NO_TIMESTAMP}
     */
    public PaymentEvent parse(byte[] value, String source, long recordTimestamp) throws InvalidEventException {
        if (value == null || value.length == 0) {
            throw new InvalidEventException("empty record");
        }
        if (value.length > maxBytes) {
            throw new InvalidEventException("record size " + value.length + " bytes exceeds the limit of " + maxBytes);
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(value);
        } catch (JsonProcessingException e) {
            throw new InvalidEventException("malformed JSON: " + PanMasker.mask(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new InvalidEventException("unreadable record: " + PanMasker.mask(e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            throw new InvalidEventException("malformed JSON: expected an object");
        }

        String eventId = requiredText(root, "eventId");
        EventType type = type(root);
        long eventTime = eventTime(root);
        checkEventTime(eventTime, recordTimestamp);

        String cardToken = null;
        String bin = null;
        String last4 = null;
        JsonNode pan = root.get("pan");
        if (pan != null && !pan.isNull()) {
            if (panPolicy == PanPolicy.REJECT) {
                throw new InvalidEventException(
                        "raw PAN received but pan-policy is reject: upstream must send cardToken");
            }
            String digits = pan.isTextual() || pan.isIntegralNumber() ? CardTokenizer.normalize(pan.asText()) : null;
            if (digits == null) {
                throw new InvalidEventException("field 'pan' is not a valid card number");
            }
            cardToken = tokenizer.token(digits);
            bin = digits.substring(0, 6);
            last4 = digits.substring(digits.length() - 4);
        } else {
            cardToken = optionalText(root, "cardToken");
            bin = digits(root, "bin", 6, 8);
            last4 = digits(root, "last4", 4, 4);
        }

        String paymentId = optionalText(root, "paymentId");
        String customerId = optionalText(root, "customerId");
        if (customerId == null) {
            customerId = optionalText(root, "accountId");
        }
        String merchantId = optionalText(root, "merchantId");
        BigDecimal amount = amount(root);
        String currency = optionalText(root, "currency");

        if (type.isCardEvent()) {
            if (paymentId == null) {
                throw new InvalidEventException("missing required field 'paymentId'");
            }
            if (cardToken == null) {
                throw new InvalidEventException("missing required field 'cardToken' or 'pan'");
            }
            if (amount == null) {
                throw new InvalidEventException("missing required field 'amount'");
            }
            if (currency == null) {
                throw new InvalidEventException("missing required field 'currency'");
            }
            if (currency.length() != 3) {
                throw new InvalidEventException("field 'currency' must be a 3-letter ISO 4217 code");
            }
            currency = currency.toUpperCase(Locale.ROOT);
            if (type == EventType.PAYMENT && merchantId == null) {
                throw new InvalidEventException("missing required field 'merchantId'");
            }
        } else if (customerId == null && cardToken == null) {
            throw new InvalidEventException(
                    "missing required field: account events need 'customerId' (or 'accountId') or a card");
        }

        Double lat = coordinate(root, "lat", 90);
        Double lon = coordinate(root, "lon", 180);
        return new PaymentEvent(
                eventId,
                type,
                paymentId,
                eventTime,
                cardToken,
                bin,
                last4,
                customerId,
                merchantId,
                optionalText(root, "mcc"),
                optionalText(root, "terminalId"),
                amount,
                currency,
                upper(optionalText(root, "country")),
                optionalText(root, "ip"),
                optionalText(root, "deviceId"),
                upper(optionalText(root, "channel")),
                lat,
                lon,
                source);
    }

    private static String upper(String s) {
        return s == null ? null : s.toUpperCase(Locale.ROOT);
    }

    private static String requiredText(JsonNode root, String field) throws InvalidEventException {
        String v = optionalText(root, field);
        if (v == null) {
            throw new InvalidEventException("missing required field '" + field + "'");
        }
        return v;
    }

    /** Text or number fields as text; null when absent, null or blank; objects and arrays refused. */
    private static String optionalText(JsonNode root, String field) throws InvalidEventException {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        String s;
        if (n.isTextual()) {
            s = n.textValue().trim();
            if (s.isEmpty()) {
                return null;
            }
        } else if (n.isNumber()) {
            s = n.asText();
        } else {
            throw new InvalidEventException("field '" + field + "' must be a string, not " + kind(n));
        }
        checkText(field, s);
        return s;
    }

    /**
     * Bounds a text field before it becomes a key, state or part of a decision. The messages never
     * echo the value: it may be the very card number that is refused.
     */
    private static void checkText(String field, String s) throws InvalidEventException {
        if (s.length() > MAX_TEXT_CHARS) {
            throw new InvalidEventException(
                    "field '" + field + "' is " + s.length() + " characters long, the limit is " + MAX_TEXT_CHARS);
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c)) {
                throw new InvalidEventException("field '" + field + "' contains a control character");
            }
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    throw new InvalidEventException("field '" + field + "' contains an unpaired surrogate (not text)");
                }
            }
        }
        if (PanMasker.containsPan(s)) {
            throw new InvalidEventException(
                    "field '" + field + "' holds what looks like a card number; send raw card numbers only in 'pan'");
        }
    }

    /** An optional field of ASCII digits only, {@code min} to {@code max} of them (a BIN, the last four). */
    private static String digits(JsonNode root, String field, int min, int max) throws InvalidEventException {
        String s = optionalText(root, field);
        if (s == null) {
            return null;
        }
        boolean ok = s.length() >= min && s.length() <= max;
        for (int i = 0; ok && i < s.length(); i++) {
            ok = s.charAt(i) >= '0' && s.charAt(i) <= '9';
        }
        if (!ok) {
            throw new InvalidEventException(
                    "field '" + field + "' must be " + (min == max ? min : min + " to " + max) + " digits");
        }
        return s;
    }

    private static EventType type(JsonNode root) throws InvalidEventException {
        String t = requiredText(root, "type");
        try {
            return EventType.valueOf(t.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidEventException("unknown event type '" + PanMasker.mask(t) + "'");
        }
    }

    private static long eventTime(JsonNode root) throws InvalidEventException {
        JsonNode n = root.get("eventTime");
        if (n == null || n.isNull()) {
            throw new InvalidEventException("missing required field 'eventTime'");
        }
        if (n.isIntegralNumber()) {
            // asLong() would silently wrap a number beyond the long range.
            if (!n.canConvertToLong()) {
                throw new InvalidEventException("field 'eventTime' is out of range");
            }
            return n.asLong();
        }
        if (n.isTextual()) {
            String s = n.textValue().trim();
            if (s.length() > MAX_NUMBER_TEXT) {
                throw new InvalidEventException("field 'eventTime' is " + s.length() + " characters long, no time is");
            }
            try {
                if (!s.isEmpty() && s.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    return Long.parseLong(s);
                }
                return Instant.parse(s).toEpochMilli();
            } catch (NumberFormatException | ArithmeticException e) {
                throw new InvalidEventException("field 'eventTime' is out of range");
            } catch (DateTimeParseException e) {
                try {
                    return OffsetDateTime.parse(s).toInstant().toEpochMilli();
                } catch (DateTimeParseException e2) {
                    throw new InvalidEventException("field 'eventTime' is neither ISO-8601 nor epoch milliseconds");
                } catch (ArithmeticException e2) {
                    throw new InvalidEventException("field 'eventTime' is out of range");
                }
            }
        }
        throw new InvalidEventException(
                "field 'eventTime' must be ISO-8601 text or epoch milliseconds, not " + kind(n));
    }

    private void checkEventTime(long t, long recordTimestamp) throws InvalidEventException {
        if (t < MIN_EVENT_TIME) {
            throw new InvalidEventException(
                    "field 'eventTime' is before 2000-01-01T00:00:00Z (epoch seconds instead of milliseconds?)");
        }
        // The earlier of the record's timestamp and the wall clock: a producer can set any timestamp.
        long now = System.currentTimeMillis();
        long reference = recordTimestamp >= 0 ? Math.min(recordTimestamp, now) : now;
        long latest = Times.plusSaturating(reference, maxFutureSkewMillis);
        if (t > latest) {
            throw new InvalidEventException("field 'eventTime' is "
                    + Duration.ofMillis(Times.minusSaturating(t, reference)).toSeconds()
                    + " s ahead of the record's timestamp, more than the allowed skew of "
                    + Duration.ofMillis(maxFutureSkewMillis).toSeconds() + " s");
        }
    }

    private static BigDecimal amount(JsonNode root) throws InvalidEventException {
        JsonNode n = root.get("amount");
        if (n == null || n.isNull()) {
            return null;
        }
        BigDecimal v;
        if (n.isNumber()) {
            v = n.decimalValue();
        } else if (n.isTextual()) {
            String s = n.textValue().trim();
            if (s.length() > MAX_NUMBER_TEXT) {
                throw new InvalidEventException("field 'amount' is " + s.length() + " characters long, no amount is");
            }
            try {
                v = new BigDecimal(s);
            } catch (NumberFormatException e) {
                throw new InvalidEventException("field 'amount' is not a number");
            }
        } else {
            throw new InvalidEventException("field 'amount' must be a decimal number, not " + kind(n));
        }
        if (v.signum() < 0) {
            throw new InvalidEventException("field 'amount' is negative");
        }
        // Bounded before any arithmetic: 1e999999999 or a thousand decimals cost seconds and
        // gigabytes in stripTrailingZeros, toPlainString or a serializer.
        if (v.precision() > MAX_AMOUNT_PRECISION) {
            throw new InvalidEventException("field 'amount' has more than " + MAX_AMOUNT_PRECISION + " digits");
        }
        if (v.scale() < -MAX_AMOUNT_PRECISION) {
            throw new InvalidEventException("field 'amount' is implausibly large");
        }
        if (v.scale() > MAX_AMOUNT_PRECISION) {
            throw new InvalidEventException("field 'amount' has more than " + PaymentEvent.AMOUNT_SCALE + " decimals");
        }
        if (v.compareTo(MAX_AMOUNT) >= 0) {
            throw new InvalidEventException("field 'amount' is implausibly large");
        }
        return normalize(v);
    }

    /**
     * The amount with a scale of 0 to {@link PaymentEvent#AMOUNT_SCALE}, so that everything after
     * parsing handles at most 16 digits: 12.30 stays 12.30 (its scale is part of the money), 1E+3
     * becomes 1000, 12.300000 becomes 12.3. Refuses finer amounts.
     */
    private static BigDecimal normalize(BigDecimal v) throws InvalidEventException {
        if (v.scale() >= 0 && v.scale() <= PaymentEvent.AMOUNT_SCALE) {
            return v;
        }
        if (v.scale() < 0) {
            return v.setScale(0);
        }
        BigDecimal stripped = v.stripTrailingZeros();
        if (stripped.scale() > PaymentEvent.AMOUNT_SCALE) {
            throw new InvalidEventException("field 'amount' has more than " + PaymentEvent.AMOUNT_SCALE + " decimals");
        }
        return stripped.setScale(Math.max(stripped.scale(), 0));
    }

    private static Double coordinate(JsonNode root, String field, double limit) throws InvalidEventException {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isNumber()) {
            throw new InvalidEventException("field '" + field + "' must be a number, not " + kind(n));
        }
        double d = n.doubleValue();
        if (Double.isNaN(d) || Math.abs(d) > limit) {
            throw new InvalidEventException("field '" + field + "' is out of range");
        }
        return d;
    }

    private static String kind(JsonNode n) {
        return n.getNodeType().name().toLowerCase(Locale.ROOT);
    }
}
