package io.veto.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.veto.generator.GeneratedEvent;
import io.veto.generator.GeneratorConfig;
import io.veto.generator.PaymentGenerator;
import io.veto.kafka.KafkaBrokerExtension;
import io.veto.testing.DecisionTracker;
import io.veto.testing.JobTestSupport;
import io.veto.testing.StandaloneCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Failures survived, on a real standalone cluster: 50,000 payments wait in each of two topics, one
 * job decides them at-least-once and one exactly-once, both on one cluster, and while they do the
 * TaskManager process is killed (SIGKILL) three times, a new one started each time as a supervisor
 * would. Every payment is decided (none lost); in at-least-once mode every duplicate is identical
 * to the first decision of its payment but for {@code decidedAt}; in exactly-once mode a
 * read_committed consumer sees exactly one decision per payment. The restarts and each recovery's
 * time are printed.
 *
 * <p>The payments are a backlog produced before the jobs start: the jobs then run as fast as this
 * shared 2-core machine lets them, and a kill always hits a job in full flow. One late event per
 * partition after them moves the watermark past the last payments, as live traffic would.
 *
 * <p>The jobs run with {@code --idleness 1m --max-feature-wait 5m}, so that their watermarks and
 * features of other entities than the card follow event time only, as in a steady live run. With
 * the defaults (2 s, 1 s) a partition that yields nothing for 2 s while a job restores can count as idle: the
 * watermark runs ahead of it, its payments are decided {@code late} and entity windows answered
 * without them, so a duplicate can differ from the first decision in {@code late} and in entity
 * features (measured: 9,845 of 17,633 duplicates with {@code --idleness 2s}, none with 1m; see the
 * README). {@code -Dveto.failure-test.idleness=2s} and {@code -Dveto.failure-test.max-feature-wait=1s}
 * show it.
 */
class FailureITCase {
    /**
     * Payments per job: 50,000 by default, enough for three kills in full flow in both modes (one
     * every 12,500 decisions, each restoring RocksDB state and replaying from a checkpoint);
     * {@code -Dveto.failure-test.payments=200000} runs the size the README's figures were measured at.
     */
    private static final int PAYMENTS = Integer.getInteger("veto.failure-test.payments", 50_000);

    private static final int KILLS = 3;
    private static final int PARTITIONS = 4;
    private static final Duration TIMEOUT = Duration.ofMinutes(10);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MAX_FEATURE_WAIT = System.getProperty("veto.failure-test.max-feature-wait", "5m");
    private static final String IDLENESS = System.getProperty("veto.failure-test.idleness", "1m");

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    /** One kill of the TaskManager, as one job lived it: when it noticed (RESTARTING), ran again, had all tasks running. */
    private record Recovery(long killedAt, long restartingAt, long runningAt, long allTasksRunningAt) {}

