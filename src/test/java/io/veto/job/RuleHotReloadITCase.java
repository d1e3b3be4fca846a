package io.veto.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.veto.decision.Decision;
import io.veto.generator.GeneratedEvent;
import io.veto.generator.GeneratorConfig;
import io.veto.generator.PaymentGenerator;
import io.veto.kafka.DecisionJson;
import io.veto.kafka.KafkaBrokerExtension;
import io.veto.rule.RuleSet;
import io.veto.rule.RuleStatus;
import io.veto.testing.JobTestSupport;
import io.veto.testing.Payments;
import io.veto.testing.RuleKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Rule sets published to the rules topic of a running job (MiniCluster, parallelism 2, real
 * broker): a new version takes over without a restart and without losing or double-deciding a
 * payment, and broken versions are rejected with their problem while the last good one stays.
 */
class RuleHotReloadITCase {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster();

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private final PaymentGenerator generator =
            new PaymentGenerator(GeneratorConfig.defaults().withSeed(11).withCards(500));
    private JobOptions o;

    @Test
    void shouldApplyANewRuleSetMidStreamAndRejectBrokenOnes() throws Exception {
        o = JobTestSupport.freshOptions(KAFKA);

        RuleSet initial = RuleSet.fromDirectory(Path.of("rules/default"));
        RuleSet v1 =
                Payments.ruleSet("analysts", 40, 80, "rules:\n  - id: big\n    when: amount >= 100\n    points: 50\n");
        // v2 also reads a merchant feature, which no rule read before: the job starts computing it.
        RuleSet v2 = Payments.ruleSet(
                "analysts",
                40,
                80,
                "rules:\n  - id: big\n    when: amount >= 100 && merchant.count_1h >= 1\n    points: 90\n");

        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(VetoJob.flinkConfiguration(o));
        VetoJob.configure(env, o);
        VetoPipeline.build(
                env,
                VetoJob.kafkaIo(
                        o,
                        KafkaConnectors.paymentsSourceBuilder(
                                        o, () -> "hot-reload-test-key-0123".getBytes(StandardCharsets.UTF_8))
                                .setStartingOffsets(OffsetsInitializer.earliest())
                                .build(),
                        KafkaConnectors.rulesSource(o, RuleKeys.supplier())),
                initial,
                o);
        JobClient job = env.executeAsync("veto-hot-reload");
        try (KafkaConsumer<byte[], byte[]> status = KAFKA.subscribe(o.rulesStatusTopic, "status")) {
            // Given v1 is active,
            publish(v1);
            assertThat(JobTestSupport.awaitRuleStatus(status, v1.version(), TIMEOUT)
                            .state())
                    .isEqualTo(RuleStatus.State.APPLIED);

            // when payments flow and v2 is published mid-stream,
            Set<String> before = sendPayments(1_500);
            publish(v2);
            RuleStatus applied = JobTestSupport.awaitRuleStatus(status, v2.version(), TIMEOUT);
            assertThat(applied.state()).isEqualTo(RuleStatus.State.APPLIED);
            assertThat(applied.subtasks()).isEqualTo(2);
            Set<String> after = sendPayments(1_500);

            // then every payment is decided once, by v1 or v2, and those sent after the acknowledgement by v2.
            Map<String, Decision> decisions = awaitDecisions(before.size() + after.size());
            assertThat(decisions.keySet()).containsAll(before).containsAll(after);
            assertThat(decisions.values())
                    .extracting(Decision::ruleSetVersion)
                    .containsOnly(v1.version(), v2.version());
            assertThat(after)
                    .allSatisfy(
                            id -> assertThat(decisions.get(id).ruleSetVersion()).isEqualTo(v2.version()));
            // Each decision carries exactly the features of its own rule set: merchant.count_1h with v2, never with v1.
            assertThat(decisions.values())
                    .allSatisfy(
                            d -> assertThat(java.util.List.of(d.featureNames()).contains("merchant.count_1h"))
                                    .as("merchant feature in %s", d.ruleSetVersion())
                                    .isEqualTo(d.ruleSetVersion().equals(v2.version())));
            assertThat(after)
                    .allSatisfy(id -> assertThat(valueOf(decisions.get(id), "merchant.count_1h"))
                            .isGreaterThanOrEqualTo(1.0));

            // Broken sets are each rejected with their problem, and v2 stays active.
            Map<String, String> broken = new TreeMap<>(Map.of(
                    "syntax", "amount >",
                    "type", "amount > \"ten\"",
                    "unknown feature", "card.velocity_10m > 1",
                    "code", "'T(java.lang.Runtime).exec(\"x\")'",
                    "regex", "'merchant_id.matches(\"(a+)+$\")'"));
            Map<String, String> expected = Map.of(
                    "syntax", "syntax error",
                    "type", "no matching overload",
                    "unknown feature", "unknown aggregate 'velocity'",
                    "code", "undeclared reference to 'T'",
                    "regex", "nests quantifiers");
            for (Map.Entry<String, String> b : broken.entrySet()) {
                RuleSet bad = Payments.ruleSet(
                        "analysts", 40, 80, "rules:\n  - id: broken\n    when: " + b.getValue() + "\n    points: 90\n");
                publish(bad);
                RuleStatus rejected = JobTestSupport.awaitRuleStatus(status, bad.version(), TIMEOUT);
                assertThat(rejected.state()).as(b.getKey()).isEqualTo(RuleStatus.State.REJECTED);
                assertThat(String.join("\n", rejected.problems()))
                        .as(b.getKey())
                        .contains("rules.yaml:3:")
                        .contains(expected.get(b.getKey()));
            }
            Set<String> last = sendPayments(300);
            Map<String, Decision> all = awaitDecisions(before.size() + after.size() + last.size());
            assertThat(last)
                    .allSatisfy(id -> assertThat(all.get(id).ruleSetVersion()).isEqualTo(v2.version()));
        } finally {
            job.cancel().get();
        }
    }

    private static double valueOf(Decision d, String feature) {
        for (int i = 0; i < d.featureNames().length; i++) {
            if (d.featureNames()[i].equals(feature)) {
                return d.featureValues()[i];
            }
        }
        throw new AssertionError(feature + " not in the decision of " + d.paymentId());
    }

    private void publish(RuleSet rs) {
        KAFKA.produce(
                o.rulesTopic,
                List.of(new ProducerRecord<>(
                        o.rulesTopic, rs.name().getBytes(StandardCharsets.UTF_8), RuleKeys.signed(rs))));
    }

    /** Sends generated events until {@code payments} PAYMENT events were sent; returns their ids. */
    private Set<String> sendPayments(int payments) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        while (ids.size() < payments) {
            GeneratedEvent e = generator.next();
            records.add(new ProducerRecord<>(o.paymentsTopic, e.key().getBytes(StandardCharsets.UTF_8), e.json()));
            if (e.isPayment()) {
                ids.add(e.paymentId());
            }
        }
        KAFKA.produce(o.paymentsTopic, records);
        return ids;
    }

    /** All decisions so far by paymentId, once at least {@code count} arrived; fails on a duplicate. */
    private Map<String, Decision> awaitDecisions(int count) {
        List<ConsumerRecord<byte[], byte[]>> records = KAFKA.drain(o.decisionsTopic, count, TIMEOUT);
        List<Decision> decisions =
                records.stream().map(r -> DecisionJson.read(r.value())).toList();
        assertThat(decisions).hasSize(count);
        assertThat(decisions).extracting(Decision::paymentId).doesNotHaveDuplicates();
        return decisions.stream().collect(Collectors.toMap(Decision::paymentId, d -> d));
    }
}
