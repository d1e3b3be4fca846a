package io.veto.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rules history} and what {@code rules backtest} refuses before it starts a job; the
 * backtest itself is {@code BacktestITCase}.
 */
class RulesBacktestCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shouldWriteAHistoryWhoseFraudsAreChargedBackDaysLaterInEventTimeOrder(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("h.jsonl");

        Cli.Run run = Cli.run(
                "rules",
                "history",
                "--days",
                "3",
                "--cards",
                "300",
                "--fraud-rate",
                "0.05",
                "--chargeback-delay",
                "2d",
                "--chargeback-jitter",
                "1d",
                "--out",
                out.toString());

        assertThat(run.exit()).as(run.all()).isZero();
        assertThat(run.out()).contains("history | ").contains("of them fraud, each charged back 2d +- 1d later");
        List<JsonNode> events = new ArrayList<>();
        for (String line : Files.readAllLines(out)) {
            events.add(JSON.readTree(line));
        }
        Map<String, Long> fraudPayments = new HashMap<>();
        Map<String, Long> chargebacks = new HashMap<>();
        long previous = Long.MIN_VALUE;
        for (JsonNode e : events) {
            assertThat(e.has("pan")).as("a card number in the history").isFalse();
            long t = Instant.parse(e.get("eventTime").asText()).toEpochMilli();
            assertThat(t).isGreaterThanOrEqualTo(previous);
            previous = t;
            String type = e.get("type").asText();
            if (type.equals("PAYMENT")) {
                assertThat(e.get("cardToken").asText()).startsWith("card-");
                if (e.hasNonNull("fraudLabel")) {
                    fraudPayments.put(e.get("paymentId").asText(), t);
                }
            } else if (type.equals("CHARGEBACK")) {
                chargebacks.put(e.get("paymentId").asText(), t);
            }
        }
        assertThat(fraudPayments).hasSizeGreaterThan(20);
        assertThat(chargebacks.keySet()).isEqualTo(fraudPayments.keySet());
        chargebacks.forEach((id, t) -> assertThat(Duration.ofMillis(t - fraudPayments.get(id)))
                .isBetween(Duration.ofDays(1), Duration.ofDays(3)));
    }

    @Test
    void shouldNotRunABacktestOfABrokenRuleSet(@TempDir Path dir) throws Exception {
        Path set = dir.resolve("broken");
        Cli.copy(Path.of("rules/default"), set);
        Cli.edit(set.resolve("velocity.yaml"), "card.count_10m > 5", "card.cnt_10m > 5");
        Path events = Files.writeString(dir.resolve("e.jsonl"), "{}\n");

        Cli.Run run = Cli.run(
                "rules",
                "backtest",
                set.toString(),
                "--events",
                events.toString(),
                "--out",
                dir.resolve("out").toString());

        assertThat(run.exit()).isEqualTo(VetoCli.PROBLEM);
        assertThat(run.err())
                .contains("velocity.yaml:")
                .contains("unknown aggregate 'cnt'")
                .contains("backtest: not run, a rule set has problems");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void shouldRefuseAMissingEventsFileAndABadReviewRate(@TempDir Path dir) {
        Cli.Run missing = Cli.run(
                "rules",
                "backtest",
                "rules/default",
                "--events",
                dir.resolve("none.jsonl").toString(),
                "--out",
                dir.toString());
        Cli.Run rate = Cli.run("rules", "backtest", "rules/default", "--events", "x.jsonl", "--review-rate", "150%");
        Cli.Run neither = Cli.run("rules", "backtest", "rules/default");

        assertThat(missing.exit()).isEqualTo(VetoCli.USAGE);
        assertThat(missing.err()).contains("none.jsonl: no such file");
        assertThat(rate.exit()).isEqualTo(VetoCli.USAGE);
        assertThat(rate.err()).contains("--review-rate: '150%' must be more than 0 and at most 100%");
        assertThat(neither.exit()).isEqualTo(VetoCli.USAGE);
        assertThat(neither.err()).contains("--events");
    }

    @Test
    void shouldReadReviewRatesAsPercentOrShare() {
        assertThat(BacktestCommand.parseRate("0.5%")).isEqualTo(0.005);
        assertThat(BacktestCommand.parseRate("0.02")).isEqualTo(0.02);
    }
}
