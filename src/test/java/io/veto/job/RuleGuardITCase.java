package io.veto.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.veto.decision.Decision;
import io.veto.kafka.DecisionJson;
import io.veto.kafka.KafkaBrokerExtension;
import io.veto.rule.RuleSet;
import io.veto.rule.RuleSetCodec;
import io.veto.rule.RuleSetLimits;
import io.veto.rule.RuleStatus;
import io.veto.testing.JobTestSupport;
import io.veto.testing.Payments;
import io.veto.testing.RuleKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
 * Published rule sets that must not take over or stop decisions (MiniCluster, parallelism 2, real
 * broker): unsigned, tampered, wrongly named, over-limit and example-failing sets are each answered
 * REJECTED with the reason, and a payment sent after each rejection is decided by the previous set.
 */
class RuleGuardITCase {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster();

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private JobOptions o;
    private int sent;

    @Test
    void shouldRejectEachHostileRuleSetWithItsReasonAndKeepDecidingWithThePreviousSet() throws Exception {
        o = JobTestSupport.freshOptions(KAFKA);
        RuleSet initial = RuleSet.fromDirectory(Path.of("rules/default"));
        RuleSet good =
                Payments.ruleSet("analysts", 40, 80, "rules:\n  - id: big\n    when: amount >= 100\n    points: 50\n");

        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(VetoJob.flinkConfiguration(o));
        VetoJob.configure(env, o);
        VetoPipeline.build(
                env,
                VetoJob.kafkaIo(
                        o,
                        KafkaConnectors.paymentsSourceBuilder(
                                        o, () -> "rule-guard-test-key-0123".getBytes(StandardCharsets.UTF_8))
                                .setStartingOffsets(OffsetsInitializer.earliest())
                                .build(),
                        KafkaConnectors.rulesSource(o, RuleKeys.supplier())),
                initial,
                o);
        JobClient job = env.executeAsync("veto-rule-guard");
        try (KafkaConsumer<byte[], byte[]> status = KAFKA.subscribe(o.rulesStatusTopic, "status");
                KafkaConsumer<byte[], byte[]> decisions = KAFKA.subscribe(o.decisionsTopic, "decisions")) {
            // The job starts with the set of its configuration, not one from the topic.
            assertThat(decide(decisions).ruleSetVersion()).isEqualTo(initial.version());

            publish(RuleKeys.signed(good));
            assertThat(JobTestSupport.awaitRuleStatus(status, good.version(), TIMEOUT)
                            .state())
                    .isEqualTo(RuleStatus.State.APPLIED);
            Decision before = decide(decisions);
            assertThat(before.ruleSetVersion()).isEqualTo(good.version());
            assertThat(before.reasons()).extracting(r -> r.ruleId()).containsExactly("big");

            // Each hostile set, what the status must say, and its version as the status names it.
            RuleSet takeover = Payments.ruleSet(
                    "analysts", 40, 80, "rules:\n  - id: all\n    when: amount >= 0\n    outcome: DENY\n");
            TreeMap<String, String> tamperedFiles = new TreeMap<>(good.files());
            tamperedFiles.put("rules.yaml", takeover.files().get("rules.yaml"));
            RuleSet tampered = new RuleSet("analysts", tamperedFiles);
            String goodSignature =
                    RuleSetCodec.decodePublished(RuleKeys.signed(good)).signature();
            RuleSet misnamed = new RuleSet("Analysts/../x", good.files());
            StringBuilder many = new StringBuilder("rules:\n");
            for (int i = 0; i <= RuleSetLimits.MAX_RULES; i++) {
                many.append("  - id: r")
                        .append(i)
                        .append("\n    when: amount > ")
                        .append(i)
                        .append(".5\n    points: 1\n");
            }
            RuleSet overLimit = Payments.ruleSet("analysts", 40, 80, many.toString());
            StringBuilder heavy = new StringBuilder("rules:\n");
            for (int i = 0; i < 70; i++) {
                heavy.append("  - id: h")
                        .append(i)
                        .append("\n    when: ")
                        .append(heavyCondition())
                        .append("\n    points: 1\n");
            }
            RuleSet costly = Payments.ruleSet("analysts", 40, 80, heavy.toString());
            RuleSet failingExample = Payments.ruleSet(
                    "analysts",
                    40,
                    80,
                    "rules:\n  - id: all\n    when: amount >= 0\n    outcome: DENY\n"
                            + "examples:\n  - name: a small payment is approved\n    payments:\n      - {amount: 5}\n    expect: {decision: APPROVE}\n");

            record Hostile(String what, byte[] json, String version, String reason) {}
            Map<String, Hostile> hostile = new LinkedHashMap<>();
            hostile.put(
                    "unsigned",
                    new Hostile(
                            "unsigned",
                            RuleSetCodec.encode(takeover),
                            takeover.version(),
                            "the rule set is not signed"));
            hostile.put(
                    "tampered",
                    new Hostile(
                            "tampered",
                            RuleSetCodec.encode(tampered, goodSignature),
                            tampered.version(),
                            "the signature does not match"));
            hostile.put(
                    "misnamed",
                    new Hostile("misnamed", RuleKeys.signed(misnamed), "?", "rule-set name 'Analysts/../x' must be"));
            hostile.put(
                    "over the rule limit",
                    new Hostile(
                            "over the rule limit",
                            RuleKeys.signed(overLimit),
                            overLimit.version(),
                            "the rule set has 201 rules; the limit is 200"));
            hostile.put(
                    "over the evaluation budget",
                    new Hostile(
                            "over the evaluation budget",
                            RuleKeys.signed(costly),
                            costly.version(),
                            "expression nodes on one payment (worst case); the limit is 25000"));
            hostile.put(
                    "example fails",
                    new Hostile(
                            "example fails",
                            RuleKeys.signed(failingExample),
                            failingExample.version(),
                            "rules.yaml:6:5: example \"a small payment is approved\" fails: expected decision APPROVE, got DENY"));

            for (Hostile h : hostile.values()) {
                publish(h.json());
                RuleStatus s = JobTestSupport.awaitRuleStatus(status, h.version(), TIMEOUT);
                assertThat(s.state()).as(h.what()).isEqualTo(RuleStatus.State.REJECTED);
                assertThat(String.join("\n", s.problems())).as(h.what()).contains(h.reason());
                // The previous set stays active: a payment sent now is decided by it.
                Decision after = decide(decisions);
                assertThat(after.ruleSetVersion()).as(h.what()).isEqualTo(good.version());
                assertThat(after.decision()).as(h.what()).isEqualTo(before.decision());
            }
        } finally {
            job.cancel().get();
        }
    }

