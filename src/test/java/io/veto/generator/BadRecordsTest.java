package io.veto.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class BadRecordsTest {
    private final List<BadRecords.Sample> samples = BadRecords.malformedSamples(new Random(11));
    private final Map<String, BadRecords.Sample> byName =
            samples.stream().collect(Collectors.toMap(BadRecords.Sample::name, Function.identity()));

    @Test
    void coversEveryKindOfBreakageWithAReasonKeyword() {
        assertThat(byName)
                .containsKeys(
                        "not-json",
                        "truncated-json",
                        "missing-eventId",
                        "missing-amount",
                        "amount-not-a-number",
                        "negative-amount",
                        "amount-wrong-type",
                        "unknown-type",
                        "oversized",
                        "pan-in-malformed-body");
        assertThat(samples)
                .allSatisfy(s -> assertThat(s.expectedReason())
                        .isIn("json", "amount", "eventId", "eventTime", "type", "pan", "size", "empty"));
        assertThat(byName.get("missing-amount").expectedReason()).isEqualTo("amount");
        assertThat(byName.get("missing-eventId").expectedReason()).isEqualTo("eventId");
        assertThat(byName.get("oversized").expectedReason()).isEqualTo("size");
        assertThat(byName.get("not-json").expectedReason()).isEqualTo("json");
    }

    @Test
    void syntaxBreakagesDoNotParseAsJson() {
        for (String name : List.of("not-json", "truncated-json", "pan-in-malformed-body", "invalid-utf8")) {
            assertThatThrownBy(() -> Row.MAPPER.readTree(byName.get(name).payload()))
                    .as(name)
                    .isInstanceOf(IOException.class);
        }
        assertThat(byName.get("empty").payload()).isEmpty();
    }

    @Test
    void fieldBreakagesAreOtherwiseValidPaymentObjects() throws IOException {
        JsonNode missingAmount = tree("missing-amount");
        assertThat(missingAmount.has("amount")).isFalse();
        assertThat(missingAmount.get("type").asText()).isEqualTo("PAYMENT");
        assertThat(tree("missing-eventId").has("eventId")).isFalse();
        assertThat(tree("amount-not-a-number").get("amount").asText()).isEqualTo("abc");
        assertThat(tree("negative-amount").get("amount").decimalValue()).isNegative();
        assertThat(tree("amount-wrong-type").get("amount").isBoolean()).isTrue();
        assertThat(tree("unknown-type").get("type").asText()).isEqualTo("TELEPORT");
        assertThat(tree("json-array").isArray()).isTrue();
        assertThat(tree("payment-without-pan").has("pan")).isFalse();
    }

    @Test
    void oversizedRecordIsValidJsonAboveTheLimit() throws IOException {
        BadRecords.Sample s = byName.get("oversized");
        assertThat(s.payload().length).isGreaterThan(BadRecords.MAX_RECORD_BYTES);
        assertThat(tree("oversized").get("amount").isNumber()).isTrue();
    }

    @Test
    void samplesTellWhichRawPanTheyHoldAndNeverPrintIt() {
        BadRecords.Sample s = byName.get("pan-in-malformed-body");
        assertThat(s.rawPan()).isNotNull().hasSize(16);
        assertThat(Luhn.isValid(s.rawPan())).isTrue();
        assertThat(s.payloadString()).contains(s.rawPan());
        assertThat(samples).allSatisfy(x -> {
            if (x.rawPan() != null) {
                assertThat(x.payloadString()).contains(x.rawPan());
                assertThat(x.toString()).doesNotContain(x.rawPan());
            }
        });
        assertThat(byName.get("not-json").rawPan()).isNotNull();
    }

    @Test
    void sameRandomSeedGivesTheSameSamples() {
        assertThat(BadRecords.malformedSamples(new Random(11))).isEqualTo(samples);
        assertThat(BadRecords.malformedSamples(new Random(12))).isNotEqualTo(samples);
    }

    private JsonNode tree(String name) throws IOException {
        return Row.MAPPER.readTree(byName.get(name).payload());
    }
}
