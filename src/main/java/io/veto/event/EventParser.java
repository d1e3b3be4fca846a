package io.veto.event;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.math.BigDecimal;
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

    private static final ObjectMapper MAPPER =
            JsonMapper.builder()
                    .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                    .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                    // Keep 12.30 as 12.30: the amount is money, its scale is part of it.
                    .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
                    .build();

    static {
        MAPPER.getFactory()
                .setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).build());
    }

    private final CardTokenizer tokenizer;
    private final PanPolicy panPolicy;
    private final int maxBytes;

    /**
     * @param panKey the tokenization key; may be null only with {@link PanPolicy#REJECT}
     */
    public EventParser(PanPolicy panPolicy, byte[] panKey, int maxBytes) {
        this.panPolicy = panPolicy;
        this.maxBytes = maxBytes;
        if (panPolicy == PanPolicy.TOKENIZE) {
            if (panKey == null) {
                throw new IllegalStateException(PanKey.missingMessage());
            }
            this.tokenizer = new CardTokenizer(panKey);
        } else {
            this.tokenizer = null;
        }
    }

    public PaymentEvent parse(byte[] value, String source) throws InvalidEventException {
        if (value == null || value.length == 0) {
            throw new InvalidEventException("empty record");
        }
        if (value.length > maxBytes) {
            throw new InvalidEventException(
                    "record size " + value.length + " bytes exceeds the limit of " + maxBytes);
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
            bin = optionalText(root, "bin");
            last4 = optionalText(root, "last4");
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
        if (n.isTextual()) {
            String s = n.textValue().trim();
            return s.isEmpty() ? null : s;
        }
        if (n.isNumber()) {
            return n.asText();
        }
        throw new InvalidEventException("field '" + field + "' must be a string, not " + kind(n));
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
            return n.asLong();
        }
        if (n.isTextual()) {
            String s = n.textValue().trim();
            try {
                if (!s.isEmpty() && s.chars().allMatch(Character::isDigit)) {
                    return Long.parseLong(s);
                }
                return Instant.parse(s).toEpochMilli();
            } catch (DateTimeParseException | NumberFormatException e) {
                try {
                    return OffsetDateTime.parse(s).toInstant().toEpochMilli();
                } catch (DateTimeParseException e2) {
                    throw new InvalidEventException(
                            "field 'eventTime' is neither ISO-8601 nor epoch milliseconds");
                }
            }
        }
        throw new InvalidEventException("field 'eventTime' must be ISO-8601 text or epoch milliseconds, not " + kind(n));
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
            try {
                v = new BigDecimal(n.textValue().trim());
            } catch (NumberFormatException e) {
                throw new InvalidEventException("field 'amount' is not a number");
            }
        } else {
            throw new InvalidEventException("field 'amount' must be a decimal number, not " + kind(n));
        }
        if (v.signum() < 0) {
            throw new InvalidEventException("field 'amount' is negative");
        }
        if (v.stripTrailingZeros().scale() > PaymentEvent.AMOUNT_SCALE) {
            throw new InvalidEventException("field 'amount' has more than " + PaymentEvent.AMOUNT_SCALE + " decimals");
        }
        if (v.compareTo(BigDecimal.valueOf(1_000_000_000_000L)) >= 0) {
            throw new InvalidEventException("field 'amount' is implausibly large");
        }
        return v;
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
