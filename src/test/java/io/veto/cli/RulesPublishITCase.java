package io.veto.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.veto.kafka.KafkaBrokerExtension;
import io.veto.rule.RuleSet;
import io.veto.rule.RuleSetCodec;
import io.veto.rule.RuleStatus;
import io.veto.stage.RuleSetGuard;
import io.veto.testing.RuleKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code rules publish} against a real broker; the job's side of the protocol is played by the test. */
class RulesPublishITCase {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static final Path DEFAULT = Path.of("rules/default");
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @TempDir
    static Path keys;

    private static String[] publish(String topic, String... more) {
        String[] base = {
            "rules",
            "publish",
            DEFAULT.toString(),
            "--bootstrap-servers",
            KAFKA.bootstrapServers(),
            "--topic",
            topic,
            "--signing-key",
            RuleKeys.signingKeyFile(keys).toString()
        };
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    private static ProducerRecord<byte[], byte[]> status(
            String topic, String version, RuleStatus.State state, List<String> problems) {
        RuleStatus s = new RuleStatus("default", version, state, problems, 2, System.currentTimeMillis());
        return new ProducerRecord<>(topic, "default".getBytes(StandardCharsets.UTF_8), s.toJson());
    }

    @Test
    void shouldPublishTheRuleSetKeyedByItsNameSoThatItDecodesToTheSameRuleSetAndVersion() throws Exception {
        String topic = KAFKA.newTopic("veto-rules", 1);
        RuleSet local = RuleSet.fromDirectory(DEFAULT);

        Cli.Run r = Cli.run(publish(topic));

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.out()).isEqualTo("published " + local.version() + " to " + topic + " (partition 0, offset 0)\n");
        List<ConsumerRecord<byte[], byte[]>> records = KAFKA.drainAll(topic, Duration.ofSeconds(10));
        assertThat(records).hasSize(1);
        assertThat(new String(records.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("default");
        RuleSet published = RuleSetCodec.decode(records.get(0).value());
        assertThat(published).isEqualTo(local);
        assertThat(published.version()).isEqualTo(local.version());
        // Signed for the job's public key: the job's guard accepts it as it is.
        assertThat(new RuleSetGuard(RuleKeys.publicKey())
                        .check(records.get(0).value(), "t/0/0")
                        .problems())
                .isNull();
    }

    @Test
    void shouldPublishNothingWithoutASigningKey() {
        String topic = KAFKA.newTopic("veto-rules", 1);

        Cli.Run r = Cli.run(
                "rules",
                "publish",
                DEFAULT.toString(),
                "--bootstrap-servers",
                KAFKA.bootstrapServers(),
                "--topic",
                topic);

        assertThat(r.exit()).as(r.all()).isEqualTo(VetoCli.USAGE);
        assertThat(r.err())
                .contains("not published: the job accepts only signed rule sets")
                .contains("--signing-key")
                .contains("VETO_RULES_SIGNING_KEY");
        assertThat(KAFKA.drainAll(topic, Duration.ofSeconds(2))).isEmpty();
    }

    @Test
    void shouldRefuseToPublishARuleSetWithAProblemOrAFailingExample(@TempDir Path tmp) throws IOException {
        String topic = KAFKA.newTopic("veto-rules", 1);
        Path broken = tmp.resolve("broken");
        Cli.copy(DEFAULT, broken);
        Files.writeString(broken.resolve("extra.yaml"), "rules:\n  - id: r\n    when: amont > 1\n    points: 1\n");
        Path failing = tmp.resolve("failing");
        Cli.copy(DEFAULT, failing);
        Cli.edit(failing.resolve("lists/blocked-countries.yaml"), "  - KP\n", "");

        Cli.Run invalid = Cli.run(
                "rules",
                "publish",
                broken.toString(),
                "--bootstrap-servers",
                KAFKA.bootstrapServers(),
                "--topic",
                topic);
        Cli.Run untested = Cli.run(
                "rules",
                "publish",
                failing.toString(),
                "--bootstrap-servers",
                KAFKA.bootstrapServers(),
                "--topic",
                topic);

        assertThat(invalid.exit()).isEqualTo(VetoCli.PROBLEM);
        assertThat(invalid.err())
                .contains("extra.yaml:3:11: undeclared reference to 'amont'")
                .contains("not published: ");
        assertThat(untested.exit()).isEqualTo(VetoCli.PROBLEM);
        assertThat(untested.err())
                .contains(
                        "blocked-countries.yaml:13: example \"a payment at a merchant in a sanctioned country is denied\" fails: "
                                + "expected decision DENY, got APPROVE; expected list:blocked-countries to fire; it did not")
                .contains("not published: 1 example failed");
        assertThat(KAFKA.drainAll(topic, Duration.ofSeconds(2))).isEmpty();
    }

    @Test
    void shouldWaitForTheJobToApplyThePublishedVersion() throws Exception {
        String topic = KAFKA.newTopic("veto-rules", 1);
        String statusTopic = KAFKA.newTopic("veto-rules-status", 1);
        String version = RuleSet.fromDirectory(DEFAULT).version();

        CompletableFuture<Cli.Run> run = CompletableFuture.supplyAsync(
                () -> Cli.run(publish(topic, "--wait", "--status-topic", statusTopic, "--timeout", "60s")));
        // The rule set on the rules topic means the command is already reading the status topic.
        assertThat(KAFKA.drain(topic, 1, PATIENCE)).hasSize(1);
        KAFKA.produce(
                statusTopic,
                List.of(
                        status(
                                statusTopic,
                                "default@000000000000",
                                RuleStatus.State.REJECTED,
                                List.of("someone else's")),
                        status(statusTopic, version, RuleStatus.State.APPLIED, List.of())));
        Cli.Run r = run.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.out())
                .endsWith("waiting up to 60s for the job's answer on " + statusTopic + " ...\nAPPLIED " + version
                        + " on 2 subtasks\n");
    }

    @Test
    void shouldReportTheJobsRejectionWithItsProblemsAndIgnoreAnAnswerFromBeforeThePublish() throws Exception {
        String topic = KAFKA.newTopic("veto-rules", 1);
        String statusTopic = KAFKA.newTopic("veto-rules-status", 1);
        String version = RuleSet.fromDirectory(DEFAULT).version();
        // An answer to an earlier publish of the same version must not be taken for this one's.
        KAFKA.produce(statusTopic, List.of(status(statusTopic, version, RuleStatus.State.APPLIED, List.of())));

        CompletableFuture<Cli.Run> run = CompletableFuture.supplyAsync(
                () -> Cli.run(publish(topic, "--wait", "--status-topic", statusTopic, "--timeout", "60s")));
        assertThat(KAFKA.drain(topic, 1, PATIENCE)).hasSize(1);
        KAFKA.produce(
                statusTopic,
                List.of(status(
                        statusTopic,
                        version,
                        RuleStatus.State.REJECTED,
                        List.of("velocity.yaml:4:11: features of 'merchant' are not computed by this job"))));
        Cli.Run r = run.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

        assertThat(r.exit()).as(r.all()).isEqualTo(VetoCli.PROBLEM);
        assertThat(r.out())
                .endsWith("REJECTED " + version + ": the job keeps its current rule set\n"
                        + "  velocity.yaml:4:11: features of 'merchant' are not computed by this job\n");
    }

    @Test
    void shouldGiveUpWithoutAnAnswerWithinTheTimeout() {
        String topic = KAFKA.newTopic("veto-rules", 1);
        String statusTopic = KAFKA.newTopic("veto-rules-status", 1);

        Cli.Run r = Cli.run(publish(topic, "--wait", "--status-topic", statusTopic, "--timeout", "2s"));

        assertThat(r.exit()).isEqualTo(VetoCli.UNREACHABLE);
        assertThat(r.out()).startsWith("published default@");
        assertThat(r.err()).startsWith("no answer for default@").contains(" on " + statusTopic + " within 2s");
    }

    @Test
    void shouldPublishNothingWhenTheStatusTopicDoesNotExist() {
        String topic = KAFKA.newTopic("veto-rules", 1);

        Cli.Run r = Cli.run(publish(topic, "--wait", "--status-topic", "no-such-status-topic", "--timeout", "5s"));

        assertThat(r.exit()).isEqualTo(VetoCli.UNREACHABLE);
        assertThat(r.err())
                .contains("status topic no-such-status-topic does not exist")
                .contains("Nothing was published.");
        assertThat(KAFKA.drainAll(topic, Duration.ofSeconds(2))).isEmpty();
    }
}
