package io.veto.sequence;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.veto.decision.Decision;
import io.veto.decision.Outcome;
import io.veto.decision.Reason;
import io.veto.generator.GeneratedEvent;
import io.veto.generator.GeneratorConfig;
import io.veto.generator.PaymentGenerator;
import io.veto.generator.ScenarioInstance;
import io.veto.job.JobOptions;
import io.veto.job.KafkaConnectors;
import io.veto.job.VetoJob;
import io.veto.job.VetoPipeline;
import io.veto.kafka.DecisionJson;
import io.veto.kafka.KafkaBrokerExtension;
import io.veto.rule.RuleSet;
import io.veto.rule.RuleStatus;
import io.veto.testing.JobTestSupport;
import io.veto.testing.RuleKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.JobStatus;
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
 * Sequence rules in a running job (MiniCluster, parallelism 2, real broker): the default sequences
 * catch injected fraud at the completing payment, naming the matched events; then a new sequence
 * rule is published mid-stream and its threshold changed, each taking effect without a restart,
 * with every payment decided exactly once.
 */
class SequenceRulesITCase {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster();

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Crafted payments come after the generated stream (which starts 2026-01-05) in event time. */
    private static final long T0 = Instant.parse("2026-11-28T12:00:00Z").toEpochMilli();

    private static final Map<String, String> RULE_OF_SCENARIO = Map.of(
            "card_testing", "seq-card-testing",
            "velocity_burst", "seq-velocity-burst",
            "impossible_travel", "seq-impossible-travel",
            "account_takeover", "seq-account-takeover",
            "refund_abuse", "seq-refund-cycling");

    private JobOptions o;
    private final Map<String, Decision> decisions = new HashMap<>();
    private final List<String> paymentsSent = new ArrayList<>();
    private KafkaConsumer<byte[], byte[]> decisionConsumer;
    private int seq;

