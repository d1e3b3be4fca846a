package io.veto.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.veto.decision.Decision;
import io.veto.decision.Outcome;
import io.veto.decision.Reason;
import io.veto.generator.Luhn;
import io.veto.kafka.DecisionJson;
import io.veto.kafka.KafkaBrokerExtension;
import io.veto.rule.RuleSet;
import io.veto.rule.RuleStatus;
import io.veto.testing.JobTestSupport;
import io.veto.testing.RuleKeys;
import io.veto.testing.StandaloneCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded job jar on a real standalone Flink cluster (JobManager and TaskManager processes
 * from Maven's jars, started by {@code jobs/cluster.sh}, the job submitted by
 * {@code jobs/submit.sh}), reading and writing a real Kafka broker over SASL with the credentials
 * in the cluster's environment and a properties file, never in the job's arguments. It decides
 * payments, shows its decision counters on the Prometheus endpoint, is stopped with a savepoint
 * and restarted from it with a changed option, and carries on with the same window features
 * (a card's 5th payment counts 5, not 1), the same sequence-rule state (a burst of six payments,
 * four before the upgrade and two after, is found) and the rule set published before the
 * upgrade. Then the cluster stops, and no process of it is left.
 */
class ClusterITCase {
    private static final String SASL_PASSWORD = "sasl-" + UUID.randomUUID();
    private static final String PAN_KEY = "pan-key-" + UUID.randomUUID();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private static final int CARDS = 20;
    private static final int PER_CARD = 4;
    private static final String MERCHANT = "m-cluster-1";

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension(Map.of("veto", SASL_PASSWORD));

