package io.veto.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every field is bounded before any arithmetic: times against the record's timestamp, amounts in
 * digits and scale, text in length and content, and no card number outside {@code pan}.
 */
class EventBoundsTest {
    private static final byte[] KEY = "test-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final long RECORD_TS = Instant.parse("2026-11-28T12:00:00Z").toEpochMilli();
    private final EventParser parser = new EventParser(PanPolicy.TOKENIZE, KEY, 64 * 1024, Duration.ofMinutes(5));

    private static byte[] payment(String time, String amount, String extra) {
        return ("{\"eventId\":\"e1\",\"type\":\"PAYMENT\",\"paymentId\":\"p1\",\"eventTime\":" + time
                        + ",\"merchantId\":\"m1\",\"cardToken\":\"tok_abc\",\"amount\":" + amount
                        + ",\"currency\":\"EUR\"" + extra + "}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private PaymentEvent parse(byte[] record) throws InvalidEventException {
        return parser.parse(record, "t/0/1", RECORD_TS);
    }

    private void rejected(byte[] record, String reason) {
        assertThatThrownBy(() -> parse(record))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining(reason);
    }

    @Test
    void shouldAcceptAnEventUpToTheSkewAheadOfItsRecordAndMonthsOfHistory() throws Exception {
        assertThat(parse(payment(Long.toString(RECORD_TS + 5 * 60_000), "1", ""))
                        .eventTime())
                .isEqualTo(RECORD_TS + 300_000);
        assertThat(parse(payment("\"2026-05-01T00:00:00Z\"", "1", "")).eventTime())
                .isEqualTo(Instant.parse("2026-05-01T00:00:00Z").toEpochMilli());
        assertThat(parse(payment("\"2001-01-01T00:00:00+02:00\"", "1", "")).eventTime())
                .isEqualTo(Instant.parse("2000-12-31T22:00:00Z").toEpochMilli());
    }

    @Test
    void shouldSendAFarFutureEventToTheDlqWithHowFarAhead() {
        rejected(payment(Long.toString(RECORD_TS + 5 * 60_000 + 1), "1", ""), "ahead of the record's timestamp");
        rejected(payment("\"2099-01-01T00:00:00Z\"", "1", ""), "more than the allowed skew of 300 s");
    }

    @Test
    void shouldBoundByTheClockWhenTheRecordTimestampIsInTheFuture() {
        // A producer can stamp its records with any time; the clock caps it.
        long now = System.currentTimeMillis();
        long future = now + Duration.ofDays(30).toMillis();
        assertThatThrownBy(() -> parser.parse(payment(Long.toString(future), "1", ""), "s", future))
                .hasMessageContaining("ahead of the record's timestamp");
        assertThatThrownBy(() -> parser.parse(payment(Long.toString(future), "1", ""), "s"))
                .hasMessageContaining("ahead of the record's timestamp");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "zero|0|before 2000-01-01",
                "negative|-1|before 2000-01-01",
                "long min|-9223372036854775808|before 2000-01-01",
                "epoch seconds|1764331200|epoch seconds instead of milliseconds",
                "long max|9223372036854775807|ahead of the record's timestamp",
                "beyond long|9223372036854775808|out of range",
                "huge integer|123456789012345678901234567890|out of range",
                "digits as text beyond long|\"99999999999999999999\"|out of range",
                "year 1000000000|\"+1000000000-12-31T23:59:59Z\"|out of range",
                "year -999999999|\"-999999999-01-01T00:00:00Z\"|out of range",
                "year 9999|\"9999-12-31T23:59:59Z\"|ahead of the record's timestamp",
                "fraction|1.764331200E12|must be ISO-8601 text or epoch milliseconds",
                "long text|\"2026-11-28T12:00:00.000000000000000000000000000000Z\"|characters long",
                "not a time|\"yesterday\"|neither ISO-8601 nor epoch",
                "boolean|true|must be ISO-8601",
            })
    void shouldRejectAbsurdOrUnrepresentableTimes(String name, String time, String reason) {
        rejected(payment(time, "1", ""), reason);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "plain|12.30|12.30",
                "integer|100|100",
                "text|\"12.30\"|12.30",
                "exponent|1E+3|1000",
                "exponent text|\"1.5e2\"|150",
                "trailing zeros beyond the scale|12.300000|12.3",
                "four decimals|0.0001|0.0001",
                "zero with a big exponent|0E+30|0",
                "just below the limit|999999999999.9999|999999999999.9999",
            })
    void shouldNormalizeAmountsToAtMostFourDecimalsAndNoExponent(String name, String amount, String expected)
            throws Exception {
        PaymentEvent e = parse(payment(Long.toString(RECORD_TS), amount, ""));
        assertThat(e.amount().toString()).isEqualTo(expected);
        assertThat(e.amount().scale()).isBetween(0, PaymentEvent.AMOUNT_SCALE);
        assertThat(e.amountFixed()).isEqualTo(e.amount().movePointRight(4).longValueExact());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "huge exponent|1e999999999|implausibly large",
                "huge exponent text|\"1e999999999\"|implausibly large",
                "tiny exponent|1e-999999999|decimals",
                "zero tiny exponent|0E-999999999|decimals",
                "too large|1000000000000|implausibly large",
                "five decimals|1.00001|more than 4 decimals",
                "forty-one digits|1.0000000000000000000000000000000000000001|digits",
                "thousand-digit text|\"1000000000000000000000000000000000000000000000000000000000000\"|characters long",
                "NaN text|\"NaN\"|not a number",
                "Infinity text|\"Infinity\"|not a number",
                "negative zero fraction|-0.01|negative",
                "array|[1]|must be a decimal",
            })
    void shouldRejectAmountsBeyondTheirBounds(String name, String amount, String reason) {
        rejected(payment(Long.toString(RECORD_TS), amount, ""), reason);
    }

    @Test
    @Timeout(5)
    void shouldRejectANumberTooLongToBeAnyFieldBeforeMakingItANumber() {
        rejected(payment(Long.toString(RECORD_TS), "1" + "0".repeat(5_000), ""), "malformed JSON");
        rejected(payment(Long.toString(RECORD_TS), "1", ",\"lat\":1" + "0".repeat(5_000)), "malformed JSON");
    }

    @Test
    void shouldBoundTextFields() throws Exception {
        assertThat(parse(payment(Long.toString(RECORD_TS), "1", ",\"deviceId\":\"" + "d".repeat(128) + "\""))
                        .deviceId())
                .hasSize(128);
        rejected(
                payment(Long.toString(RECORD_TS), "1", ",\"deviceId\":\"" + "d".repeat(129) + "\""),
                "'deviceId' is 129 characters long, the limit is 128");
        rejected(
                payment(Long.toString(RECORD_TS), "1", ",\"ip\":\"1.2.3\\u0000.4\""),
                "'ip' contains a control character");
        rejected(
                payment(Long.toString(RECORD_TS), "1", ",\"terminalId\":\"T\\ud800\""),
                "'terminalId' contains an unpaired surrogate");
        assertThat(parse(payment(Long.toString(RECORD_TS), "1", ",\"terminalId\":\"T\\ud83d\\ude00\""))
                        .terminalId())
                .isEqualTo("T\ud83d\ude00");
        rejected(
                payment(
                        Long.toString(RECORD_TS),
                        "1",
                        ",\"bin\":\"4111111\"}".replace("}", "") + ",\"last4\":\"11111\""),
                "'last4' must be 4 digits");
        rejected(payment(Long.toString(RECORD_TS), "1", ",\"bin\":\"41111\""), "'bin' must be 6 to 8 digits");
        rejected(payment(Long.toString(RECORD_TS), "1", ",\"bin\":\"４１１１１１\""), "'bin' must be 6 to 8 digits");
        assertThat(parse(payment(Long.toString(RECORD_TS), "1", ",\"bin\":\"41111111\",\"last4\":\"1111\""))
                        .bin())
                .isEqualTo("41111111");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "\"cardToken\":\"4111111111111111\"",
                "\"cardToken\":\"tok_4111111111111111\"",
                "\"bin\":\"4111111111111111\"",
                "\"paymentId\":\"4111 1111 1111 1111\"",
                "\"customerId\":\"4111-1111-1111-1111\"",
                "\"accountId\":\"4111.1111.1111.1111\"",
                "\"merchantId\":\"4111/1111/1111/1111\"",
                "\"terminalId\":\"4111  1111  1111  1111\"",
                "\"deviceId\":\"dev-\\u0034\\u0031\\u0031\\u0031111111111111\"",
                "\"ip\":\"４１１１１１１１１１１１１１１１\"",
                "\"mcc\":\"00004111111111111111000\"",
                "\"channel\":4111111111111111",
                "\"eventId\":\"e-378282246310005\"",
            })
    void shouldRejectACardNumberInAnyFieldButPanWithoutEchoingIt(String field) {
        String record = new String(payment(Long.toString(RECORD_TS), "1", ""), StandardCharsets.UTF_8);
        String key = field.substring(1, field.indexOf('"', 1));
        record = record.replaceFirst("\"" + key + "\":(\"[^\"]*\"|[0-9]+),?", "");
        record = record.replace("{", "{" + field + ",").replace(",}", "}");
        String finalRecord = record;
        assertThatThrownBy(() -> parse(finalRecord.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("looks like a card number")
                .satisfies(
                        e -> assertThat(e.getMessage()).doesNotContain("1111").doesNotContain("0005"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "dev-123456789012",
                "0f8fad5b-d9cb-4692-8123-456789012345",
                "12345678-1234-4234-9234-123456789012",
                "192.168.100.205",
                "411.111.111.117",
                "pay-20260105-000123",
                "T00012301",
                "1764331200000",
            })
    void shouldNotTakeOrdinaryIdsForCardNumbers(String id) throws Exception {
        assertThat(parse(payment(Long.toString(RECORD_TS), "1", ",\"deviceId\":\"" + id + "\""))
                        .deviceId())
                .isEqualTo(id);
    }
}