    @Test
    void shouldDecideSequencesAtTheCompletingPaymentAndTakeNewOnesWithoutARestart() throws Exception {
        o = JobTestSupport.freshOptions(KAFKA);
        // Customer sequences take events in event-time order at the watermark; the wall-clock fallback
        // (for quiet traffic) must not cut in while a loaded machine works through the backlog.
        // Each crafted payment below brings its own watermark instead.
        o.maxFeatureWait = Duration.ofSeconds(30);
        // One partition: a backlog read unevenly from several (a loaded machine) lets idle detection move
        // the watermark hours past a lagging card, whose events then arrive late and miss their sequences.
        // That is what late data does; this test is about sequences, so it keeps the stream in order.
        o.paymentsTopic = KAFKA.newTopic("payments-one", 1);
        RuleSet defaults = RuleSet.fromDirectory(Path.of("rules/default"));

        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(VetoJob.flinkConfiguration(o));
        VetoJob.configure(env, o);
        VetoPipeline.build(
                env,
                VetoJob.kafkaIo(
                        o,
                        KafkaConnectors.paymentsSourceBuilder(
                                        o, () -> "sequence-test-key-0123456789".getBytes(StandardCharsets.UTF_8))
                                .setStartingOffsets(OffsetsInitializer.earliest())
                                .build(),
                        KafkaConnectors.rulesSource(o, RuleKeys.supplier())),
                defaults,
                o);
        JobClient job = env.executeAsync("veto-sequences");
        try (KafkaConsumer<byte[], byte[]> status = KAFKA.subscribe(o.rulesStatusTopic, "status");
                KafkaConsumer<byte[], byte[]> alerts = KAFKA.subscribe(o.alertsTopic, "alerts")) {
            decisionConsumer = KAFKA.subscribe(o.decisionsTopic, "decisions");

            // Generated traffic with every kind of injected sequence: each is caught at its completing payment.
            List<ScenarioInstance> injected = sendGenerated(30_000);
            Map<String, Integer> caught = new TreeMap<>();
            for (ScenarioInstance sc : injected) {
                String rule = RULE_OF_SCENARIO.get(sc.label());
                if (rule == null || !sc.isCompleted()) {
                    continue;
                }
                Decision d = awaitDecision(sc.completing().paymentId());
                if (sc.label().equals("account_takeover") && feature(d, "customer.amount_ratio_30d") < 5) {
                    // The rule's 'when': a customer whose 30 days hold no payment yet has no usual amount to exceed.
                    assertThat(d.reasons()).extracting(Reason::ruleId).doesNotContain(rule);
                    continue;
                }
                assertThat(d.decision())
                        .as(
                                "%s at %s (events %s; decision %s, late %s, features %s=%s)",
                                sc.label(),
                                d.paymentId(),
                                sc.eventIds(),
                                Arrays.toString(d.reasons()),
                                d.late(),
                                Arrays.toString(d.featureNames()),
                                Arrays.toString(d.featureValues()))
                        .isIn(Outcome.REVIEW, Outcome.DENY);
                Reason r = reason(d, rule);
                assertThat(r.events()[r.events().length - 1])
                        .isEqualTo(sc.completing().eventId());
                if (sc.label().equals("impossible_travel") || sc.label().equals("account_takeover")) {
                    // Two steps; the first may be an earlier event of the card or customer that fits as well
                    // (a card-present payment even further back, an earlier reset within the hour).
                    assertThat(r.events()).hasSize(2);
                } else {
                    assertThat(r.events()).as("%s matched events", sc.id()).isSubsetOf(sc.eventIds());
                }
                caught.merge(sc.label(), 1, Integer::sum);
            }
            System.out.printf(
                    "SequenceRulesITCase: injected sequences caught at their completing payment: %s%n", caught);
            assertThat(caught.keySet()).containsExactlyInAnyOrderElementsOf(RULE_OF_SCENARIO.keySet());

            // Card testing at three merchants, then a cash-out, on a card of its own: denied at the cash-out.
            List<String> testing = List.of(
                    pay("tok-ct", T0, "0.50", "m-1"), pay("tok-ct", T0 + 40_000, "1.00", "m-2"),
                    pay("tok-ct", T0 + 80_000, "0.80", "m-3"), pay("tok-ct", T0 + 200_000, "450.00", "m-4"));
            Decision cashOut = awaitDecision(testing.get(3));
            assertThat(cashOut.decision()).isEqualTo(Outcome.DENY);
            Reason r = reason(cashOut, "seq-card-testing");
            assertThat(r.events())
                    .containsExactly(
                            testing.stream().map(SequenceRulesITCase::eventIdOf).toArray(String[]::new));
            assertThat(awaitDecision(testing.get(2)).reasons())
                    .extracting(Reason::ruleId)
                    .doesNotContain("seq-card-testing");

            // A v2 that adds a sequence rule, published mid-stream. It sees events from its publication on:
            // a probe before it applied and a spend after it complete nothing.
            pay("tok-a", T0 + 300_000, "7.77", "m-9");
            RuleSet v2 = withExtraSequence(defaults, "amount >= 10");
            publish(v2);
            assertThat(JobTestSupport.awaitRuleStatus(status, v2.version(), TIMEOUT)
                            .state())
                    .isEqualTo(RuleStatus.State.APPLIED);
            String straddling = pay("tok-a", T0 + 330_000, "20.00", "m-9");
            assertThat(awaitDecision(straddling).reasons())
                    .extracting(Reason::ruleId)
                    .doesNotContain("seq-test-then-spend");
            String b1 = pay("tok-b", T0 + 400_000, "7.77", "m-9");
            String b2 = pay("tok-b", T0 + 430_000, "20.00", "m-9");
            Decision added = awaitDecision(b2);
            assertThat(added.ruleSetVersion()).isEqualTo(v2.version());
            assertThat(reason(added, "seq-test-then-spend").events()).containsExactly(eventIdOf(b1), eventIdOf(b2));
            assertThat(added.decision()).isEqualTo(Outcome.REVIEW);

            // v3 raises the rule's threshold: 20 no longer completes it, 60 does.
            RuleSet v3 = withExtraSequence(defaults, "amount >= 50");
            publish(v3);
            assertThat(JobTestSupport.awaitRuleStatus(status, v3.version(), TIMEOUT)
                            .state())
                    .isEqualTo(RuleStatus.State.APPLIED);
            String c1 = pay("tok-c", T0 + 500_000, "7.77", "m-9");
            String c2 = pay("tok-c", T0 + 530_000, "20.00", "m-9");
            String c3 = pay("tok-c", T0 + 560_000, "60.00", "m-9");
            assertThat(awaitDecision(c2).reasons()).extracting(Reason::ruleId).doesNotContain("seq-test-then-spend");
            Decision raised = awaitDecision(c3);
            assertThat(raised.ruleSetVersion()).isEqualTo(v3.version());
            assertThat(reason(raised, "seq-test-then-spend").events()).containsExactly(eventIdOf(c1), eventIdOf(c3));

            // One job the whole time, every payment decided exactly once.
            assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
            awaitAll();
            assertThat(decisions.keySet()).containsExactlyInAnyOrderElementsOf(paymentsSent);

            // The card-testing match raised its alert, keyed by the card token, naming the payment decided with it.
            Alert alert = awaitAlert(alerts, "seq-card-testing", testing.get(3));
            assertThat(alert.entity()).isEqualTo("card");
            assertThat(alert.entityKey()).isEqualTo("tok-ct");
            assertThat(alert.decidedPaymentId()).isEqualTo(testing.get(3));
        } finally {
            if (decisionConsumer != null) {
                decisionConsumer.close();
            }
            job.cancel().get();
        }
    }