    @Test
    void shouldRunOnAStandaloneClusterAndKeepFeaturesAndRulesAcrossASavepointUpgrade(@TempDir Path tmp)
            throws Exception {
        JobOptions o = JobTestSupport.freshOptions(KAFKA);
        Path kafkaProperties = tmp.resolve("kafka-client.properties");
        Files.writeString(kafkaProperties, "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n");
        Map<String, String> env = Map.of(
                "VETO_PAN_KEY",
                PAN_KEY,
                "VETO_RULES_PUBLIC_KEY",
                RuleKeys.publicKey(),
                "VETO_KAFKA_SASL_JAAS_CONFIG",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"veto\" password=\""
                        + SASL_PASSWORD + "\";");
        List<String> args = List.of(
                "--bootstrap-servers",
                KAFKA.saslBootstrapServers(),
                "--kafka-properties-file",
                kafkaProperties.toString(),
                "--payments-topic",
                o.paymentsTopic,
                "--decisions-topic",
                o.decisionsTopic,
                "--dlq-topic",
                o.dlqTopic,
                "--alerts-topic",
                o.alertsTopic,
                "--rules-topic",
                o.rulesTopic,
                "--rules-status-topic",
                o.rulesStatusTopic,
                "--group-id",
                "veto-cluster-it",
                "--parallelism",
                "2",
                "--start-from",
                "EARLIEST",
                "--rules-start-from",
                "EARLIEST",
                "--checkpoint-interval",
                "2s",
                // A partition reader starved for 2 s on a loaded machine would count as idle and let the
                // watermark run ahead of it, making its payments late; each batch ends with an event per
                // partition that moves the watermark past it.
                "--idleness",
                "1m",
                // The test sends each batch over a few hundred ms with event times not in send order
                // across cards: a 10 ms bound (the default) would make some of them late.
                "--max-out-of-orderness",
                "500ms");
        // The default rules plus one rule, published to the running job: after the upgrade it must still be the active
        // set.
        RuleSet base = RuleSet.fromDirectory(Path.of("rules/default"));
        TreeMap<String, String> files = new TreeMap<>(base.files());
        files.put(
                "cluster-test.yaml", "rules:\n  - id: cluster-test-marker\n    when: amount >= 99999\n    points: 1\n");
        RuleSet published = new RuleSet(base.name(), files);

        long t0 = Instant.now().minus(Duration.ofMinutes(1)).toEpochMilli();
        List<String> pans = pans(CARDS);
        StandaloneCluster cluster = StandaloneCluster.start("cluster-itcase", env, Map.of());
        try {
            // Before the upgrade: rules published, then four payments per card.
            String first = cluster.submit(args.toArray(String[]::new));
            StandaloneCluster.await("job " + first + " running", TIMEOUT, () -> cluster.allTasksRunning(first));
            KAFKA.produce(
                    o.rulesTopic,
                    List.of(new ProducerRecord<>(
                            o.rulesTopic,
                            published.name().getBytes(StandardCharsets.UTF_8),
                            RuleKeys.signed(published))));
            assertThat(awaitStatus(o, published.version()).state()).isEqualTo(RuleStatus.State.APPLIED);

            send(o, pans, t0, 0);
            KAFKA.produce(
                    o.paymentsTopic,
                    List.of(new ProducerRecord<>(
                            o.paymentsTopic,
                            null,
                            ("{\"type\":\"PAYMENT\",\"pan\":\"" + pans.get(1) + "\"")
                                    .getBytes(StandardCharsets.UTF_8))));
            Map<String, Decision> before = awaitDecisions(o, CARDS * PER_CARD);
            List<ConsumerRecord<byte[], byte[]>> dlq = KAFKA.drain(o.dlqTopic, 1, TIMEOUT);
            assertThat(dlq).hasSize(1);
            assertThat(new String(dlq.get(0).value(), StandardCharsets.UTF_8))
                    .doesNotContain(pans.get(1))
                    .contains(pans.get(1).substring(12));
            assertThat(before.values()).extracting(Decision::ruleSetVersion).containsOnly(published.version());
            assertThat(before.values()).extracting(Decision::late).containsOnly(false);
            assertThat(before.values())
                    .allSatisfy(d -> assertThat(d.featureNames())
                            .contains("card.count_10m", "card.count_1d", "merchant.distinct_card_10m"));
            for (int card = 0; card < CARDS; card++) {
                assertThat(featureByEventTime(before, card, "card.count_10m"))
                        .as("card %d", card)
                        .containsExactly(1.0, 2.0, 3.0, 4.0);
            }
            assertThat(before.get(paymentId(0, PER_CARD - 1)).reasons())
                    .extracting(Reason::ruleId)
                    .contains("large-amount", "amount-spike-24h");

            // The decision counters, rule hits, latency and rule-set version on the Prometheus endpoint.
            String metrics = cluster.scrapePrometheus();
            Map<String, Double> outcomes = new TreeMap<>();
            for (Outcome outcome : Outcome.values()) {
                outcomes.put(
                        outcome.name(),
                        sum(
                                metrics,
                                "flink_taskmanager_job_task_operator_decisions_"
                                        + outcome.name().toLowerCase(),
                                first,
                                null));
            }
            System.out.println("cluster test: decision counters on Prometheus " + outcomes);
            assertThat(outcomes.values().stream()
                            .mapToDouble(Double::doubleValue)
                            .sum())
                    .isEqualTo(CARDS * PER_CARD);
            assertThat(outcomes.get("APPROVE"))
                    .isEqualTo(before.values().stream()
                            .filter(d -> d.decision() == Outcome.APPROVE)
                            .count());
            assertThat(sum(metrics, "flink_taskmanager_job_task_operator_rule_hits", first, "rule=\"large_amount\""))
                    .isEqualTo(1.0);
            assertThat(sum(metrics, "flink_taskmanager_job_task_operator_decision_latency_ms_count", first, null))
                    .isEqualTo(CARDS * PER_CARD);
            assertThat(sum(
                            metrics,
                            "flink_taskmanager_job_task_operator_rule_set_active",
                            first,
                            "rule_set=\"" + label(published.version()) + "\""))
                    .isEqualTo(2.0);
            assertThat(sum(metrics, "flink_taskmanager_job_task_operator_dlq_records", first, null))
                    .isEqualTo(1.0);

            // Stop with a savepoint; start the same jar from it with a changed option.
            String savepoint = cluster.stopWithSavepoint(first);
            StandaloneCluster.await(
                    "job " + first + " finished",
                    TIMEOUT,
                    () -> cluster.jobState(first).equals("FINISHED"));
            List<String> upgraded = new ArrayList<>(args);
            upgraded.addAll(List.of("--max-feature-wait", "3s"));
            String second = cluster.submitFromSavepoint(savepoint, upgraded.toArray(String[]::new));
            StandaloneCluster.await("job " + second + " running", TIMEOUT, () -> cluster.allTasksRunning(second));
            assertThat(cluster.rest("/jobs/" + second + "/checkpoints")
                            .get("latest")
                            .get("restored")
                            .get("external_path")
                            .asText())
                    .endsWith(Path.of(savepoint.replaceFirst("^file:", ""))
                            .getFileName()
                            .toString());

            send(o, pans, t0, PER_CARD);
            Map<String, Decision> all = awaitDecisions(o, 2 * CARDS * PER_CARD);
            assertThat(all.keySet()).containsAll(before.keySet());
            for (int card = 0; card < CARDS; card++) {
                // Counts continue from the savepoint: a card's 5th payment in ten minutes counts 5, not 1.
                assertThat(featureByEventTime(all, card, "card.count_10m"))
                        .as("card %d", card)
                        .containsExactly(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0);
                assertThat(featureByEventTime(all, card, "card.count_1d"))
                        .as("card %d", card)
                        .containsExactly(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0);
                for (int n = PER_CARD; n < 2 * PER_CARD; n++) {
                    Decision d = all.get(paymentId(card, n));
                    // The merchant's window too: every card paid there within the last ten minutes, before the upgrade.
                    assertThat(feature(d, "merchant.distinct_card_10m"))
                            .as(d.paymentId())
                            .isEqualTo(CARDS);
                    assertThat(d.ruleSetVersion()).isEqualTo(published.version());
                }
                // The 5th payment in ten minutes is normal; the 6th is a velocity hit, and completes a burst of six
                // payments each within 30 s of the last: a sequence whose first four events matched before the upgrade.
                assertThat(all.get(paymentId(card, 4)).decision())
                        .as("5th payment of card %d", card)
                        .isEqualTo(Outcome.APPROVE);
                Decision sixth = all.get(paymentId(card, 5));
                assertThat(sixth.reasons())
                        .extracting(Reason::ruleId)
                        .as("6th payment of card %d", card)
                        .contains("card-velocity-10m", "seq-velocity-burst");
                assertThat(sixth.decision()).isEqualTo(Outcome.DENY);
                for (int n = 6; n < 2 * PER_CARD; n++) {
                    assertThat(all.get(paymentId(card, n)).reasons())
                            .extracting(Reason::ruleId)
                            .contains("card-velocity-10m");
                    assertThat(all.get(paymentId(card, n)).decision()).isIn(Outcome.REVIEW, Outcome.DENY);
                }
            }
            // The burst alert of every card, on the alerts topic (written over SASL too).
            List<String> sixths =
                    IntStream.range(0, CARDS).mapToObj(c -> paymentId(c, 5)).toList();
            StandaloneCluster.await(
                    "a burst alert for the 6th payment of every card",
                    TIMEOUT,
                    () -> KAFKA.drainAll(o.alertsTopic, Duration.ofSeconds(1)).stream()
                            .map(r -> DecisionJson.readAlert(r.value()))
                            .filter(a -> a.ruleId().equals("seq-velocity-burst"))
                            .map(a -> a.decidedPaymentId())
                            .collect(Collectors.toSet())
                            .containsAll(sixths));

            // No secret and no card number where the web UI, the logs or the client's output show them.
            Map<String, String> visible = new TreeMap<>(Map.of(
                    "the job's configuration (web UI)",
                            cluster.rest("/jobs/" + second + "/config").toString(),
                    "the job's plan (web UI)",
                            cluster.rest("/jobs/" + second + "/plan").toString(),
                    "the JobManager's configuration (web UI)",
                            cluster.rest("/jobmanager/config").toString(),
                    "the cluster's logs", cluster.logs(),
                    "the scripts' output", cluster.scriptOutput()));
            assertThat(visible.get("the cluster's logs"))
                    .contains("Rest endpoint listening", "Successful registration at resource manager");
            visible.forEach((where, text) -> {
                assertThat(text.contains(SASL_PASSWORD))
                        .as("%s shows the Kafka password", where)
                        .isFalse();
                assertThat(text.contains(PAN_KEY))
                        .as("%s shows the PAN key", where)
                        .isFalse();
                assertThat(pans.stream().filter(text::contains).toList())
                        .as("%s shows card numbers", where)
                        .isEmpty();
            });
            for (ConsumerRecord<byte[], byte[]> r : KAFKA.drainAll(o.decisionsTopic, Duration.ofSeconds(1))) {
                String text = new String(r.value(), StandardCharsets.UTF_8);
                pans.forEach(pan -> assertThat(text).doesNotContain(pan));
            }
        } finally {
            cluster.close();
        }
        assertThat(cluster.pids()).as("JobManager and TaskManager processes").hasSizeGreaterThanOrEqualTo(2);
        assertThat(cluster.leftoverProcesses()).isEmpty();
    }

