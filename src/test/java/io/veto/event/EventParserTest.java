package io.veto.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EventParserTest {
    static final byte[] KEY = "test-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    static final String PAN = "4111111111111111";
    private final EventParser parser = new EventParser(PanPolicy.TOKENIZE, KEY, 1024);

    private static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String payment(String extra) {
        return "{\"eventId\":\"e1\",\"type\":\"PAYMENT\",\"paymentId\":\"p1\",\"eventTime\":\"2026-11-28T12:00:00.123Z\","
                + "\"merchantId\":\"m1\",\"amount\":12.30,\"currency\":\"eur\"" + extra + "}";
    }

    @Test
    void shouldTokenizeARawPanAndKeepOnlyBinAndLast4() throws Exception {
        PaymentEvent e =
                parser.parse(json(payment(",\"pan\":\"4111 1111 1111 1111\",\"unknownField\":{\"x\":1}")), "t/0/1");
        assertThat(e.cardToken()).startsWith("tok_").doesNotContain(PAN);
        assertThat(e.bin()).isEqualTo("411111");
        assertThat(e.last4()).isEqualTo("1111");
        assertThat(e.toString()).doesNotContain(PAN);
        assertThat(e.amount()).isEqualByComparingTo("12.30");
        assertThat(e.amount().scale()).isEqualTo(2);
        assertThat(e.currency()).isEqualTo("EUR");
        assertThat(e.eventTime())
                .isEqualTo(Instant.parse("2026-11-28T12:00:00.123Z").toEpochMilli());
    }

    @Test
    void shouldGiveTheSameTokenForTheSameCardUnderOneKeyAndADifferentOneUnderAnother() throws Exception {
        String a = parser.parse(json(payment(",\"pan\":\"" + PAN + "\"")), "s").cardToken();
        String b = parser.parse(json(payment(",\"pan\":\"4111-1111-1111-1111\"")), "s")
                .cardToken();
        String other = new EventParser(
                        PanPolicy.TOKENIZE, "another-key-0123456789".getBytes(StandardCharsets.UTF_8), 1024)
                .parse(json(payment(",\"pan\":\"" + PAN + "\"")), "s")
                .cardToken();
        assertThat(a).isEqualTo(b).isNotEqualTo(other);
    }

    @Test
    void shouldAcceptEpochMillisAndUpstreamTokens() throws Exception {
        PaymentEvent e = parser.parse(
                json("{\"eventId\":\"e1\",\"type\":\"payment\",\"paymentId\":\"p1\",\"eventTime\":1764331200000,"
                        + "\"merchantId\":\"m1\",\"amount\":\"5\",\"currency\":\"USD\",\"cardToken\":\"up-123\"}"),
                "s");
        assertThat(e.eventTime()).isEqualTo(1764331200000L);
        assertThat(e.cardToken()).isEqualTo("up-123");
        assertThat(e.type()).isEqualTo(EventType.PAYMENT);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "not json|hello|malformed JSON",
                "truncated|{\"eventId\":\"e1\",\"type\":|malformed JSON",
                "array|[1,2]|expected an object",
                "no eventId|{\"type\":\"PAYMENT\"}|'eventId'",
                "unknown type|{\"eventId\":\"e\",\"type\":\"TELEPORT\",\"eventTime\":1764331200000}|unknown event type",
                "no eventTime|{\"eventId\":\"e\",\"type\":\"PAYMENT\"}|'eventTime'",
                "bad eventTime|{\"eventId\":\"e\",\"type\":\"PAYMENT\",\"eventTime\":\"yesterday\"}|'eventTime'",
                "no amount|{\"eventId\":\"e\",\"type\":\"PAYMENT\",\"eventTime\":1764331200000,\"paymentId\":\"p\",\"cardToken\":\"c\",\"merchantId\":\"m\",\"currency\":\"EUR\"}|'amount'",
                "amount text|{\"eventId\":\"e\",\"type\":\"PAYMENT\",\"eventTime\":1764331200000,\"paymentId\":\"p\",\"cardToken\":\"c\",\"merchantId\":\"m\",\"currency\":\"EUR\",\"amount\":\"abc\"}|'amount' is not a number",
                "amount bool|{\"eventId\":\"e\",\"type\":\"PAYMENT\",\"eventTime\":1764331200000,\"paymentId\":\"p\",\"cardToken\":\"c\",\"merchantId\":\"m\",\"currency\":\"EUR\",\"amount\":true}|'amount' must be a decimal",
                "negative|{\"eventId\":\"e\",\"type\":\"PAYMENT\",\"eventTime\":1764331200000,\"paymentId\":\"p\",\"cardToken\":\"c\",\"merchantId\":\"m\",\"currency\":\"EUR\",\"amount\":-1}|negative",
                "no card|{\"eventId\":\"e\",\"type\":\"PAYMENT\",\"eventTime\":1764331200000,\"paymentId\":\"p\",\"merchantId\":\"m\",\"currency\":\"EUR\",\"amount\":1}|'cardToken' or 'pan'",
                "bad pan|{\"eventId\":\"e\",\"type\":\"PAYMENT\",\"eventTime\":1764331200000,\"paymentId\":\"p\",\"pan\":\"4111111111111112\",\"merchantId\":\"m\",\"currency\":\"EUR\",\"amount\":1}|not a valid card number",
                "object id|{\"eventId\":{\"a\":1},\"type\":\"PAYMENT\"}|'eventId' must be a string",
            })
    void shouldRejectBadRecordsWithAReason(String name, String record, String reason) {
        assertThatThrownBy(() -> parser.parse(json(record), "s"))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining(reason);
    }

    @Test
    void shouldRejectOversizedRecordsBeforeParsing() {
        assertThatThrownBy(() -> parser.parse(new byte[2048], "s")).hasMessageContaining("exceeds the limit of 1024");
    }

    @Test
    void shouldNeverEchoAPanInAnError() {
        String bad = "{\"pan\":\"" + PAN + "\", \"eventId\": oops}";
        assertThatThrownBy(() -> parser.parse(json(bad), "s"))
                .isInstanceOf(InvalidEventException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PAN));
    }

    @Test
    void shouldRejectRawPansWhenThePolicyIsReject() {
        EventParser rejecting = new EventParser(PanPolicy.REJECT, null, 1024);
        assertThatThrownBy(() -> rejecting.parse(json(payment(",\"pan\":\"" + PAN + "\"")), "s"))
                .hasMessageContaining("pan-policy is reject");
    }

    @Test
    void shouldRefuseToStartTokenizingWithoutAKey() {
        assertThatThrownBy(() -> new EventParser(PanPolicy.TOKENIZE, null, 1024))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(PanKey.ENV_KEY);
        assertThat(PanKey.from(Map.of())).isEmpty();
        assertThatThrownBy(() -> PanKey.from(Map.of(PanKey.ENV_KEY, "short"))).hasMessageContaining("at least 16");
    }

    @Test
    void shouldMaskCardNumbersInFreeText() {
        assertThat(PanMasker.mask("{\"pan\":\"4111 1111 1111 1111\"")).isEqualTo("{\"pan\":\"411111******1111\"");
        assertThat(PanMasker.mask("card 4111111111111111 used")).isEqualTo("card 411111******1111 used");
        assertThat(PanMasker.mask("{\"pan\": 4111111111111112}")).doesNotContain("4111111111111112");
        assertThat(PanMasker.mask("order 12345 of 2026")).isEqualTo("order 12345 of 2026");
    }
}