    /** Sends generated events (every scenario, 5% fraud, 300 cards) until {@code count} were sent; returns the injected sequences. */
    private List<ScenarioInstance> sendGenerated(int count) {
        PaymentGenerator g = new PaymentGenerator(
                GeneratorConfig.defaults().withSeed(5).withCards(300).withFraudRate(0.05));
        List<GeneratedEvent> events = new ArrayList<>();
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            GeneratedEvent e = g.next();
            events.add(e);
            records.add(new ProducerRecord<>(o.paymentsTopic, e.key().getBytes(StandardCharsets.UTF_8), e.json()));
            if (e.isPayment()) {
                paymentsSent.add(e.paymentId());
            }
        }
        KAFKA.produce(o.paymentsTopic, records);
        return ScenarioInstance.collect(events);
    }

    private static double feature(Decision d, String name) {
        for (int i = 0; i < d.featureNames().length; i++) {
            if (d.featureNames()[i].equals(name)) {
                return d.featureValues()[i];
            }
        }
        throw new AssertionError(name + " not in the decision of " + d.paymentId());
    }

    /** The default rules plus a sequence that a payment of 7.77 followed by a second payment over {@code threshold} completes. */
    private static RuleSet withExtraSequence(RuleSet defaults, String threshold) {
        TreeMap<String, String> files = new TreeMap<>(defaults.files());
        files.put(
                "mid-stream.yaml",
                String.join(
                        "\n",
                        "sequences:",
                        "  - id: seq-test-then-spend",
                        "    within: 10m",
                        "    steps:",
                        "      - name: probe",
                        "        where: type == \"PAYMENT\" && amount == 7.77",
                        "      - name: spend",
                        "        where: type == \"PAYMENT\" && " + threshold,
                        "    points: 45",
                        ""));
        return new RuleSet(defaults.name(), files);
    }

    /** Sends one payment on {@code card} (an upstream card token, no card number); returns its payment id. */
    private String pay(String card, long time, String amount, String merchant) {
        seq++;
        String paymentId = "pay-seq-" + seq;
        ObjectNode n = JSON.createObjectNode();
        n.put("eventId", "evt-seq-" + seq);
        n.put("type", "PAYMENT");
        n.put("paymentId", paymentId);
        n.put("eventTime", Instant.ofEpochMilli(time).toString());
        n.put("cardToken", card);
        n.put("customerId", "cust-" + card);
        n.put("merchantId", merchant);
        n.put("amount", amount);
        n.put("currency", "EUR");
        n.put("country", "DE");
        n.put("channel", "ECOM");
        // An account event a second later on the same partition moves the watermark past the payment
        // (the other partitions go idle), so the stages that wait for it need not wait for the fallback.
        String pusher = "{\"eventId\":\"evt-pusher-" + seq + "\",\"type\":\"LOGIN\",\"eventTime\":" + (time + 1_000)
                + ",\"customerId\":\"cust-pusher\"}";
        KAFKA.produce(
                o.paymentsTopic,
                List.of(
                        new ProducerRecord<>(
                                o.paymentsTopic,
                                card.getBytes(StandardCharsets.UTF_8),
                                n.toString().getBytes(StandardCharsets.UTF_8)),
                        new ProducerRecord<>(
                                o.paymentsTopic,
                                card.getBytes(StandardCharsets.UTF_8),
                                pusher.getBytes(StandardCharsets.UTF_8))));
        paymentsSent.add(paymentId);
        return paymentId;
    }

    private static String eventIdOf(String paymentId) {
        return paymentId.replace("pay-", "evt-");
    }

    private static Reason reason(Decision d, String ruleId) {
        return Arrays.stream(d.reasons())
                .filter(r -> r.ruleId().equals(ruleId))
                .findFirst()
                .orElseThrow(() -> new AssertionError(
                        ruleId + " not among the reasons of " + d.paymentId() + ": " + Arrays.toString(d.reasons())));
    }

    private Decision awaitDecision(String paymentId) {
        long deadline = System.currentTimeMillis() + TIMEOUT.toMillis();
        while (!decisions.containsKey(paymentId) && System.currentTimeMillis() < deadline) {
            poll();
        }
        assertThat(decisions)
                .as("decision for %s within %s", paymentId, TIMEOUT)
                .containsKey(paymentId);
        return decisions.get(paymentId);
    }

    private void awaitAll() {
        for (String p : paymentsSent) {
            awaitDecision(p);
        }
    }

    private void poll() {
        for (ConsumerRecord<byte[], byte[]> r : decisionConsumer.poll(Duration.ofMillis(200))) {
            Decision d = DecisionJson.read(r.value());
            Decision prev = decisions.put(d.paymentId(), d);
            assertThat(prev).as("a second decision for %s", d.paymentId()).isNull();
        }
    }

    private void publish(RuleSet rs) {
        KAFKA.produce(
                o.rulesTopic,
                List.of(new ProducerRecord<>(
                        o.rulesTopic, rs.name().getBytes(StandardCharsets.UTF_8), RuleKeys.signed(rs))));
    }

    private static Alert awaitAlert(KafkaConsumer<byte[], byte[]> consumer, String ruleId, String paymentId) {
        long deadline = System.currentTimeMillis() + TIMEOUT.toMillis();
        while (System.currentTimeMillis() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                Alert a = DecisionJson.readAlert(r.value());
                if (a.ruleId().equals(ruleId) && paymentId.equals(a.decidedPaymentId())) {
                    return a;
                }
            }
        }
        throw new AssertionError("no alert of " + ruleId + " for " + paymentId + " within " + TIMEOUT);
    }
}
