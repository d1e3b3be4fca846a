package io.veto.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.veto.decision.Decision;
import io.veto.decision.Outcome;
import io.veto.decision.Reason;
import io.veto.decision.ShadowResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The decision JSON is the same text as a plain Jackson generator with Instant.toString writes: the fast paths change nothing. */
class DecisionJsonTest {
    /** What DecisionJson.write wrote before its fast paths: the reference text. */
    private static byte[] reference(Decision d) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("paymentId", d.paymentId());
            g.writeStringField("eventId", d.eventId());
            g.writeStringField("decision", d.decision().name());
            g.writeNumberField("score", d.score());
            reasons(g, d.reasons());
            g.writeStringField("ruleSetVersion", d.ruleSetVersion());
            if (d.shadow() == null) {
                g.writeNullField("shadow");
            } else {
                g.writeObjectFieldStart("shadow");
                g.writeStringField("decision", d.shadow().decision());
                g.writeNumberField("score", d.shadow().score());
                reasons(g, d.shadow().reasons());
                g.writeEndObject();
            }
            g.writeStringField("eventTime", Instant.ofEpochMilli(d.eventTime()).toString());
            g.writeStringField("decidedAt", Instant.ofEpochMilli(d.decidedAt()).toString());
            g.writeBooleanField("late", d.late());
            if (d.cardToken() != null) {
                g.writeStringField("cardToken", d.cardToken());
            }
            if (d.cardBin() != null) {
                g.writeStringField("cardBin", d.cardBin());
            }
            if (d.cardLast4() != null) {
                g.writeStringField("cardLast4", d.cardLast4());
            }
            g.writeObjectFieldStart("features");
            for (int i = 0; i < d.featureNames().length; i++) {
                g.writeNumberField(d.featureNames()[i], d.featureValues()[i]);
            }
            g.writeEndObject();
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    private static void reasons(JsonGenerator g, Reason[] reasons) throws IOException {
        g.writeArrayFieldStart("reasons");
        for (Reason r : reasons) {
            g.writeStartObject();
            g.writeStringField("ruleId", r.ruleId());
            g.writeNumberField("points", r.points());
            if (r.outcome() != null) {
                g.writeStringField("outcome", r.outcome());
            }
            g.writeStringField("detail", r.detail());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static final double[] ODD = {
        0.0,
        -0.0,
        1.0,
        -1.0,
        9_999_999.0,
        10_000_000.0,
        -9_999_999.0,
        1e-3,
        0.1,
        1213.32,
        Double.NaN,
        Double.POSITIVE_INFINITY,
        Double.MAX_VALUE,
        Double.MIN_VALUE,
        3.6e18,
        315_360_000_000.0,
        1.5
    };
    private static final long[] TIMES = {
        0L,
        1L,
        999L,
        1_000L,
        -1L,
        1_796_000_000_123L,
        1_796_000_000_000L,
        -62_167_219_200_000L,
        -62_167_219_200_001L,
        253_402_300_799_999L,
        253_402_300_800_000L,
        Long.MAX_VALUE / 1000,
        Long.MIN_VALUE / 1000
    };

    private static Decision random(SplittableRandom r) {
        int features = r.nextInt(12);
        String[] names = new String[features];
        double[] values = new double[features];
        for (int i = 0; i < features; i++) {
            names[i] = "card.f_" + i;
            values[i] = switch (r.nextInt(4)) {
                case 0 -> r.nextInt(50);
                case 1 -> r.nextLong(1_000_000_00L) / 100.0;
                case 2 -> ODD[r.nextInt(ODD.length)];
                default -> r.nextDouble() * 1e6;
            };
        }
        Reason[] reasons = new Reason[r.nextInt(3)];
        for (int i = 0; i < reasons.length; i++) {
            reasons[i] = new Reason(
                    "rule-" + i, r.nextInt(100), r.nextBoolean() ? null : "DENY", "détail \"quoted\" ✓ " + i);
        }
        ShadowResult shadow = r.nextBoolean() ? null : new ShadowResult("REVIEW", 40, reasons);
        long eventTime = r.nextInt(3) == 0
                ? TIMES[r.nextInt(TIMES.length)]
                : 1_700_000_000_000L + r.nextLong(400L * 86_400_000L);
        long decidedAt = r.nextInt(4) == 0 ? (eventTime / 1000) * 1000 : eventTime + r.nextInt(1000);
        return new Decision(
                "pay-" + r.nextInt(),
                "evt-" + r.nextInt(),
                Outcome.values()[r.nextInt(3)],
                r.nextInt(200),
                reasons,
                "default@abc",
                shadow,
                eventTime,
                decidedAt,
                r.nextBoolean(),
                r.nextBoolean() ? null : "tok_x",
                "411111",
                "1111",
                names,
                values);
    }

    @Test
    void shouldWriteTheSameTextAsAPlainGenerator() throws IOException {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 20_000; i++) {
            Decision d = random(r);
            assertThat(new String(DecisionJson.write(d), StandardCharsets.UTF_8))
                    .isEqualTo(new String(reference(d), StandardCharsets.UTF_8));
        }
    }

    @Test
    void shouldReadBackWhatItWrites() {
        Decision d = random(new SplittableRandom(3));
        Decision back = DecisionJson.read(DecisionJson.write(d));
        assertThat(back.paymentId()).isEqualTo(d.paymentId());
        assertThat(back.eventTime()).isEqualTo(d.eventTime());
        assertThat(back.featureNames()).containsExactly(d.featureNames());
    }
}
