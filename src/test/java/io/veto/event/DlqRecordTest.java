package io.veto.event;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.veto.kafka.DecisionJson;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A DLQ record is masked, then cut in bytes as written, so that it always fits one Kafka request. */
class DlqRecordTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static DlqRecord of(byte[] value) {
        return DlqRecord.of("payments", 1, 42, 1_000L, "a reason", value, 2_000L);
    }

    @Test
    void shouldKeepASmallRecordWholeAndMasked() throws Exception {
        byte[] v = "{\"note\":\"4111111111111111\"}".getBytes(StandardCharsets.UTF_8);
        JsonNode n = JSON.readTree(DecisionJson.write(of(v)));
        assertThat(n.get("payload").asText()).isEqualTo("{\"note\":\"411111******1111\"}");
        assertThat(n.get("payloadBytes").asInt()).isEqualTo(v.length);
        assertThat(n.get("payloadCut").asBoolean()).isFalse();
        assertThat(n.get("error").asText()).isEqualTo("a reason");
    }

    /** Each kind of byte grows differently once escaped and encoded; none may take the record past the cap. */
    @ParameterizedTest(name = "byte {0}")
    @ValueSource(ints = {'a', 0x01, '"', 0xC3, 0xFF, 0xE2})
    void shouldCutInBytesAsWrittenWhateverTheContent(int b) throws Exception {
        byte[] v = new byte[1_000_000];
        Arrays.fill(v, (byte) b);
        byte[] written = DecisionJson.write(of(v));
        assertThat(written.length).isLessThan(DlqRecord.MAX_PAYLOAD_BYTES + DlqRecord.MAX_ERROR_BYTES + 1024);
        JsonNode n = JSON.readTree(written);
        assertThat(n.get("payloadCut").asBoolean()).isTrue();
        assertThat(n.get("payloadBytes").asInt()).isEqualTo(1_000_000);
        assertThat(n.get("payload").asText()).endsWith("…[cut]");
    }

    @Test
    void shouldNeverSplitASurrogatePairAndReplaceAnUnpairedOne() throws Exception {
        String emoji = "\ud83d\ude00".repeat(200_000);
        String cut = DlqRecord.cutToJsonBytes(emoji, 1000);
        assertThat(cut).endsWith("…[cut]");
        String kept = cut.substring(0, cut.length() - "…[cut]".length());
        assertThat(kept.length() % 2).isZero();
        assertThat(kept.codePoints()).allMatch(c -> c == 0x1F600);
        assertThat(DlqRecord.cutToJsonBytes("a\ud800b", 1000)).isEqualTo("a\ufffdb");
        byte[] written = DecisionJson.write(DlqRecord.of("t", 0, 0, 0, "type '\ud800' unknown", new byte[] {'x'}, 0));
        assertThat(JSON.readTree(written).get("error").asText()).isEqualTo("type '\ufffd' unknown");
    }

    @Test
    void shouldMaskBeforeCuttingSoThatNoCutLeavesPartOfACardNumber() {
        String text = "x".repeat(DlqRecord.MAX_PAYLOAD_BYTES - 20) + " 4111111111111111 tail";
        DlqRecord r = of(text.getBytes(StandardCharsets.UTF_8));
        assertThat(r.payload()).doesNotContain("11111111").contains("411111");
    }
}
