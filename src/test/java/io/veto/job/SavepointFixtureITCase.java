package io.veto.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.veto.decision.Decision;
import io.veto.decision.Reason;
import io.veto.kafka.DecisionJson;
import io.veto.kafka.KafkaBrokerExtension;
import io.veto.rule.RuleSet;
import io.veto.testing.JobTestSupport;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A savepoint of this release, committed as a test fixture, that every later build must restore
 * and continue exactly: taken from the real job ({@link VetoPipeline}, RocksDB as on the cluster,
 * parallelism 2) with card and entity windows filled, two payments waiting for their entity
 * features (the watermark has not passed them), a card sequence part-way through a match (two
 * small probes, no cash-out yet) and a customer sequence part-way (a password reset, no payment
 * yet). The test restores it, feeds the rest of the events, and asserts that every decision after
 * the restore equals, field for field but the wall-clock {@code decidedAt}, the decision of an
 * uninterrupted run over all the events — among them the card sequence and the customer sequence
 * that complete after the restore.
 *
 * <p>The events are fixed here, with event times in 2026 and the Kafka record time the
 * producer's (the parser refuses only times before 2000 or ahead of the record's), so the fixture
 * stays valid. All card events go to partition 0 of the payments topic, in event-time order; a
 * LOGIN of one clock customer at the same event time goes to partition 1 for each, so both
 * partitions (one per source subtask) move the watermark and none is ever idle. The waits for a
 * quiet spell and for idleness are ten minutes, so nothing is answered early while the test runs.
 * The savepoint's Kafka source state names the topics {@code <fixture>-payments} and
 * {@code <fixture>-rules}; the restore creates them on its broker and sends the same first events,
 * so the offsets in the savepoint point at the first event after them.
 *
 * <p>Fixtures live in {@code src/test/resources/state-fixtures/savepoints/<release>/} and each is
 * restored by this test. To add the current release's (after a state change, or at each release):
 * set {@link #RELEASE}, run {@code mvn -B -o verify -DskipTests=false -Dtest=NONE
 * -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=SavepointFixtureITCase
 * -Dveto.state-fixtures.write=true}, which writes that directory (and restores nothing), then run
 * it again without the property, and commit the directory. Never rewrite an older release's.
 *
 * <p>{@code unversioned-e59ba13} was written by this test on the last commit before serializer
 * snapshots were versioned (Flink's simple snapshots, sequence state a plain byte array): what
 * savepoints of running jobs of that build hold.
 */
class SavepointFixtureITCase {
    /** The release whose fixture a writing run produces. */
    private static final String RELEASE = "0.1.0";

    private static final Path SOURCE_DIR = Path.of("src/test/resources/state-fixtures/savepoints");
    private static final String RESOURCE_DIR = "state-fixtures/savepoints";
    private static final byte[] KEY = "savepoint-fixture-key-0123456789".getBytes(StandardCharsets.UTF_8);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(180);
    private static final long T0 = Instant.parse("2026-06-01T10:00:00Z").toEpochMilli();
    private static final long MINUTE = 60_000L;

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster();

    @TempDir
    Path temp;

    /** The fixture's rules: card and entity features, a card sequence and a customer sequence. Never to change. */
    static RuleSet rules() {
        TreeMap<String, String> files = new TreeMap<>();
        files.put(RuleSet.MANIFEST, "name: fixture\nthresholds:\n  review: 40\n  deny: 80\n");
        files.put("features.yaml", """
                rules:
                  - id: card-velocity
                    when: card.count_10m >= 3
                    points: 20
                  - id: big-after-spend
                    when: amount >= 200 && card.sum_amount_24h > 300
                    points: 25
                  - id: busy-merchant
                    when: merchant.count_1h >= 5
                    points: 15
                  - id: shared-device
                    when: device.distinct_card_24h >= 2
                    points: 30
                """);
        files.put("sequences.yaml", """
                sequences:
                  - id: seq-probes-then-cashout
                    within: 30m
                    steps:
                      - name: probe
                        where: type == "PAYMENT" && amount < 2
                        times: 2
                      - name: cashout
                        where: type == "PAYMENT" && amount >= 200
                    points: 60
                  - id: seq-reset-then-pay
                    key: customer
                    within: 1h
                    steps:
                      - name: reset
                        where: type == "PASSWORD_RESET"
                      - name: cashout
                        where: type == "PAYMENT" && amount >= 100
                    points: 45
                """);
        return new RuleSet("fixture", files);
    }

    /** One event of the fixture's stream. */
    private record Ev(
            String id,
            String type,
            long time,
            String card,
            String customer,
            String merchant,
            String device,
            String amount) {
        boolean payment() {
            return type.equals("PAYMENT");
        }

        byte[] json() {
            ObjectNode n = JSON.createObjectNode();
            n.put("eventId", "evt-" + id);
            n.put("type", type);
            n.put("eventTime", Instant.ofEpochMilli(time).toString());
            n.put("customerId", customer);
            if (card != null) {
                n.put("paymentId", "pay-" + id);
                n.put("cardToken", card);
                n.put("merchantId", merchant);
                n.put("deviceId", device);
                n.put("amount", amount);
                n.put("currency", "EUR");
                n.put("country", "DE");
                n.put("channel", "ECOM");
            }
            return n.toString().getBytes(StandardCharsets.UTF_8);
        }
    }

    private static Ev pay(String id, double minutes, String card, String merchant, String device, String amount) {
        return new Ev(id, "PAYMENT", T0 + (long) (minutes * MINUTE), card, "cust-" + card, merchant, device, amount);
    }

    private static Ev account(String id, double minutes, String type, String customer) {
        return new Ev(id, type, T0 + (long) (minutes * MINUTE), null, customer, null, null, null);
    }

    /** Before the savepoint. The last two payments are within the watermark's bound of the newest event: they wait. */
    static List<Ev> before() {
        return List.of(
                pay("a1", 0, "card-a", "m-1", "d-1", "25.00"),
                pay("b1", 1, "card-b", "m-1", "d-1", "40.00"),
                pay("c1", 2, "card-c", "m-2", "d-2", "1.00"),
                pay("a2", 3, "card-a", "m-1", "d-1", "30.00"),
                pay("c2", 4, "card-c", "m-2", "d-2", "0.50"),
                account("dreset", 5, "PASSWORD_RESET", "cust-card-d"),
                pay("b2", 6, "card-b", "m-2", "d-2", "15.00"),
                pay("a3", 7, "card-a", "m-1", "d-1", "220.00"),
                pay("d1", 8, "card-d", "m-1", "d-3", "10.00"),
                pay("a4", 9, "card-a", "m-1", "d-1", "95.00"),
                pay("b3", 20, "card-b", "m-1", "d-1", "12.00"),
                pay("a5", 20.5, "card-a", "m-2", "d-1", "9.00"));
    }

    /** After the restore: the card sequence of card-c and the customer sequence of card-d's customer complete. */
    static List<Ev> after() {
        return List.of(
                pay("c3", 21, "card-c", "m-2", "d-2", "450.00"),
                pay("d2", 22, "card-d", "m-1", "d-3", "150.00"),
                pay("a6", 23, "card-a", "m-1", "d-1", "5.00"),
                pay("b4", 25, "card-b", "m-1", "d-2", "300.00"),
                // Moves the watermark past every payment above.
                account("late-login", 90, "LOGIN", "cust-elsewhere"));
    }

    /** Waiting at the savepoint: the payments the watermark (newest event - 1 minute) had not passed. */
    private static final List<String> WAITING = List.of("pay-b3", "pay-a5");

    private static JobOptions options(String paymentsTopic, String rulesTopic) {
        JobOptions o = JobTestSupport.freshOptions(KAFKA);
        o.paymentsTopic = paymentsTopic;
        o.rulesTopic = rulesTopic;
        o.maxOutOfOrderness = Duration.ofMinutes(1);
        // Exact features only: no early answer in a quiet spell, no partition counted idle, while the test runs.
        o.maxFeatureWait = Duration.ofMinutes(10);
        o.idleness = Duration.ofMinutes(10);
        o.catchUpWait = Duration.ofMinutes(10);
        return o;
    }

    private static void createTopics(String payments, String rules) {
        KAFKA.broker().createTopics(2, payments);
        KAFKA.broker().createTopics(1, rules);
    }

    /** Card and account events to partition 0 in order; a clock LOGIN at the same time to partition 1. */
    private static void send(JobOptions o, List<Ev> events) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (Ev e : events) {
            byte[] key = (e.card() != null ? e.card() : e.customer()).getBytes(StandardCharsets.UTF_8);
            records.add(new ProducerRecord<>(o.paymentsTopic, 0, key, e.json()));
            Ev clock = account("clock-" + e.id(), (e.time() - T0) / (double) MINUTE, "LOGIN", "cust-clock");
            records.add(new ProducerRecord<>(
                    o.paymentsTopic, 1, "cust-clock".getBytes(StandardCharsets.UTF_8), clock.json()));
        }
        KAFKA.produce(o.paymentsTopic, records);
    }

    private static StreamExecutionEnvironment job(JobOptions o, Configuration extra) {
        Configuration conf = VetoJob.flinkConfiguration(o);
        // As the cluster runs it (flink-conf/config.yaml).
        conf.setString("state.backend.type", "rocksdb");
        conf.addAll(extra);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        VetoJob.configure(env, o);
        var payments = KafkaConnectors.paymentsSourceBuilder(o, () -> KEY.clone())
                .setStartingOffsets(OffsetsInitializer.earliest());
        VetoPipeline.build(
                env,
                VetoJob.kafkaIo(
                        o,
                        payments.build(),
                        KafkaConnectors.rulesSourceBuilder(o).build()),
                rules(),
                o);
        return env;
    }

    private static long payments(List<Ev> events) {
        return events.stream().filter(Ev::payment).count();
    }

    private static Map<String, Decision> decisions(List<ConsumerRecord<byte[], byte[]>> records) {
        Map<String, Decision> out = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            Decision d = DecisionJson.read(r.value());
            Decision before = out.put(d.paymentId(), d);
            assertThat(before).as("decided once: %s", d.paymentId()).isNull();
        }
        return out;
    }

    @Test
    void shouldRestoreEveryCommittedSavepointAndDecideExactlyAsAnUninterruptedRun() throws Exception {
        if (Boolean.getBoolean("veto.state-fixtures.write")) {
            writeFixture();
            return;
        }
        List<Path> fixtures = committedFixtures();
        assertThat(fixtures).as("committed savepoint fixtures").isNotEmpty();

        Map<String, Decision> uninterrupted = uninterruptedRun();
        assertThat(uninterrupted).hasSize((int) (payments(before()) + payments(after())));
        for (Path fixture : fixtures) {
            Map<String, Decision> restored = restore(fixture);
            String release = fixture.getFileName().toString();

            List<String> expectedIds = new ArrayList<>(WAITING);
            after().stream().filter(Ev::payment).forEach(e -> expectedIds.add("pay-" + e.id()));
            assertThat(restored.keySet())
                    .as("decided after restoring %s", release)
                    .containsExactlyInAnyOrderElementsOf(expectedIds);
            for (Decision d : restored.values()) {
                assertThat(d)
                        .as("%s after restoring %s", d.paymentId(), release)
                        .usingRecursiveComparison()
                        .ignoringFields("decidedAt")
                        .isEqualTo(uninterrupted.get(d.paymentId()));
                assertThat(d.late()).as("%s is exact", d.paymentId()).isFalse();
            }
            // The partial matches came through the savepoint: each sequence completes on its payment after the restore.
            Decision cashOut = restored.get("pay-c3");
            assertThat(reason(cashOut, "seq-probes-then-cashout").events())
                    .containsExactly("evt-c1", "evt-c2", "evt-c3");
            Decision takeover = restored.get("pay-d2");
            assertThat(reason(takeover, "seq-reset-then-pay").events()).containsExactly("evt-dreset", "evt-d2");
            // Windows came through too: card-a's window holds its payments from before the savepoint.
            assertThat(feature(restored.get("pay-a6"), "card.count_10m")).isEqualTo(2.0);
            assertThat(feature(restored.get("pay-b4"), "merchant.count_1h")).isEqualTo(10.0);
            System.out.printf(
                    "SavepointFixtureITCase: %s restored, %d decisions after it as in the uninterrupted run%n",
                    release, restored.size());
        }
    }

    private static Reason reason(Decision d, String ruleId) {
        for (Reason r : d.reasons()) {
            if (r.ruleId().equals(ruleId)) {
                return r;
            }
        }
        throw new AssertionError(d.paymentId() + " has no reason " + ruleId + ": " + Arrays.toString(d.reasons()));
    }

    private static double feature(Decision d, String name) {
        for (int i = 0; i < d.featureNames().length; i++) {
            if (d.featureNames()[i].equals(name)) {
                return d.featureValues()[i];
            }
        }
        throw new AssertionError(d.paymentId() + " has no feature " + name);
    }

    /** All events through one job: the decisions every restore must reproduce. */
    private Map<String, Decision> uninterruptedRun() throws Exception {
        JobOptions o = options(KAFKA.newTopic("uninterrupted-payments", 2), KAFKA.newTopic("uninterrupted-rules", 1));
        List<Ev> all = new ArrayList<>(before());
        all.addAll(after());
        send(o, all);
        JobClient job = job(o, new Configuration()).executeAsync("veto-uninterrupted");
        try {
            return decisions(KAFKA.drain(o.decisionsTopic, (int) payments(all), TIMEOUT));
        } finally {
            job.cancel().get();
        }
    }

    /** Restores {@code fixture} on its topics, fed the same events before it and the rest after. */
    private Map<String, Decision> restore(Path fixture) throws Exception {
        String name = "fixture-" + fixture.getFileName();
        JobOptions o = options(name + "-payments", name + "-rules");
        createTopics(o.paymentsTopic, o.rulesTopic);
        send(o, before());
        send(o, after());
        Path copy = temp.resolve(fixture.getFileName().toString());
        copyTree(fixture, copy);
        Configuration restore = new Configuration();
        restore.setString("execution.state-recovery.path", copy.toUri().toString());
        JobClient job = job(o, restore).executeAsync("veto-restored-" + fixture.getFileName());
        try {
            int expected = WAITING.size() + (int) payments(after());
            KAFKA.drain(o.decisionsTopic, expected, TIMEOUT);
            // Anything more (a payment from before the savepoint decided again) would show here.
            return decisions(KAFKA.drainAll(o.decisionsTopic, Duration.ofSeconds(3)));
        } finally {
            job.cancel().get();
        }
    }

    /** Runs the events before the savepoint, waits until all but the waiting payments are decided, and writes the savepoint. */
    private void writeFixture() throws Exception {
        String name = "fixture-" + RELEASE;
        JobOptions o = options(name + "-payments", name + "-rules");
        createTopics(o.paymentsTopic, o.rulesTopic);
        send(o, before());
        JobClient job = job(o, new Configuration()).executeAsync("veto-fixture-" + RELEASE);
        int decided = (int) payments(before()) - WAITING.size();
        Map<String, Decision> first = decisions(KAFKA.drain(o.decisionsTopic, decided, TIMEOUT));
        assertThat(first.keySet()).doesNotContainAnyElementsOf(WAITING);
        String savepoint = job.stopWithSavepoint(
                        false, temp.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL)
                .get();
        assertThat(KAFKA.drainAll(o.decisionsTopic, Duration.ofSeconds(2)))
                .as("the waiting payments stay undecided")
                .hasSize(decided);
        Path target = SOURCE_DIR.resolve(RELEASE);
        if (Files.exists(target)) {
            throw new IllegalStateException(
                    target
                            + " exists: a release's fixture is never rewritten; remove it by hand if this one is not released yet");
        }
        copyTree(Path.of(URI.create(savepoint)), target);
        System.out.printf("SavepointFixtureITCase: wrote %s from %s%n", target, savepoint);
    }

    private static List<Path> committedFixtures() throws IOException, URISyntaxException {
        URL root = SavepointFixtureITCase.class.getClassLoader().getResource(RESOURCE_DIR);
        if (root == null) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(Path.of(root.toURI()))) {
            return s.filter(Files::isDirectory)
                    .sorted(Comparator.comparing(Path::toString))
                    .toList();
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