    private static List<String> pans(int n) {
        Random random = new Random(42);
        List<String> pans = new ArrayList<>();
        while (pans.size() < n) {
            StringBuilder p = new StringBuilder("4242");
            for (int i = 0; i < 11; i++) {
                p.append(random.nextInt(10));
            }
            p.append(Luhn.checkDigit(p));
            pans.add(p.toString());
        }
        return pans;
    }

    private static String paymentId(int card, int n) {
        return "pay-cluster-" + card + "-" + n;
    }

    /**
     * Payments {@code from .. from+PER_CARD-1} of every card, all at one merchant: a card's payments
     * 100 ms apart, cards 4 ms apart, each batch 5 s after the one before. A batch spans less than
     * the job's 500 ms watermark bound: sent at once to an idle topic, its partitions are read in any
     * order, and a wider span would make the payments of the partition read last late, which is not
     * what this test is about. Then a login per partition, 2 s after the batch, moves the watermark
     * past it, so every answer comes at the watermark (exact) rather than after the wall-clock wait
     * of a quiet spell (which would say {@code late}).
     */
    private static void send(JobOptions o, List<String> pans, long t0, int from) throws Exception {
        long batchStart = t0 + (from / PER_CARD) * 5_000L;
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int n = from; n < from + PER_CARD; n++) {
            for (int card = 0; card < pans.size(); card++) {
                ObjectNode e = JSON.createObjectNode();
                e.put("eventId", "evt-cluster-" + card + "-" + n);
                e.put("type", "PAYMENT");
                e.put("paymentId", paymentId(card, n));
                e.put(
                        "eventTime",
                        Instant.ofEpochMilli(batchStart + (n - from) * 100L + card * 4L)
                                .toString());
                e.put("pan", pans.get(card));
                e.put("customerId", "cust-" + card);
                e.put("merchantId", MERCHANT);
                e.put("mcc", "5411");
                e.put("amount", card == 0 && n == PER_CARD - 1 ? "2600.00" : "10.00");
                e.put("currency", "EUR");
                e.put("country", "DE");
                e.put("ip", "192.0.2." + (card + 1));
                e.put("deviceId", "dev-" + card);
                e.put("channel", "ECOM");
                records.add(new ProducerRecord<>(
                        o.paymentsTopic, ("card-" + card).getBytes(StandardCharsets.UTF_8), JSON.writeValueAsBytes(e)));
            }
        }
        for (int partition = 0; partition < 4; partition++) {
            ObjectNode login = JSON.createObjectNode();
            login.put("eventId", "evt-cluster-pusher-" + from + "-" + partition);
            login.put("type", "LOGIN");
            login.put("customerId", "cust-pusher");
            login.put("eventTime", Instant.ofEpochMilli(batchStart + 2_000L).toString());
            records.add(new ProducerRecord<>(
                    o.paymentsTopic,
                    partition,
                    "pusher".getBytes(StandardCharsets.UTF_8),
                    JSON.writeValueAsBytes(login)));
        }
        KAFKA.produce(o.paymentsTopic, records);
    }

    /** All decisions by paymentId once {@code count} arrived; fails on a duplicate (no failure happened). */
    private static Map<String, Decision> awaitDecisions(JobOptions o, int count) {
        List<Decision> decisions = KAFKA.drain(o.decisionsTopic, count, TIMEOUT).stream()
                .map(r -> DecisionJson.read(r.value()))
                .toList();
        assertThat(decisions).hasSize(count);
        assertThat(decisions).extracting(Decision::paymentId).doesNotHaveDuplicates();
        return decisions.stream().collect(Collectors.toMap(Decision::paymentId, d -> d));
    }

    private static RuleStatus awaitStatus(JobOptions o, String version) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r :
                    KAFKA.drain(o.rulesStatusTopic, Integer.MAX_VALUE, Duration.ofSeconds(2))) {
                RuleStatus s = RuleStatus.fromJson(r.value());
                if (s.version().equals(version)) {
                    return s;
                }
            }
        }
        throw new AssertionError("no status for rule set " + version + " within " + TIMEOUT);
    }

    private static List<Double> featureByEventTime(Map<String, Decision> decisions, int card, String feature) {
        return decisions.values().stream()
                .filter(d -> d.paymentId().startsWith("pay-cluster-" + card + "-"))
                .sorted(Comparator.comparingLong(Decision::eventTime))
                .map(d -> feature(d, feature))
                .toList();
    }

    private static double feature(Decision d, String name) {
        for (int i = 0; i < d.featureNames().length; i++) {
            if (d.featureNames()[i].equals(name)) {
                return d.featureValues()[i];
            }
        }
        throw new AssertionError(name + " not in the decision of " + d.paymentId());
    }

    /** A rule or version as a Prometheus label value: Flink's reporter turns every other character into '_'. */
    private static String label(String value) {
        return value.replaceAll("[^a-zA-Z0-9:_]", "_");
    }

    /** The sum over subtasks of a Prometheus metric of one job, optionally with one more label. */
    private static double sum(String metrics, String name, String jobId, String label) {
        return StandaloneCluster.prometheusSum(metrics, name, jobId, label);
    }
}
