package io.veto.generator;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * Malformed payments-topic records for tests of the parser and the dead-letter queue: each a
 * realistic event broken in one way, with a short keyword the rejection reason is expected to
 * contain (case-insensitively) and the raw PAN it holds, if any, so that DLQ masking can be checked.
 */
public final class BadRecords {
    /** The record size above which the job rejects a record. */
    public static final int MAX_RECORD_BYTES = 64 * 1024;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    private BadRecords() {}

    /**
     * One malformed record.
     *
     * @param name what is wrong, e.g. {@code missing-amount}
     * @param payload the record value
     * @param expectedReason keyword the rejection reason should contain: {@code json}, {@code amount},
     *     {@code eventId}, {@code eventTime}, {@code type}, {@code pan}, {@code size} or {@code empty}
     * @param rawPan the Luhn-valid card number inside the payload, null if there is none; it must not
     *     appear in what the DLQ keeps
     */
    public record Sample(String name, byte[] payload, String expectedReason, String rawPan) {
        public String payloadString() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() { // never prints the payload: it may hold a raw PAN
            return "Sample[" + name + ", expect '" + expectedReason + "', " + payload.length + " bytes]";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Sample s
                    && name.equals(s.name)
                    && Arrays.equals(payload, s.payload)
                    && expectedReason.equals(s.expectedReason)
                    && Objects.equals(rawPan, s.rawPan);
        }

        @Override
        public int hashCode() {
            return 31 * name.hashCode() + Arrays.hashCode(payload);
        }
    }

    /**
     * A variety of malformed records, built from a realistic payment that {@code random} picks: not
     * JSON, truncated JSON, a JSON array, no eventId, no amount, amount "abc", a negative amount,
     * amount {@code true}, an unknown event type, an unreadable eventTime, a payment without a card,
     * an oversized record (&gt; 64 KiB, otherwise valid), invalid UTF-8, an empty record, and a
     * truncated body with a raw PAN inside.
     */
    public static List<Sample> malformedSamples(Random random) {
        GeneratorConfig config = GeneratorConfig.defaults()
                .withSeed(random.nextLong())
                .withCards(200)
                .withMerchants(100)
                .withRunId("bad");
        PaymentGenerator generator = new PaymentGenerator(config);
        GeneratedEvent event = generator.next();
        for (int skip = random.nextInt(20); skip > 0 || !event.isPayment(); skip--) {
            event = generator.next();
        }
        ObjectNode base = parse(event.json());
        String pan = base.get("pan").asText();
        String valid = base.toString();

        List<Sample> out = new ArrayList<>();
        out.add(sample("not-json", "this is not json: card " + pan + " declined", "json", pan));
        out.add(sample(
                "truncated-json",
                valid.substring(0, valid.length() / 2 + random.nextInt(valid.length() / 3)),
                "json",
                pan));
        out.add(sample("json-array", "[" + valid + "]", "json", pan));

        ObjectNode n = base.deepCopy();
        n.remove("eventId");
        out.add(sample("missing-eventId", n.toString(), "eventId", pan));

        n = base.deepCopy();
        n.remove("amount");
        out.add(sample("missing-amount", n.toString(), "amount", pan));

        n = base.deepCopy();
        n.put("amount", "abc");
        out.add(sample("amount-not-a-number", n.toString(), "amount", pan));

        n = base.deepCopy();
        n.put("amount", base.get("amount").decimalValue().negate());
        out.add(sample("negative-amount", n.toString(), "amount", pan));

        n = base.deepCopy();
        n.put("amount", true);
        out.add(sample("amount-wrong-type", n.toString(), "amount", pan));

        n = base.deepCopy();
        n.put("type", "TELEPORT");
        out.add(sample("unknown-type", n.toString(), "type", pan));

        n = base.deepCopy();
        n.put("eventTime", "yesterday at noon");
        out.add(sample("bad-eventTime", n.toString(), "eventTime", pan));

        n = base.deepCopy();
        n.remove("pan");
        out.add(sample("payment-without-pan", n.toString(), "pan", null));

        n = base.deepCopy();
        StringBuilder padding = new StringBuilder(MAX_RECORD_BYTES + 1024);
        while (padding.length() <= MAX_RECORD_BYTES) {
            padding.append((char) ('a' + random.nextInt(26)));
        }
        n.put("note", padding.toString());
        out.add(sample("oversized", n.toString(), "size", pan));

        byte[] utf8 = valid.getBytes(StandardCharsets.UTF_8);
        int at = valid.indexOf("\"merchantId\":\"") + "\"merchantId\":\"".length();
        byte[] broken = Arrays.copyOf(utf8, utf8.length);
        broken[at] = (byte) 0xC3; // a two-byte sequence start followed by an ASCII byte
        out.add(new Sample("invalid-utf8", broken, "json", pan));

        out.add(new Sample("empty", new byte[0], "empty", null));

        String withPan = "{\"eventId\":\"evt-bad-" + random.nextInt(1_000_000) + "\",\"type\":\"PAYMENT\",\"pan\":\""
                + pan + "\",\"amount\":12.30,\"note\":\"card " + pan + " \u00e9chec";
        out.add(sample("pan-in-malformed-body", withPan, "json", pan));
        return List.copyOf(out);
    }

    private static Sample sample(String name, String payload, String reason, String pan) {
        String containedPan = pan != null && payload.contains(pan) ? pan : null;
        return new Sample(name, payload.getBytes(StandardCharsets.UTF_8), reason, containedPan);
    }

    private static ObjectNode parse(byte[] json) {
        try {
            return (ObjectNode) MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