    @Test
    void shouldDecideEveryPaymentThroughThreeTaskManagerKillsAtLeastOnceAndExactlyOnce() throws Exception {
        // Given: the same payments (50,000 by default), with the account events, refunds and chargebacks between them,
        // in each
        // job's topic.
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        Set<String> paymentIds = new HashSet<>();
        long began = System.currentTimeMillis();
        PaymentGenerator generator =
                new PaymentGenerator(GeneratorConfig.defaults().withSeed(2026).withMeanGapMicros(100_000));
        long lastEventTime = 0;
        while (paymentIds.size() < PAYMENTS) {
            GeneratedEvent e = generator.next();
            records.add(new ProducerRecord<>("", e.key().getBytes(StandardCharsets.UTF_8), e.json()));
            lastEventTime = Math.max(lastEventTime, e.eventTimeMillis());
            if (e.isPayment()) {
                paymentIds.add(e.paymentId());
            }
        }
        for (int p = 0; p < PARTITIONS; p++) {
            String login = "{\"eventId\":\"evt-flush-" + p + "\",\"type\":\"LOGIN\",\"customerId\":\"cust-flush-" + p
                    + "\",\"eventTime\":"
                    + (lastEventTime + Duration.ofMinutes(10).toMillis()) + "}";
            records.add(new ProducerRecord<>("", p, null, null, login.getBytes(StandardCharsets.UTF_8)));
        }
        Map<JobOptions.Delivery, JobOptions> options = new EnumMap<>(JobOptions.Delivery.class);
        for (JobOptions.Delivery mode : JobOptions.Delivery.values()) {
            JobOptions o = JobTestSupport.freshOptions(KAFKA);
            o.delivery = mode;
            List<ProducerRecord<byte[], byte[]>> topic = new ArrayList<>(records.size());
            records.forEach(r -> topic.add(new ProducerRecord<>(o.paymentsTopic, r.partition(), r.key(), r.value())));
            KAFKA.produce(o.paymentsTopic, topic);
            options.put(mode, o);
        }
        records.clear();
        long produced = System.currentTimeMillis();

        StandaloneCluster cluster = StandaloneCluster.start(
                "failure-itcase",
                Map.of("VETO_PAN_KEY", "failure-test-pan-key-" + UUID.randomUUID()),
                // One TaskManager runs both jobs (2 slots each); the web UI's job metrics refresh every second.
                Map.of("taskmanager.numberOfTaskSlots", "4", "metrics.fetcher.update-interval", "1000"));
        Map<JobOptions.Delivery, String> jobs = new EnumMap<>(JobOptions.Delivery.class);
        Map<JobOptions.Delivery, DecisionTracker> trackers = new EnumMap<>(JobOptions.Delivery.class);
        Map<JobOptions.Delivery, List<Recovery>> recoveries = new EnumMap<>(JobOptions.Delivery.class);
        StringBuilder report = new StringBuilder();
        long clusterUp = System.currentTimeMillis();
        long started = clusterUp;
        try {
            for (JobOptions.Delivery mode : JobOptions.Delivery.values()) {
                JobOptions o = options.get(mode);
                jobs.put(
                        mode,
                        cluster.submit(
                                "--bootstrap-servers",
                                KAFKA.bootstrapServers(),
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
                                "veto-failure-" + mode,
                                "--parallelism",
                                "2",
                                "--start-from",
                                "EARLIEST",
                                "--delivery",
                                mode.name(),
                                "--transactional-id-prefix",
                                "veto-failure-" + mode + "-" + UUID.randomUUID(),
                                "--checkpoint-interval",
                                "2s",
                                "--max-feature-wait",
                                MAX_FEATURE_WAIT,
                                "--idleness",
                                IDLENESS));
                trackers.put(mode, new DecisionTracker(KAFKA.bootstrapServers(), o.decisionsTopic, PARTITIONS));
                recoveries.put(mode, new ArrayList<>());
            }
            started = System.currentTimeMillis();
            for (String job : jobs.values()) {
                StandaloneCluster.await("job " + job + " running", TIMEOUT, () -> cluster.allTasksRunning(job));
            }

            // When: the TaskManager is killed three times while both jobs decide, each time once a quarter
            // more of the payments is decided and each job has completed a checkpoint since it last recovered.
            Map<JobOptions.Delivery, Long> checkpointsAtRecovery = new EnumMap<>(JobOptions.Delivery.class);
            jobs.keySet().forEach(mode -> checkpointsAtRecovery.put(mode, 0L));
            for (int kill = 1; kill <= KILLS; kill++) {
                int due = kill * PAYMENTS / (KILLS + 1);
                StandaloneCluster.await(
                        due + " payments decided by both jobs and a checkpoint since their last recovery",
                        TIMEOUT,
                        () -> jobs.keySet().stream()
                                .allMatch(mode -> trackers.get(mode).decided() >= due
                                        && cluster.completedCheckpoints(jobs.get(mode))
                                                > checkpointsAtRecovery.get(mode)));
                Map<JobOptions.Delivery, Integer> failures = new EnumMap<>(JobOptions.Delivery.class);
                jobs.forEach((mode, job) -> failures.put(mode, failuresOf(cluster, job)));

                long killedAt = System.currentTimeMillis();
                long pid = cluster.killTaskManager();
                cluster.startTaskManager();
                for (Map.Entry<JobOptions.Delivery, String> job : jobs.entrySet()) {
                    StandaloneCluster.await(
                            "job " + job.getValue() + " to notice the lost TaskManager",
                            TIMEOUT,
                            () -> failuresOf(cluster, job.getValue()) > failures.get(job.getKey()));
                    StandaloneCluster.await(
                            "job " + job.getValue() + " running again",
                            TIMEOUT,
                            () -> cluster.allTasksRunning(job.getValue()));
                    long allRunning = System.currentTimeMillis();
                    JsonNode timestamps =
                            cluster.rest("/jobs/" + job.getValue()).get("timestamps");
                    recoveries
                            .get(job.getKey())
                            .add(new Recovery(
                                    killedAt,
                                    timestamps.get("RESTARTING").asLong(),
                                    timestamps.get("RUNNING").asLong(),
                                    allRunning));
                    checkpointsAtRecovery.put(job.getKey(), cluster.completedCheckpoints(job.getValue()));
                }
                report.append(String.format(
                        "kill %d: TaskManager pid %d killed at +%.1f s, with %s decided%n",
                        kill, pid, (killedAt - started) / 1000.0, decidedSoFar(trackers)));
            }

            // Then: every payment is decided, by both jobs.
            for (JobOptions.Delivery mode : jobs.keySet()) {
                StandaloneCluster.await(
                        PAYMENTS + " payments decided in " + mode,
                        TIMEOUT,
                        () -> trackers.get(mode).decided() >= PAYMENTS);
            }
            long finished = System.currentTimeMillis();
            Map<JobOptions.Delivery, Long> restarts = new EnumMap<>(JobOptions.Delivery.class);
            for (Map.Entry<JobOptions.Delivery, String> job : jobs.entrySet()) {
                StandaloneCluster.await(
                        "numRestarts of " + job.getValue(),
                        TIMEOUT,
                        () -> cluster.jobMetric(job.getValue(), "numRestarts") >= KILLS);
                restarts.put(job.getKey(), cluster.jobMetric(job.getValue(), "numRestarts"));
            }

            report.insert(
                    0,
                    String.format(
                            "failure test: %,d payments per job, %d TaskManager kills, --max-feature-wait %s, --idleness %s: all decided %.1f s after the jobs started"
                                    + " (generating and producing the backlogs took %.1f s, starting the cluster %.1f s, submitting the jobs %.1f s)%n",
                            PAYMENTS,
                            KILLS,
                            MAX_FEATURE_WAIT,
                            IDLENESS,
                            (finished - started) / 1000.0,
                            (produced - began) / 1000.0,
                            (clusterUp - produced) / 1000.0,
                            (started - clusterUp) / 1000.0));
            for (JobOptions.Delivery mode : jobs.keySet()) {
                report.append(String.format(
                        "%s: %d restarts (numRestarts), %,d decision records written for %,d payments%n",
                        mode,
                        restarts.get(mode),
                        trackers.get(mode).records(),
                        trackers.get(mode).decided()));
                for (int i = 0; i < recoveries.get(mode).size(); i++) {
                    Recovery r = recoveries.get(mode).get(i);
                    // Decisions written after the job noticed the failure come from the restarted tasks only.
                    long firstAfter = trackers.get(mode).firstWrittenAfter(r.restartingAt());
                    report.append(String.format(
                            "  kill %d: failure noticed after %.1f s, job running after %.1f s, all tasks running after %.1f s,"
                                    + " first decision written after %.1f s%n",
                            i + 1,
                            seconds(r.restartingAt() - r.killedAt()),
                            seconds(r.runningAt() - r.killedAt()),
                            seconds(r.allTasksRunningAt() - r.killedAt()),
                            seconds(firstAfter - r.killedAt())));
                }
            }

            // At-least-once: nothing lost, and every duplicate the same decision as the first.
            JobOptions alo = options.get(JobOptions.Delivery.AT_LEAST_ONCE);
            assertThat(trackers.get(JobOptions.Delivery.AT_LEAST_ONCE).paymentIds())
                    .isEqualTo(paymentIds);
            Duplicates duplicates = compareDuplicates(KAFKA.drainAll(alo.decisionsTopic, Duration.ofSeconds(5)));
            report.append(String.format(
                    "AT_LEAST_ONCE: %,d duplicate decisions, %,d of them different from the first%s; %,d decisions late in all%n",
                    duplicates.count,
                    duplicates.differing,
                    duplicates.differingFields.isEmpty() ? "" : " (in " + duplicates.differingFields + ")",
                    duplicates.late));

            // Exactly-once: after one more checkpoint (the last transactions commit with it), a read_committed
            // consumer sees exactly one decision per payment.
            String eoJob = jobs.get(JobOptions.Delivery.EXACTLY_ONCE);
            long checkpoints = cluster.completedCheckpoints(eoJob);
            StandaloneCluster.await(
                    "a checkpoint after the last decision",
                    TIMEOUT,
                    () -> cluster.completedCheckpoints(eoJob) > checkpoints + 1);
            List<ConsumerRecord<byte[], byte[]>> committed = KAFKA.drainAll(
                    options.get(JobOptions.Delivery.EXACTLY_ONCE).decisionsTopic, Duration.ofSeconds(5), true);
            Map<String, Integer> perPayment = new HashMap<>();
            committed.forEach(r -> perPayment.merge(new String(r.key(), StandardCharsets.UTF_8), 1, Integer::sum));
            report.append(String.format(
                    "EXACTLY_ONCE: a read_committed consumer sees %,d decisions for %,d payments%n",
                    committed.size(), perPayment.size()));

            // Where late decisions come from, as the last TaskManager counted since the last restart.
            String metrics = cluster.scrapePrometheus();
            for (Map.Entry<JobOptions.Delivery, String> job : jobs.entrySet()) {
                StringBuilder counts = new StringBuilder();
                for (String counter : List.of(
                        "decisions_late",
                        "decisions_without_all_features",
                        "entity_requests_late",
                        "entity_requests_answered_before_watermark",
                        "customer_events_late",
                        "customer_events_taken_before_watermark")) {
                    counts.append(String.format(
                            " %s=%,.0f",
                            counter,
                            StandaloneCluster.prometheusSum(
                                    metrics, "flink_taskmanager_job_task_operator_" + counter, job.getValue(), null)));
                }
                report.append(String.format("%s, counted since the last restart:%s%n", job.getKey(), counts));
            }

            System.out.print(report);
            Files.writeString(cluster.dir().resolve("failure-report.txt"), report);

            assertThat(duplicates.different)
                    .as(
                            "duplicates that differ from the first decision of their payment (%,d, in %s)",
                            duplicates.differing, duplicates.differingFields)
                    .isEmpty();
            assertThat(perPayment.keySet()).isEqualTo(paymentIds);
            assertThat(committed).hasSize(PAYMENTS);
            restarts.values().forEach(n -> assertThat(n).isGreaterThanOrEqualTo(KILLS));
        } finally {
            for (DecisionTracker t : trackers.values()) {
                t.close();
            }
            cluster.close();
        }
        assertThat(cluster.leftoverProcesses()).isEmpty();
    }

