package io.veto.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DeliveryOptionsTest {
    private static JobOptions parse(String... args) {
        JobOptions o = new JobOptions();
        new CommandLine(o).parseArgs(args);
        return o;
    }

    @Test
    void shouldRefuseExactlyOnceWithoutCheckpoints() {
        JobOptions o = parse("--delivery", "EXACTLY_ONCE", "--checkpoint-interval", "0s");
        assertThatThrownBy(() -> VetoJob.checkDelivery(o)).hasMessageContaining("--checkpoint-interval");
    }

    @Test
    void shouldRefuseATransactionTimeoutShorterThanTwoCheckpointIntervals() {
        JobOptions o =
                parse("--delivery", "EXACTLY_ONCE", "--checkpoint-interval", "1m", "--transaction-timeout", "90s");
        assertThatThrownBy(() -> VetoJob.checkDelivery(o)).hasMessageContaining("--transaction-timeout");
    }

    @Test
    void shouldAcceptTheDefaultsInBothModes() {
        assertThatCode(() -> VetoJob.checkDelivery(parse("--delivery", "EXACTLY_ONCE")))
                .doesNotThrowAnyException();
        assertThatCode(() -> VetoJob.checkDelivery(parse("--checkpoint-interval", "0s")))
                .doesNotThrowAnyException();
    }

    @Test
    void shouldGiveTheProducersATransactionTimeoutBelowTheBrokersDefaultMaximum() {
        JobOptions o = parse("--delivery", "EXACTLY_ONCE");
        long timeout = Long.parseLong(KafkaConnectors.producerProperties(o).getProperty("transaction.timeout.ms"));
        assertThat(timeout)
                .isEqualTo(Duration.ofMinutes(10).toMillis())
                .isLessThan(Duration.ofMinutes(15).toMillis());
        assertThat(KafkaConnectors.producerProperties(parse("--transaction-timeout", "5m"))
                        .getProperty("transaction.timeout.ms"))
                .isEqualTo("300000");
    }
}
