package io.veto.backtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.veto.cli.VetoCli;
import io.veto.event.PanKeySupplier;
import io.veto.generator.GeneratedEvent;
import io.veto.generator.GeneratorConfig;
import io.veto.generator.History;
import io.veto.generator.PaymentGenerator;
import io.veto.job.JobOptions;
import io.veto.job.KafkaConnectors;
import io.veto.job.VetoJob;
import io.veto.job.VetoPipeline;
import io.veto.kafka.KafkaBrokerExtension;
import io.veto.rule.RuleSet;
import io.veto.testing.JobTestSupport;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backtest decides exactly as the streaming job: the same labelled history goes through
 * {@code rules backtest}'s file source and, on the real broker, through the job with its Kafka
 * source; payment for payment the decisions are equal (all but the wall-clock {@code decidedAt}),
 * and each payment's label in {@code payments.csv} is the generator's truth.
 */
class BacktestITCase {
    private static final byte[] TEST_KEY = "backtest-itcase-key-0123456789ab".getBytes(StandardCharsets.UTF_8);
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster();

    @Test
    void shouldDecideEveryPaymentAsTheStreamingJobDoesAndLabelItFromItsChargeback(@TempDir Path dir) throws Exception {
        // Given: four days of 400 cards with 4% fraud, each fraud charged back 1-3 days later.
        Path events = dir.resolve("history.jsonl");
        GeneratorConfig config = GeneratorConfig.defaults()
                .withSeed(1313)
                .withCards(400)
                .withMerchants(80)
                .withFraudRate(0.04)
                .withMeanGapMicros(2_000_000L * 10_000 / 400)
                .withStartTime(Instant.parse("2026-03-02T00:00:00Z"));
        History.Counts counts;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(events))) {
            counts = History.write(
                    new History.Settings(config, Duration.ofDays(4), 0, Duration.ofDays(2), Duration.ofDays(1)), out);
        }
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(events)) {
            lines.add(JSON.readTree(line));
        }
        assertThat(counts.frauds()).isGreaterThan(50);
        assertThat(counts.chargebacks()).isEqualTo(counts.frauds());

        // When: the backtest decides them ...
        Path out = dir.resolve("out");
        PanKeySupplier keys = () -> TEST_KEY.clone();
        Backtest.Result result = new Backtest(new Backtest.Settings(
                        events, Path.of("rules/default"), null, out, Duration.ofDays(120), null, 2, keys))
                .run();

        // ... and the streaming job decides them from a 4-partition topic keyed by card (a customer's account events by
        // customer).
        JobOptions o = JobTestSupport.freshOptions(KAFKA);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (JsonNode n : lines) {
            String key = n.hasNonNull("cardToken")
                    ? n.get("cardToken").asText()
                    : n.get("customerId").asText();
            records.add(new ProducerRecord<>(
                    o.paymentsTopic, key.getBytes(StandardCharsets.UTF_8), JSON.writeValueAsBytes(n)));
        }
        KAFKA.produce(o.paymentsTopic, records);
        // Exact mode, and no quiet-spell answers on a machine busy enough to stall the watermark for a second.
        o.entityFeatures = JobOptions.EntityFeatures.WATERMARK;
        o.maxFeatureWait = Duration.ofMinutes(5);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(VetoJob.flinkConfiguration(o));
        VetoJob.configure(env, o);
        VetoPipeline.build(
                env,
                VetoJob.kafkaIo(
                        o,
                        KafkaConnectors.paymentsSourceBuilder(o, keys)
                                .setStartingOffsets(OffsetsInitializer.earliest())
                                .setBounded(OffsetsInitializer.latest())
                                .build(),
                        KafkaConnectors.rulesSourceBuilder(o)
                                .setBounded(OffsetsInitializer.latest())
                                .build()),
                RuleSet.fromDirectory(Path.of("rules/default")),
                o);
        env.execute("veto-backtest-itcase-live");

        // Then: one decision per payment on both sides, equal in everything but decidedAt.
        Map<String, ObjectNode> live = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : KAFKA.drainAll(o.decisionsTopic, Duration.ofSeconds(2))) {
            ObjectNode d = (ObjectNode) JSON.readTree(r.value());
            assertThat(live.put(d.get("paymentId").asText(), withoutWallClock(d)))
                    .as("a second live decision for %s", d.get("paymentId"))
                    .isNull();
        }
        Map<String, ObjectNode> backtest = new HashMap<>();
        for (String line : Files.readAllLines(out.resolve("decisions-candidate.jsonl"))) {
            ObjectNode d = (ObjectNode) JSON.readTree(line);
            assertThat(backtest.put(d.get("paymentId").asText(), withoutWallClock(d)))
                    .as("a second backtest decision for %s", d.get("paymentId"))
                    .isNull();
        }
        assertThat(result.payments()).isEqualTo(counts.payments());
        assertThat(backtest).hasSize((int) counts.payments());
        assertThat(live.keySet()).isEqualTo(backtest.keySet());
        assertThat(live.values())
                .allSatisfy(d -> assertThat(d.get("late").asBoolean())
                        .as("live decision of %s is late", d.get("paymentId"))
                        .isFalse());
        List<String> different = new ArrayList<>();
        backtest.forEach((id, d) -> {
            if (!d.equals(live.get(id))) {
                different.add(id + "\n  backtest: " + d + "\n  live:     " + live.get(id));
            }
        });
        assertThat(different).as("payments decided differently").isEmpty();

        // The comparison covers what makes decisions differ: outcomes other than APPROVE, features of other entities.
        assertThat(backtest.values())
                .filteredOn(d -> !d.get("decision").asText().equals("APPROVE"))
                .hasSizeGreaterThan(20);
        assertThat(backtest.values())
                .anySatisfy(d -> assertThat(fieldNames(d.get("features")))
                        .anyMatch(f -> f.startsWith("ip.") || f.startsWith("device.") || f.startsWith("merchant.")));

        // Labels: a payment is fraud exactly when the generator made it part of a fraud scenario.
        Map<String, Boolean> truth = new HashMap<>();
        for (JsonNode n : lines) {
            if (n.get("type").asText().equals("PAYMENT")) {
                truth.put(n.get("paymentId").asText(), n.hasNonNull("fraudLabel"));
            }
        }
        List<String> csv = Files.readAllLines(out.resolve("payments.csv"));
        assertThat(csv.get(0)).isEqualTo("paymentId,eventTime,cardToken,amount,currency,label");
        assertThat(csv).hasSize(truth.size() + 1);
        long frauds = 0;
        long previousTime = Long.MIN_VALUE;
        for (String row : csv.subList(1, csv.size())) {
            String[] f = row.split(",");
            assertThat(f[5]).as("label of %s", f[0]).isEqualTo(truth.get(f[0]) ? "1" : "0");
            assertThat(Long.parseLong(f[1])).isGreaterThanOrEqualTo(previousTime);
            previousTime = Long.parseLong(f[1]);
            frauds += truth.get(f[0]) ? 1 : 0;
        }
        assertThat(result.frauds()).isEqualTo(frauds).isEqualTo(counts.frauds());
    }

    @Test
    void shouldCopyATopicsTimeRangeTokenizedWithTheLaterChargebacksThatLabelIt(@TempDir Path dir) throws Exception {
        // Given: generated events with raw card numbers on a 4-partition topic, and a chargeback after the range.
        String topic = KAFKA.newTopic("history", 4);
        PaymentGenerator generator = new PaymentGenerator(GeneratorConfig.defaults()
                .withSeed(5)
                .withCards(200)
                .withStartTime(Instant.parse("2026-04-01T00:00:00Z")));
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        List<GeneratedEvent> generated = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            GeneratedEvent e = generator.next();
            generated.add(e);
            records.add(new ProducerRecord<>(topic, e.keyBytes(), e.json()));
        }
        long from = generated.get(500).eventTimeMillis();
        long to = generated.get(1500).eventTimeMillis();
        GeneratedEvent paid = generated.stream()
                .filter(e -> e.isPayment() && e.eventTimeMillis() >= from)
                .findFirst()
                .orElseThrow();
        String pan = JSON.readTree(paid.json()).get("pan").asText();
        records.add(new ProducerRecord<>(
                topic,
                paid.keyBytes(),
                ("{\"eventId\":\"cb-1\",\"type\":\"CHARGEBACK\",\"paymentId\":\"" + paid.paymentId()
                                + "\",\"eventTime\":" + (to + Duration.ofDays(9).toMillis()) + ",\"pan\":\"" + pan
                                + "\",\"amount\":1,\"currency\":\"EUR\"}")
                        .getBytes(StandardCharsets.UTF_8)));
        KAFKA.produce(topic, records);

        // When
        Path file = dir.resolve("events.jsonl");
        TopicHistory.Dump dump = TopicHistory.dump(
                KAFKA.bootstrapServers(),
                null,
                topic,
                Instant.ofEpochMilli(from),
                Instant.ofEpochMilli(to),
                file,
                TEST_KEY.clone());

        // Then: exactly the events of [from, to) and the later chargeback, with tokens instead of card numbers.
        List<String> expected = new ArrayList<>();
        generated.stream()
                .filter(e -> e.eventTimeMillis() >= from && e.eventTimeMillis() < to)
                .forEach(e -> expected.add(e.eventId()));
        List<String> laterChargebacks = new ArrayList<>(List.of("cb-1"));
        generated.stream()
                .filter(e -> e.eventTimeMillis() >= to && e.type().equals("CHARGEBACK"))
                .forEach(e -> laterChargebacks.add(e.eventId()));
        expected.addAll(laterChargebacks);
        List<String> copied = new ArrayList<>();
        long previous = Long.MIN_VALUE;
        for (String line : Files.readAllLines(file)) {
            assertThat(line).doesNotContain(pan).doesNotContain("\"pan\"");
            JsonNode n = JSON.readTree(line);
            if (n.hasNonNull("paymentId") && !n.get("type").asText().startsWith("LOGIN")) {
                assertThat(n.get("cardToken").asText()).isNotBlank();
            }
            copied.add(n.get("eventId").asText());
            // Partitions are merged by event time: the file is in order, as each partition is.
            assertThat(n.get("eventTime").asLong()).isGreaterThanOrEqualTo(previous);
            previous = n.get("eventTime").asLong();
        }
        assertThat(copied).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(dump.kept()).isEqualTo(expected.size());
        assertThat(dump.laterChargebacks()).isEqualTo(laterChargebacks.size());
        assertThat(dump.skipped()).isEqualTo(generated.size() - (expected.size() - 1));
        assertThat(dump.rejected()).isZero();
    }

    @Test
    void shouldBacktestATopicsTimeRangeFromTheCommandLine(@TempDir Path dir) throws Exception {
        // Given: two days of history on a topic, chargebacks a day later.
        Path events = dir.resolve("history.jsonl");
        GeneratorConfig config = GeneratorConfig.defaults()
                .withSeed(77)
                .withCards(200)
                .withMerchants(40)
                .withFraudRate(0.05)
                .withMeanGapMicros(2_000_000L * 10_000 / 200)
                .withStartTime(Instant.parse("2026-05-04T00:00:00Z"));
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(events))) {
            History.write(new History.Settings(config, Duration.ofDays(2), 0, Duration.ofDays(1), Duration.ZERO), out);
        }
        String topic = KAFKA.newTopic("payments-history", 4);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        long paymentsOfFirstDay = 0;
        long fraudsOfFirstDay = 0;
        long dayTwo = Instant.parse("2026-05-05T00:00:00Z").toEpochMilli();
        for (String line : Files.readAllLines(events)) {
            JsonNode n = JSON.readTree(line);
            String key = n.hasNonNull("cardToken")
                    ? n.get("cardToken").asText()
                    : n.get("customerId").asText();
            records.add(new ProducerRecord<>(
                    topic, key.getBytes(StandardCharsets.UTF_8), line.getBytes(StandardCharsets.UTF_8)));
            if (n.get("type").asText().equals("PAYMENT")
                    && Instant.parse(n.get("eventTime").asText()).toEpochMilli() < dayTwo) {
                paymentsOfFirstDay++;
                fraudsOfFirstDay += n.hasNonNull("fraudLabel") ? 1 : 0;
            }
        }
        KAFKA.produce(topic, records);
        Path out = dir.resolve("out");

        // When: the first day is backtested from the topic.
        StringWriter stdout = new StringWriter();
        StringWriter stderr = new StringWriter();
        int exit = VetoCli.commandLine()
                .setOut(new PrintWriter(stdout, true))
                .setErr(new PrintWriter(stderr, true))
                .execute(
                        "rules",
                        "backtest",
                        "rules/default",
                        "--topic",
                        topic,
                        "--from",
                        "2026-05-04",
                        "--to",
                        "2026-05-05",
                        "--bootstrap-servers",
                        KAFKA.bootstrapServers(),
                        "--out",
                        out.toString());

        // Then: every payment of that day is decided, and its frauds are labelled by the next day's chargebacks.
        assertThat(exit).as(stdout + "\n" + stderr).isZero();
        assertThat(stdout.toString())
                .contains(String.format(Locale.ROOT, "%,d payments, %,d frauds", paymentsOfFirstDay, fraudsOfFirstDay));
        assertThat(fraudsOfFirstDay).isPositive();
        assertThat(Files.readAllLines(out.resolve("decisions-candidate.jsonl"))).hasSize((int) paymentsOfFirstDay);
        assertThat(Files.readAllLines(out.resolve("payments.csv"))).hasSize((int) paymentsOfFirstDay + 1);
        assertThat(Files.readString(out.resolve("events.jsonl"))).doesNotContain("\"pan\"");
    }

    private static ObjectNode withoutWallClock(ObjectNode decision) {
        decision.remove("decidedAt");
        return decision;
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