    private static double seconds(long millis) {
        return millis / 1000.0;
    }

    private static int failuresOf(StandaloneCluster cluster, String job) {
        JsonNode history = cluster.rest("/jobs/" + job + "/exceptions").get("exceptionHistory");
        return history == null ? 0 : history.get("entries").size();
    }

    private static String decidedSoFar(Map<JobOptions.Delivery, DecisionTracker> trackers) {
        StringBuilder s = new StringBuilder();
        trackers.forEach((mode, t) -> s.append(s.length() == 0 ? "" : ", ")
                .append(String.format("%,d", t.decided()))
                .append(' ')
                .append(mode));
        return s.toString();
    }

    /**
     * Duplicates found; how many differ from their payment's first decision, in which fields (how
     * often each), and the first few of them (first decision, then the duplicate); and how many
     * decisions (of all records) were late.
     */
    private record Duplicates(
            int count, int differing, Map<String, Integer> differingFields, List<String> different, int late) {}

    private static Duplicates compareDuplicates(List<ConsumerRecord<byte[], byte[]>> records) throws IOException {
        Map<String, String> first = new HashMap<>();
        int count = 0;
        int differing = 0;
        Map<String, Integer> fields = new TreeMap<>();
        List<String> different = new ArrayList<>();
        int late = 0;
        for (ConsumerRecord<byte[], byte[]> r : records) {
            String canonical = deterministicPart(r.value());
            boolean isLate = JSON.readTree(canonical).path("late").asBoolean();
            late += isLate ? 1 : 0;
            String paymentId = new String(r.key(), StandardCharsets.UTF_8);
            String earlier = first.putIfAbsent(paymentId, canonical);
            if (earlier != null) {
                count++;
                if (!earlier.equals(canonical)) {
                    differing++;
                    differingFields(JSON.readTree(earlier), JSON.readTree(canonical), "", fields);
                    if (different.size() < 10) {
                        different.add(earlier + "\n  vs " + canonical);
                    }
                }
            }
        }
        return new Duplicates(count, differing, fields, different, late);
    }

