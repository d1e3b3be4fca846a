package io.veto.backtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veto.event.EventParser;
import io.veto.event.PanPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a backtest reads its events file and labels each payment, without running the job. */
class BacktestLabelsTest {
    private static final long DAY = Duration.ofDays(1).toMillis();
    /** 2026-01-01T00:00Z: event times before 2000 are refused as absurd, so the test's times count from here. */
    private static final long T0 = 1_767_225_600_000L;

    private static String payment(String id, long time, String card, String amount) {
        return "{\"eventId\":\"e-" + id + "\",\"type\":\"PAYMENT\",\"paymentId\":\"" + id + "\",\"eventTime\":"
                + (T0 + time) + ",\"cardToken\":\"" + card + "\",\"merchantId\":\"m-1\",\"amount\":" + amount
                + ",\"currency\":\"EUR\"}";
    }

    private static String chargeback(String id, long time, String card) {
        return "{\"eventId\":\"cb-" + id + "\",\"type\":\"CHARGEBACK\",\"paymentId\":\"" + id + "\",\"eventTime\":"
                + (T0 + time) + ",\"cardToken\":\"" + card + "\",\"amount\":1,\"currency\":\"EUR\"}";
    }

    private static EventScan scan(Path dir, List<String> lines) throws Exception {
        Path events = dir.resolve("events.jsonl");
        Files.write(events, lines);
        return EventScan.run(
                events, new EventParser(PanPolicy.REJECT, null, EventParser.DEFAULT_MAX_BYTES), dir.resolve("rows"));
    }

    @Test
    void shouldLabelAPaymentFraudOnlyWhenItsChargebackComesWithinTheWindow(@TempDir Path dir) throws Exception {
        EventScan s = scan(
                dir,
                List.of(
                        payment("p1", 0, "c1", "10.50"),
                        payment("p2", 1000, "c2", "0.0001"),
                        payment("p3", 2000, "c3", "7"),
                        "",
                        chargeback("p1", 3 * DAY, "c1"),
                        chargeback("p2", 30 * DAY, "c2"),
                        chargeback("p1", 40 * DAY, "c1")));

        PaymentsCsv.Counts counts = PaymentsCsv.label(
                dir.resolve("rows"), dir.resolve("payments.csv"), s.chargebacks, Duration.ofDays(7), null);

        assertThat(counts).isEqualTo(new PaymentsCsv.Counts(3, 1));
        assertThat(Files.readAllLines(dir.resolve("payments.csv")))
                .containsExactly(
                        "paymentId,eventTime,cardToken,amount,currency,label",
                        "p1," + T0 + ",c1,10.50,EUR,1",
                        "p2," + (T0 + 1000) + ",c2,0.0001,EUR,0",
                        "p3," + (T0 + 2000) + ",c3,7,EUR,0");
        assertThat(s.events).isEqualTo(6);
        assertThat(s.payments).isEqualTo(3);
        assertThat(s.disorderMillis).isZero();
    }

    @Test
    void shouldTakeLabelsFromACsvInsteadOfChargebacks(@TempDir Path dir) throws Exception {
        EventScan s = scan(
                dir, List.of(payment("p1", 0, "c1", "1"), payment("p2", 5, "c1", "2"), chargeback("p1", DAY, "c1")));
        Path labels = dir.resolve("labels.csv");
        Files.write(labels, List.of("paymentId,label", "p2,1", "p1,0"));

        PaymentsCsv.label(
                dir.resolve("rows"),
                dir.resolve("payments.csv"),
                s.chargebacks,
                Duration.ofDays(120),
                Backtest.readLabels(labels));

        assertThat(Files.readAllLines(dir.resolve("payments.csv")))
                .containsExactly(
                        "paymentId,eventTime,cardToken,amount,currency,label",
                        "p1," + T0 + ",c1,1,EUR,0",
                        "p2," + (T0 + 5) + ",c1,2,EUR,1");
    }

    @Test
    void shouldRejectALabelThatIsNeitherZeroNorOneWithItsLine(@TempDir Path dir) throws Exception {
        Path labels = dir.resolve("labels.csv");
        Files.write(labels, List.of("p1,1", "p2,yes"));

        assertThatThrownBy(() -> Backtest.readLabels(labels))
                .isInstanceOf(Backtest.BacktestException.class)
                .hasMessageContaining("labels.csv:2: label must be 1 (fraud) or 0, got 'yes'");
    }

    @Test
    void shouldMeasureHowFarEventTimeGoesBackAndCountBadLines(@TempDir Path dir) throws Exception {
        EventScan s = scan(
                dir,
                List.of(
                        payment("p1", 10_000, "c1", "1"),
                        "{not json",
                        payment("p2", 7_500, "c2", "1"),
                        payment("p3", 9_000, "c1", "1")));

        assertThat(s.disorderMillis).isEqualTo(2_500);
        assertThat(s.rejected).isEqualTo(1);
        assertThat(s.firstRejection).startsWith("events.jsonl:2: ");
        assertThat(Map.of("first", s.firstEventTime, "last", s.lastEventTime))
                .isEqualTo(Map.of("first", T0 + 7_500L, "last", T0 + 10_000L));
    }

    @Test
    void shouldReportARawCardNumberWhenThereIsNoKeyToTokenizeIt(@TempDir Path dir) throws Exception {
        EventScan s = scan(
                dir,
                List.of(
                        "{\"eventId\":\"e1\",\"type\":\"PAYMENT\",\"paymentId\":\"p1\",\"eventTime\":1767225600000,\"pan\":\"4111111111111111\","
                                + "\"merchantId\":\"m\",\"amount\":1,\"currency\":\"EUR\"}"));

        assertThat(s.panProblem).contains("events.jsonl:1").doesNotContain("4111111111111111");
        assertThat(s.payments).isZero();
    }
}
