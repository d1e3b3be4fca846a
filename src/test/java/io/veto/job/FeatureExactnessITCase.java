package io.veto.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.veto.decision.Decision;
import io.veto.event.CardTokenizer;
import io.veto.feature.Entity;
import io.veto.feature.FeatureSpec;
import io.veto.generator.GeneratedEvent;
import io.veto.generator.GeneratorConfig;
import io.veto.generator.PaymentGenerator;
import io.veto.kafka.DecisionJson;
import io.veto.kafka.KafkaBrokerExtension;
import io.veto.rule.RuleSet;
import io.veto.testing.JobTestSupport;
import io.veto.testing.Payments;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
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
 * Generated events, sent out of event-time order (within the watermark bound, one card's
 * events keeping their order as the topic's key guarantees), through the whole job at parallelism
 * 2: every payment's features of every entity — card, merchant, customer, IP, device — must equal
 * a brute-force recomputation from the full event list. Zero mismatches, for an uninterrupted run
 * of 100,000 events and for a run stopped with a savepoint a third of the way and resumed from it.
 */
class FeatureExactnessITCase {
    private static final byte[] KEY = "feature-exactness-test-key-0123".getBytes(StandardCharsets.UTF_8);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long DISORDER_MILLIS = 30_000;

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster();

    /** The features under test: each entity, each aggregate kind, short and long horizons. */
    private static final List<String> FEATURES = List.of(
            "card.count_10m",
            "card.sum_amount_1h",
            "card.max_amount_24h",
            "merchant.count_10m",
            "merchant.sum_amount_1h",
            "merchant.distinct_card_1h",
            "customer.count_24h",
            "customer.distinct_merchant_24h",
            "ip.count_1h",
            "device.count_24h",
            "device.distinct_card_24h");

    /** One event as the reference sees it. */
    private record Ev(
            String type,
            String paymentId,
            long t,
            String card,
            String merchant,
            String customer,
            String ip,
            String device,
            BigDecimal amount) {}

    /** The generated events, their send order, and what the reference sees of each. */
    private record Stream(List<GeneratedEvent> sendOrder, List<Ev> reference) {}

    private static final RuleSet RULES = readsEveryFeature();

    private static RuleSet readsEveryFeature() {
        StringBuilder when = new StringBuilder();
        for (String f : FEATURES) {
            when.append(when.length() == 0 ? "" : " || ").append(f).append(" < 0.0");
        }
        // A rule that never fires but reads every feature, so every decision carries them all.
        return Payments.ruleSet(
                "exactness", 40, 80, "rules:\n  - id: reads-everything\n    when: '" + when + "'\n    points: 1\n");
    }

    /** {@code count} generated events, sent with bounded disorder across cards but in order per card. */
    private static Stream generate(int count) throws Exception {
        PaymentGenerator generator = new PaymentGenerator(GeneratorConfig.defaults()
                .withSeed(5)
                .withCards(3_000)
                .withMerchants(300)
                .withFraudRate(0.02));
        CardTokenizer tokens = new CardTokenizer(KEY);
        List<GeneratedEvent> events = new ArrayList<>();
        List<Ev> reference = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            GeneratedEvent e = generator.next();
            events.add(e);
            JsonNode n = JSON.readTree(e.json());
            if (n.hasNonNull("pan")) {
                reference.add(new Ev(
                        e.type(),
                        e.paymentId(),
                        e.eventTimeMillis(),
                        tokens.token(CardTokenizer.normalize(n.get("pan").asText())),
                        text(n, "merchantId"),
                        text(n, "customerId"),
                        text(n, "ip"),
                        text(n, "deviceId"),
                        n.get("amount").decimalValue()));
            }
        }
        return new Stream(disorder(events, new Random(3)), reference);
    }

    private static JobOptions options() {
        JobOptions o = JobTestSupport.freshOptions(KAFKA);
        o.maxOutOfOrderness = Duration.ofMillis(DISORDER_MILLIS * 2);
        // Exactness is what the watermark gives; answering early (a quiet spell) is for live traffic.
        o.maxFeatureWait = Duration.ofMinutes(10);
        // The default idleness: the stream is history, so a partition counts as idle only after
        // --catch-up-wait (30 s) without events, not because a loaded machine starved its reader for
        // a moment; and one that the first job read to its end before the savepoint counts as idle
        // after the restore, instead of holding the watermark back (with --idleness 10m it did, for
        // ten minutes, and the restored job stopped deciding: the test's old intermittent failure).
        return o;
    }

    private static void send(JobOptions o, List<GeneratedEvent> events) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (GeneratedEvent e : events) {
            records.add(new ProducerRecord<>(o.paymentsTopic, e.key().getBytes(StandardCharsets.UTF_8), e.json()));
        }
        KAFKA.produce(o.paymentsTopic, records);
    }

    private static StreamExecutionEnvironment job(JobOptions o, Configuration extra, boolean bounded) {
        Configuration conf = VetoJob.flinkConfiguration(o);
        conf.addAll(extra);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        VetoJob.configure(env, o);
        var payments = KafkaConnectors.paymentsSourceBuilder(o, () -> KEY.clone())
                .setStartingOffsets(OffsetsInitializer.earliest());
        var rules = KafkaConnectors.rulesSourceBuilder(o);
        if (bounded) {
            payments.setBounded(OffsetsInitializer.latest());
            rules.setBounded(OffsetsInitializer.latest());
        }
        VetoPipeline.build(env, VetoJob.kafkaIo(o, payments.build(), rules.build()), RULES, o);
        return env;
    }

    @Test
    void shouldComputeEveryFeatureOfEveryPaymentExactlyAsABruteForceReference() throws Exception {
        JobOptions o = options();
        Stream stream = generate(100_000);
        send(o, stream.sendOrder());

        job(o, new Configuration(), true).execute("veto-feature-exactness");

        assertMatchesReference(o, stream.reference(), 500_000);
    }

    @Test
    void shouldComputeTheSameFeaturesAfterARestoreFromASavepointMidStream() throws Exception {
        JobOptions o = options();
        Stream stream = generate(30_000);
        send(o, stream.sendOrder());
        // The stream's last payments wait for a watermark no later event of theirs brings: an account
        // event an hour after the stream, of a customer no payment has, moves it past them. So no
        // answer depends on wall-clock time (a loaded machine would make the fallback answer early).
        long end = stream.sendOrder().stream()
                .mapToLong(GeneratedEvent::eventTimeMillis)
                .max()
                .orElseThrow();
        String pusher = "{\"eventId\":\"evt-watermark-pusher\",\"type\":\"LOGIN\",\"eventTime\":" + (end + 3_600_000L)
                + ",\"customerId\":\"cust-watermark-pusher\"}";
        // One in every partition: none goes idle in this test, so each must move its own watermark.
        List<ProducerRecord<byte[], byte[]>> pushers = new ArrayList<>();
        for (int partition = 0; partition < 4; partition++) {
            pushers.add(new ProducerRecord<>(
                    o.paymentsTopic,
                    partition,
                    "pusher".getBytes(StandardCharsets.UTF_8),
                    pusher.replace("evt-watermark-pusher", "evt-watermark-pusher-" + partition)
                            .getBytes(StandardCharsets.UTF_8)));
        }
        KAFKA.produce(o.paymentsTopic, pushers);
        long payments = stream.reference().stream()
                .filter(e -> e.type().equals("PAYMENT"))
                .count();

        // Run until about a third is decided, stop with a savepoint, and resume from it in a new job.
        JobClient first = job(o, new Configuration(), false).executeAsync("veto-before-restore");
        assertThat(KAFKA.drain(o.decisionsTopic, (int) (payments / 3), TIMEOUT))
                .hasSizeGreaterThanOrEqualTo((int) (payments / 3));
        String savepoint = first.stopWithSavepoint(
                        false, savepointDir.toUri().toString(), SavepointFormatType.CANONICAL)
                .get();
        int beforeRestore =
                KAFKA.drainAll(o.decisionsTopic, Duration.ofSeconds(2)).size();
        assertThat(beforeRestore).isLessThan((int) payments);

        Configuration restore = new Configuration();
        restore.setString("execution.state-recovery.path", savepoint);
        JobClient second = job(o, restore, false).executeAsync("veto-after-restore");
        try {
            KAFKA.drain(o.decisionsTopic, (int) payments, TIMEOUT);
        } finally {
            second.cancel().get();
        }
        System.out.printf(
                "FeatureExactnessITCase: %,d of %,d payments decided before the savepoint%n", beforeRestore, payments);
        assertMatchesReference(o, stream.reference(), 100_000);
    }

    @TempDir
    Path savepointDir;

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    /** Every decision's features equal the brute-force values; a payment decided twice, identically. */
    private static void assertMatchesReference(JobOptions o, List<Ev> reference, int minCompared) {
        Map<String, Decision> decisions = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : KAFKA.drainAll(o.decisionsTopic, Duration.ofSeconds(2))) {
            Decision d = DecisionJson.read(r.value());
            Decision before = decisions.put(d.paymentId(), d);
            if (before != null) {
                assertThat(d.featureValues())
                        .as("a payment decided twice (after a restore) is decided the same")
                        .containsExactly(before.featureValues());
            }
        }
        List<Ev> payments =
                reference.stream().filter(e -> e.type().equals("PAYMENT")).toList();
        assertThat(decisions).hasSize(payments.size());
        assertThat(decisions.values()).noneMatch(Decision::late);

        Map<String, Map<String, List<Ev>>> byEntity = new HashMap<>();
        for (String entity : List.of("card", "merchant", "customer", "ip", "device")) {
            Map<String, List<Ev>> m = new HashMap<>();
            for (Ev e : payments) {
                String k = key(entity, e);
                if (k != null) {
                    m.computeIfAbsent(k, x -> new ArrayList<>()).add(e);
                }
            }
            byEntity.put(entity, m);
        }
        List<String> mismatches = new ArrayList<>();
        int compared = 0;
        for (Ev p : payments) {
            Decision d = decisions.get(p.paymentId());
            Map<String, Double> actual = new HashMap<>();
            for (int i = 0; i < d.featureNames().length; i++) {
                actual.put(d.featureNames()[i], d.featureValues()[i]);
            }
            for (String f : FEATURES) {
                String entity = f.substring(0, f.indexOf('.'));
                String k = key(entity, p);
                double expected = k == null
                        ? 0.0
                        : bruteForce(
                                f.substring(f.indexOf('.') + 1),
                                byEntity.get(entity).get(k),
                                p);
                // Decisions name features canonically (24h is written 1d).
                Double got = actual.get(FeatureSpec.parse(Entity.fromRuleName(entity), f.substring(f.indexOf('.') + 1))
                        .qualifiedName());
                compared++;
                if (got == null || Math.abs(got - expected) > 1e-6) {
                    mismatches.add(p.paymentId() + " " + f + ": expected " + expected + ", got " + got);
                }
            }
        }
        System.out.printf(
                "FeatureExactnessITCase: %,d payments, %,d feature values compared, %d mismatches%n",
                payments.size(), compared, mismatches.size());
        assertThat(compared).isGreaterThan(minCompared);
        assertThat(mismatches)
                .as("first mismatches: %s", mismatches.stream().limit(10).toList())
                .isEmpty();
    }

    private static String text(JsonNode n, String field) {
        return n.hasNonNull(field) ? n.get(field).asText() : null;
    }

    private static String key(String entity, Ev e) {
        return switch (entity) {
            case "card" -> e.card();
            case "merchant" -> e.merchant();
            case "customer" -> e.customer();
            case "ip" -> e.ip();
            default -> e.device();
        };
    }

    /** The feature recomputed from scratch over the entity's payments in (t - horizon, t]. */
    private static double bruteForce(String name, List<Ev> history, Ev p) {
        String[] parts = name.split("_");
        String horizon = parts[parts.length - 1];
        long h = Long.parseLong(horizon.substring(0, horizon.length() - 1))
                * switch (horizon.charAt(horizon.length() - 1)) {
                    case 'm' -> 60_000L;
                    case 'h' -> 3_600_000L;
                    default -> 86_400_000L;
                };
        List<Ev> in = history.stream()
                .filter(e -> e.t() > p.t() - h && e.t() <= p.t())
                .toList();
        return switch (parts[0]) {
            case "count" -> in.size();
            case "sum" ->
                in.stream()
                        .map(Ev::amount)
                        .reduce(BigDecimal.ZERO, BigDecimal::add)
                        .doubleValue();
            case "max" ->
                in.stream()
                        .map(Ev::amount)
                        .max(BigDecimal::compareTo)
                        .orElse(BigDecimal.ZERO)
                        .doubleValue();
            case "distinct" -> distinct(in, parts[1].equals("card") ? Ev::card : Ev::merchant);
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static double distinct(List<Ev> in, Function<Ev, String> field) {
        Set<String> values = new HashSet<>();
        for (Ev e : in) {
            values.add(field.apply(e));
        }
        return values.size();
    }

    /**
     * The send order: events move later by up to {@link #DISORDER_MILLIS} of event time, but never
     * past a later event of the same card, as a real payments topic keyed by card guarantees.
     */
    private static List<GeneratedEvent> disorder(List<GeneratedEvent> events, Random random) {
        record Keyed(GeneratedEvent e, long sendAt) {}
        Map<String, Long> lastSendAt = new HashMap<>();
        List<Keyed> keyed = new ArrayList<>();
        for (GeneratedEvent e : events) {
            long sendAt = Math.max(
                    e.eventTimeMillis() + (long) (random.nextDouble() * DISORDER_MILLIS),
                    lastSendAt.getOrDefault(e.key(), Long.MIN_VALUE));
            lastSendAt.put(e.key(), sendAt);
            keyed.add(new Keyed(e, sendAt));
        }
        keyed.sort((a, b) -> Long.compare(a.sendAt(), b.sendAt()));
        long displaced = 0;
        long maxTime = Long.MIN_VALUE;
        List<GeneratedEvent> out = new ArrayList<>();
        for (Keyed k : keyed) {
            if (k.e().eventTimeMillis() < maxTime) {
                displaced++;
            }
            maxTime = Math.max(maxTime, k.e().eventTimeMillis());
            out.add(k.e());
        }
        assertThat(displaced).as("events sent after a later one").isGreaterThan(events.size() / 10);
        return out;
    }
}
