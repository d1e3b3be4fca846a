package io.veto.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class GeneratorCommandTest {

    @Test
    void parsesHumanDurations() {
        assertThat(GeneratorCommand.DurationConverter.parse("60s")).isEqualTo(Duration.ofSeconds(60));
        assertThat(GeneratorCommand.DurationConverter.parse("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(GeneratorCommand.DurationConverter.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(GeneratorCommand.DurationConverter.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(GeneratorCommand.DurationConverter.parse("2d")).isEqualTo(Duration.ofDays(2));
        assertThat(GeneratorCommand.DurationConverter.parse("PT5M")).isEqualTo(Duration.ofMinutes(5));
        assertThat(GeneratorCommand.DurationConverter.parse("90")).isEqualTo(Duration.ofSeconds(90));
        assertThatThrownBy(() -> GeneratorCommand.DurationConverter.parse("5 minutes"))
                .isInstanceOf(CommandLine.TypeConversionException.class);
        assertThatThrownBy(() -> GeneratorCommand.DurationConverter.parse("m5"))
                .isInstanceOf(CommandLine.TypeConversionException.class);
    }

    @Test
    void optionsBecomeAGeneratorConfig() {
        GeneratorCommand command = new GeneratorCommand();
        new CommandLine(command)
                .parseArgs(
                        "--bootstrap-servers",
                        "broker:29092",
                        "--topic",
                        "payments",
                        "--rate",
                        "250",
                        "--duration",
                        "5m",
                        "--count",
                        "1000",
                        "--seed",
                        "7",
                        "--cards",
                        "500",
                        "--fraud-rate",
                        "0.02",
                        "--start-time",
                        "2026-11-28T18:40:00Z",
                        "--epoch-millis");
        GeneratorConfig c = command.config();
        assertThat(command.bootstrapServers).isEqualTo("broker:29092");
        assertThat(command.rate).isEqualTo(250);
        assertThat(command.duration).isEqualTo(Duration.ofMinutes(5));
        assertThat(command.count).isEqualTo(1000);
        assertThat(c.seed()).isEqualTo(7);
        assertThat(c.cards()).isEqualTo(500);
        assertThat(c.merchants()).isEqualTo(GeneratorConfig.defaults().merchants());
        assertThat(c.fraudRate()).isEqualTo(0.02);
        assertThat(c.startTime()).isEqualTo(Instant.parse("2026-11-28T18:40:00Z"));
        assertThat(c.epochMillisTime()).isTrue();
        assertThat(c.live()).isFalse();
        assertThat(c.runId())
                .isEqualTo(Long.toString(Instant.parse("2026-11-28T18:40:00Z").getEpochSecond(), 36));
    }

    @Test
    void defaultsStartNowAndLiveTimeUsesTheWallClock() {
        GeneratorCommand command = new GeneratorCommand();
        new CommandLine(command).parseArgs("--live-time", "--run-id", "");
        GeneratorConfig c = command.config();
        assertThat(command.topic).isEqualTo("payments");
        assertThat(command.bootstrapServers).isEqualTo("localhost:9092");
        assertThat(command.duration).isNull();
        assertThat(c.live()).isTrue();
        assertThat(c.runId()).isEmpty();
        assertThat(c.startTime()).isBetween(Instant.now().minusSeconds(5), Instant.now());
    }

    @Test
    void rejectsABadDurationWithAUsageError() {
        StringWriter err = new StringWriter();
        int code = new CommandLine(new GeneratorCommand())
                .setErr(new PrintWriter(err))
                .execute("--duration", "soon");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("not a duration");
    }
}