    private static void differingFields(JsonNode a, JsonNode b, String prefix, Map<String, Integer> out) {
        Set<String> names = new TreeSet<>();
        a.fieldNames().forEachRemaining(names::add);
        b.fieldNames().forEachRemaining(names::add);
        for (String name : names) {
            JsonNode x = a.get(name);
            JsonNode y = b.get(name);
            if (prefix.isEmpty() && name.equals("features") && x != null && y != null) {
                differingFields(x, y, "features.", out);
            } else if (x == null || !x.equals(y)) {
                out.merge(prefix + name, 1, Integer::sum);
            }
        }
    }

    /**
     * Everything a decision says but when it was made: paymentId, eventId, decision, score,
     * reasons with their details, rule-set version, shadow result, event time, lateness, card
     * token/BIN/last 4 and every feature value (by name: their order in the record is not part of
     * the decision).
     */
    static String deterministicPart(byte[] json) {
        try {
            ObjectNode n = (ObjectNode) JSON.readTree(json);
            n.remove("decidedAt");
            JsonNode features = n.remove("features");
            Map<String, JsonNode> sorted = new TreeMap<>();
            if (features != null) {
                for (Iterator<Map.Entry<String, JsonNode>> it = features.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> f = it.next();
                    sorted.put(f.getKey(), f.getValue());
                }
            }
            n.set("features", JSON.valueToTree(sorted));
            return n.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