    /** Never true, and about 400 nodes in under 2,000 characters: 70 of them are over the per-payment budget. */
    private static String heavyCondition() {
        StringBuilder list = new StringBuilder("event_hour in [1000");
        for (int h = 1001; list.length() < 1990; h++) {
            list.append(',').append(h);
        }
        return list.append(']').toString();
    }

    private void publish(byte[] json) {
        KAFKA.produce(
                o.rulesTopic,
                List.of(new ProducerRecord<>(o.rulesTopic, "analysts".getBytes(StandardCharsets.UTF_8), json)));
    }

    /** Sends one payment of 150 on a fresh card and returns its decision. */
    private Decision decide(KafkaConsumer<byte[], byte[]> decisions) {
        int n = ++sent;
        String id = "pay-guard-" + n;
        String json = "{\"eventId\":\"evt-guard-" + n + "\",\"type\":\"PAYMENT\",\"paymentId\":\"" + id
                + "\",\"eventTime\":\"" + Instant.now() + "\",\"cardToken\":\"tok_guard_" + n
                + "\",\"merchantId\":\"m-1\",\"amount\":150,\"currency\":\"EUR\"}";
        KAFKA.produce(
                o.paymentsTopic,
                List.of(new ProducerRecord<>(
                        o.paymentsTopic,
                        ("tok_guard_" + n).getBytes(StandardCharsets.UTF_8),
                        json.getBytes(StandardCharsets.UTF_8))));
        long deadline = System.currentTimeMillis() + TIMEOUT.toMillis();
        while (System.currentTimeMillis() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : decisions.poll(Duration.ofMillis(200))) {
                Decision d = DecisionJson.read(r.value());
                if (d.paymentId().equals(id)) {
                    return d;
                }
            }
        }
        throw new AssertionError("no decision for " + id + " within " + TIMEOUT);
    }
}
