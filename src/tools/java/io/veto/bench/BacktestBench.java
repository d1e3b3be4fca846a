package io.veto.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.management.OperatingSystemMXBean;
import io.veto.backtest.Backtest;
import io.veto.event.PanKeySupplier;
import io.veto.generator.GeneratorConfig;
import io.veto.generator.History;
import io.veto.job.JobOptions;
import io.veto.job.KafkaConnectors;
import io.veto.job.VetoJob;
import io.veto.job.VetoPipeline;
import io.veto.local.EmbeddedKafkaBroker;
import io.veto.rule.RuleSet;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Backtest throughput beside the live job's, on the same events in one run: writes a history,
 * backtests it with the default rule set, then loads the same events into an embedded Kafka broker
 * and lets the job decide them as it runs in production (Kafka source and sink, RocksDB,
 * checkpoints every 10 s, exact entity features). Both figures are payments decided per second of
 * wall-clock time from job submission to its end; the machine's other load counts against both.
 */
@Command(
        name = "backtest-bench",
        mixinStandardHelpOptions = true,
        description = "Backtest throughput and its ratio to the live job's.")
public final class BacktestBench implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--events", description = "Events in the history (default: ${DEFAULT-VALUE})")
    long events = 1_000_000;

    @Option(names = "--cards", description = "Cards of the history (default: ${DEFAULT-VALUE})")
    int cards = 10_000;

    @Option(names = "--work", description = "Working directory (default: ${DEFAULT-VALUE})")
    Path work = Path.of("target/backtest-bench");

    @Option(names = "--rules", description = "Rule set (default: ${DEFAULT-VALUE})")
    Path rules = Path.of("rules/default");

    public static void main(String[] args) {
        System.exit(new CommandLine(new BacktestBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(work);
        Path history = work.resolve("history.jsonl");
        GeneratorConfig config = GeneratorConfig.defaults()
                .withCards(cards)
                .withMeanGapMicros(2_000_000L * 10_000 / cards)
                .withStartTime(Instant.parse("2026-01-05T08:00:00Z"));
        History.Counts counts;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(history), 1 << 16)) {
            counts = History.write(
                    new History.Settings(config, Duration.ofDays(365), events, Duration.ofDays(7), Duration.ofDays(4)),
                    out);
        }
        say(
                "history: %,d events, %,d payments, %,d frauds, %s",
                counts.events(), counts.payments(), counts.frauds(), history);
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        PanKeySupplier keys = () -> key.clone();

        double cpu0 = cpuSeconds();
        long t0 = System.nanoTime();
        Backtest.Result bt = new Backtest(new Backtest.Settings(
                        history, rules, null, work.resolve("out"), Duration.ofDays(120), null, 2, keys))
                .run();
        double btTotal = (System.nanoTime() - t0) / 1e9;
        double btCpu = cpuSeconds() - cpu0;
        double btRate = bt.payments() / bt.candidate().seconds();
        say(
                "backtest: %,d payments decided in %.1f s (job) + %.1f s (scan and labels) = %,.0f payments/s in the job, %,.0f overall; "
                        + "CPU %.0f s (%.0f us a payment)",
                bt.payments(),
                bt.candidate().seconds(),
                bt.scanSeconds(),
                btRate,
                bt.payments() / btTotal,
                btCpu,
                btCpu * 1e6 / bt.payments());

        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0)) {
            JobOptions o = new JobOptions();
            o.bootstrapServers = broker.bootstrapServers();
            broker.createTopics(4, o.paymentsTopic, o.decisionsTopic);
            broker.createTopics(1, o.dlqTopic, o.rulesTopic, o.rulesStatusTopic, o.alertsTopic);
            load(broker, o.paymentsTopic, history);
            o.parallelism = 2;
            o.rules = rules;
            o.startFrom = JobOptions.StartFrom.EARLIEST;
            // Exact mode, as the backtest: in a catch-up on a busy machine a partition that waits
            // 2 s for its first fetch would otherwise be idle, and its payments late (decided at once, inexact).
            o.idleness = Duration.ofMinutes(10);
            o.maxFeatureWait = Duration.ofMinutes(10);
            Configuration conf = VetoJob.flinkConfiguration(o);
            conf.setString("state.backend.type", "rocksdb");
            conf.setString("execution.checkpointing.incremental", "true");
            conf.setString(
                    "execution.checkpointing.dir",
                    work.resolve("checkpoints").toAbsolutePath().toUri().toString());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(o.parallelism, conf);
            VetoJob.configure(env, o);
            VetoPipeline.build(
                    env,
                    VetoJob.kafkaIo(
                            o,
                            KafkaConnectors.paymentsSourceBuilder(o, keys)
                                    .setBounded(OffsetsInitializer.latest())
                                    .build(),
                            KafkaConnectors.rulesSourceBuilder(o)
                                    .setBounded(OffsetsInitializer.latest())
                                    .build()),
                    RuleSet.fromDirectory(rules),
                    o);
            double cpu1 = cpuSeconds();
            long t1 = System.nanoTime();
            env.execute("veto-live-bench");
            double liveSeconds = (System.nanoTime() - t1) / 1e9;
            double liveCpu = cpuSeconds() - cpu1;
            long[] decided = countDecisions(broker, o.decisionsTopic);
            if (decided[0] != bt.payments()) {
                throw new IllegalStateException(
                        "the live job wrote " + decided[0] + " decisions for " + bt.payments() + " payments");
            }
            double liveRate = bt.payments() / liveSeconds;
            say(
                    "live job: %,d payments decided in %.1f s = %,.0f payments/s (%,d late); CPU %.0f s (%.0f us a payment)",
                    decided[0], liveSeconds, liveRate, decided[1], liveCpu, liveCpu * 1e6 / bt.payments());
            say(
                    "backtest / live: %.2f (job), %.2f (whole backtest: scan, labels and checks included)",
                    btRate / liveRate, (bt.payments() / btTotal) / liveRate);
        }
        return 0;
    }

    private static void load(EmbeddedKafkaBroker broker, String topic, Path history) throws Exception {
        Properties p = broker.clientProperties();
        p.setProperty("linger.ms", "5");
        p.setProperty("batch.size", "262144");
        p.setProperty("compression.type", "lz4");
        try (KafkaProducer<byte[], byte[]> producer =
                        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
                BufferedReader in = Files.newBufferedReader(history, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                JsonNode n = JSON.readTree(line);
                String key = n.hasNonNull("cardToken")
                        ? n.get("cardToken").asText()
                        : n.get("customerId").asText();
                producer.send(new ProducerRecord<>(
                        topic, key.getBytes(StandardCharsets.UTF_8), line.getBytes(StandardCharsets.UTF_8)));
            }
        }
    }

    /** Decisions on the topic, and how many of them are late. */
    private static long[] countDecisions(EmbeddedKafkaBroker broker, String topic) {
        Properties p = broker.clientProperties();
        p.setProperty("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        p.setProperty("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        long n = 0;
        long late = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            var partitions = c.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition()))
                    .toList();
            c.assign(partitions);
            c.seekToBeginning(partitions);
            var end = c.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    n++;
                    late += new String(r.value(), StandardCharsets.UTF_8).contains("\"late\":true") ? 1 : 0;
                }
            }
        }
        return new long[] {n, late};
    }

    private static double cpuSeconds() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    }

    private static void say(String format, Object... args) {
        System.out.println("backtest-bench | " + String.format(Locale.ROOT, format, args));
    }
}
