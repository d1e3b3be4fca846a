package io.veto.generator;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/** A generated event parsed back with Jackson, kept compact so that 200k of them fit in a test. */
record Row(
        GeneratedEvent event,
        int index,
        String key,
        String type,
        String eventId,
        String paymentId,
        String eventTime,
        long eventTimeMillis,
        String pan,
        String customerId,
        String merchantId,
        String mcc,
        String terminalId,
        BigDecimal amount,
        boolean amountIsNumber,
        String currency,
        String country,
        String channel,
        String ip,
        String deviceId,
        boolean hasLatLon,
        double lat,
        double lon,
        String fraudLabel) {

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    static Row parse(GeneratedEvent e, int index) {
        JsonNode n;
        try {
            n = MAPPER.readTree(e.json());
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        JsonNode amount = n.get("amount");
        JsonNode time = n.get("eventTime");
        return new Row(
                e,
                index,
                e.key(),
                text(n, "type"),
                text(n, "eventId"),
                text(n, "paymentId"),
                time == null ? null : time.asText(),
                e.eventTimeMillis(),
                text(n, "pan"),
                text(n, "customerId"),
                text(n, "merchantId"),
                text(n, "mcc"),
                text(n, "terminalId"),
                amount == null || !amount.isNumber() ? null : amount.decimalValue(),
                amount != null && amount.isNumber(),
                text(n, "currency"),
                text(n, "country"),
                text(n, "channel"),
                text(n, "ip"),
                text(n, "deviceId"),
                n.has("lat")
                        && n.get("lat").isNumber()
                        && n.has("lon")
                        && n.get("lon").isNumber(),
                n.has("lat") ? n.get("lat").asDouble() : Double.NaN,
                n.has("lon") ? n.get("lon").asDouble() : Double.NaN,
                text(n, "fraudLabel"));
    }

    private static List<Row> defaultStream;

    /** The first 200,000 events of the default config, generated once and shared by the test classes. */
    static synchronized List<Row> defaultStream() {
        if (defaultStream == null) {
            defaultStream = List.copyOf(generate(GeneratorConfig.defaults(), 200_000));
        }
        return defaultStream;
    }

    static List<Row> generate(GeneratorConfig config, int count) {
        PaymentGenerator g = new PaymentGenerator(config);
        List<Row> rows = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            rows.add(parse(g.next(), i));
        }
        return rows;
    }

    boolean isPayment() {
        return "PAYMENT".equals(type);
    }

    boolean refersToPayment() {
        return "REFUND".equals(type) || "REVERSAL".equals(type) || "CHARGEBACK".equals(type);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
