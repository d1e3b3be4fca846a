package io.veto.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.veto.generator.GeneratedEvent;
import io.veto.generator.GeneratorConfig;
import io.veto.generator.GeneratorRunner;
import io.veto.generator.PaymentGenerator;
import io.veto.job.JobOptions;
import io.veto.job.KafkaConnectors;
import io.veto.job.VetoJob;
import io.veto.job.VetoPipeline;
import io.veto.local.EmbeddedKafkaBroker;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Veto end to end on this machine, side by side with the ceiling the same broker sets, in one run:
 * <ol>
 *   <li>starts a real Kafka broker in this JVM ({@link EmbeddedKafkaBroker}) and loads a backlog of
 *       generated payments ({@link PaymentGenerator}: the realistic mix, 100,000 cards);</li>
 *   <li>(a) <b>ceiling</b>: a plain consume → produce pipe copies that backlog ({@link CeilingPipe}), records/s;</li>
 *   <li>(b) <b>throughput</b>: Veto (parallelism 2, RocksDB, checkpoints on, the rule set of
 *       {@code --rules}) decides the same backlog from its start; payments decided/s while it
 *       catches up (between 10% and 90% of the backlog decided), and its ratio to the ceiling;</li>
 *   <li>(d) <b>state</b>: the size of the first checkpoint completed after the backlog is decided
 *       (full size of the incremental RocksDB checkpoint), and of a canonical savepoint, per active
 *       card (a card that paid in the last 24 hours of event time);</li>
 *   <li>(c) <b>latency</b>: the same job, now live, gets payments at fixed rates (1k, 5k, 10k/s by
 *       default) with checkpoints running; for each payment, from the moment it was due to be sent
 *       (so a sender that falls behind counts against the figure, not for it) to the moment its
 *       decision is consumed from the decisions topic: p50, p99, p99.9 (HdrHistogram).</li>
 * </ol>
 * It prints a summary table, with the targets of issue 7, and writes every figure as JSON. What
 * else ran on the machine during each phase is measured too (CPU used outside this JVM), since
 * the figures are only comparable within one run. {@code --quick} runs the same phases small and
 * short, as a smoke test (E2eBenchITCase).
 */
@Command(
        name = "bench-e2e",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Veto end to end: Kafka ceiling, max throughput, latency at fixed rates, state per card.")
public final class E2eBench implements Callable<Integer> {
    static final double TARGET_COLD_P99_MS = 250;
    static final int TARGET_LATENCY_RATE = 5_000;
    static final double TARGET_P99_MS = 50;
    static final double TARGET_P999_MS = 150;
    static final double TARGET_STATE_BYTES = 1024;

    @Option(
            names = "--quick",
            description = "Smoke test: 5,000 cards, 10,000 events, rates 500 and 1000/s for 3 s, checkpoints every 2 s")
    boolean quick;

    @Option(names = "--cards", description = "Cards in the generated population (default: 100000)")
    Integer cards;

    @Option(names = "--merchants", description = "Merchants (default: one per 5 cards, the generator's own proportion)")
    Integer merchants;

    @Option(names = "--backlog", description = "Events in the backlog (default: 300000)")
    Integer backlog;

    @Option(
            names = "--rates",
            split = ",",
            description = "Payment rates of the latency phases, events/s (default: 1000,2500,5000)")
    List<Integer> rates;

    @Option(
            names = "--no-reference",
            negatable = true,
            description =
                    "Also run the hand-written reference job on the same backlog and rates (default: ${DEFAULT-VALUE})")
    boolean reference = true;

    @Option(
            names = "--scale",
            negatable = true,
            description = "Also measure both jobs' throughput at parallelism 1 (default: on, off with --quick)")
    Boolean scale;

    @Option(
            names = "--cold-start",
            converter = JobOptions.DurationConverter.class,
            description =
                    "A fresh Veto job (no state, every card new) gets live payments at --cold-start-rate from its first second, for this long (default: 60s; 0 skips it)")
    Duration coldStart;

    @Option(names = "--cold-start-rate", description = "Payments/s of the cold-start phase (default: ${DEFAULT-VALUE})")
    int coldStartRate = 1_000;

    @Option(
            names = "--warmup",
            converter = JobOptions.DurationConverter.class,
            description = "Unmeasured start of each latency phase (default: 10s)")
    Duration warmup;

    @Option(
            names = "--measure",
            converter = JobOptions.DurationConverter.class,
            description = "Measured part of each latency phase (default: 30s)")
    Duration measure;

    @Option(names = "--json", description = "Where the figures are written (default: ${DEFAULT-VALUE})")
    Path jsonOut = Path.of("target/bench-e2e.json");

    @Option(
            names = "--managed-memory",
            description =
                    "Flink managed memory (RocksDB) of the MiniCluster (default: ${DEFAULT-VALUE}, about what flink-conf/config.yaml gives a 2-slot TaskManager)")
    String managedMemory = "768m";

    @Option(names = "--seed", description = "Seed of the generated world and traffic (default: ${DEFAULT-VALUE})")
    long seed = 20_261_128L;

    @Option(
            names = "--flink",
            description =
                    "A Flink option for the job's MiniCluster, KEY=VALUE (repeatable), e.g. --flink state.backend.rocksdb.timer-service.factory=ROCKSDB")
    Map<String, String> flinkOptions = new LinkedHashMap<>();

    @Mixin
    JobOptions job = new JobOptions();

    @Spec
    CommandSpec spec;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String REFERENCE_TOPIC = "reference-decisions";
    /** Veto's counters of decisions that may not be exact, and of the stages' answers that made them so. */
    private static final List<String> LATE_COUNTERS = List.of(
            "decisions_late",
            "decisions_without_all_features",
            "entity_requests_late",
            "entity_requests_answered_before_watermark",
            "customer_events_late",
            "customer_events_taken_before_watermark");
    /** One PAN key for every job of the run, so both jobs key the same cards alike. */
    private static final byte[] PAN_KEY = randomKey();

    private static byte[] randomKey() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return k;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new E2eBench()).execute(args));
    }

    /** Runs the benchmark and returns its figures (also written to {@code --json}). */
    @Override
    public Integer call() throws Exception {
        ObjectNode result = run();
        Path parent = jsonOut.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        JSON.writeValue(jsonOut.toFile(), result);
        System.out.println(table(result));
        say("figures written to " + jsonOut);
        return 0;
    }

    private void resolveDefaults() {
        cards = cards != null ? cards : quick ? 5_000 : 100_000;
        merchants = merchants != null ? merchants : Math.max(20, cards / 5);
        backlog = backlog != null ? backlog : quick ? 10_000 : 300_000;
        rates = rates != null ? rates : quick ? List.of(500, 1_000) : List.of(1_000, 2_500, 5_000);
        scale = scale != null ? scale : !quick;
        coldStart = coldStart != null ? coldStart : quick ? Duration.ofSeconds(5) : Duration.ofSeconds(60);
        warmup = warmup != null ? warmup : quick ? Duration.ofSeconds(1) : Duration.ofSeconds(10);
        measure = measure != null ? measure : quick ? Duration.ofSeconds(3) : Duration.ofSeconds(30);
        if (quick && !given("--checkpoint-interval")) {
            job.checkpointInterval = Duration.ofSeconds(2);
        }
        if (job.parallelism == 0) {
            job.parallelism = 2;
        }
        if (job.checkpointInterval.isZero()) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "the benchmark measures with checkpoints on: --checkpoint-interval must not be 0");
        }
    }

    private boolean given(String option) {
        return spec != null
                && spec.commandLine().getParseResult() != null
                && spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    ObjectNode run() throws Exception {
        resolveDefaults();
        ObjectNode out = JSON.createObjectNode();
        out.put("benchmark", "veto-e2e");
        out.put("quick", quick);
        out.put("startedAt", Instant.now().toString());
        out.put("cores", CpuMeter.cores());
        out.put("loadAverageAtStart", CpuMeter.loadAverage());
        ObjectNode settings = out.putObject("settings");
        settings.put("cards", cards);
        settings.put("merchants", merchants);
        settings.put("backlogEvents", backlog);
        settings.put("parallelism", job.parallelism);
        settings.put("stateBackend", "rocksdb (incremental checkpoints)");
        settings.put("managedMemory", managedMemory);
        settings.put("rules", job.rules.toString());
        settings.put("checkpointInterval", job.checkpointInterval.toString());
        settings.put("bufferTimeout", job.bufferTimeout.toString());
        settings.put("producerLinger", job.producerLinger.toString());
        settings.put("maxOutOfOrderness", job.maxOutOfOrderness.toString());
        settings.put("watermarkInterval", job.watermarkInterval.toString());
        settings.put("entityFeatures", job.entityFeatures.toString());
        settings.put("idleness", job.idleness.toString());
        settings.put("clockWatermarkAfter", job.clockWatermarkAfter.toString());
        settings.put("maxFeatureWait", job.maxFeatureWait.toString());
        settings.put("delivery", job.delivery.toString());
        settings.put("warmup", warmup.toString());
        flinkOptions.forEach((k, v) -> settings.put("flink:" + k, v));
        settings.put("measure", measure.toString());

        Path work = Files.createTempDirectory("veto-bench-e2e");
        say("starting the Kafka broker ...");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            job.bootstrapServers = broker.bootstrapServers();
            job.startFrom = JobOptions.StartFrom.EARLIEST;
            job.groupId = "veto-bench";
            String pipeTopic = "ceiling-pipe";
            broker.createTopics(4, job.paymentsTopic, job.decisionsTopic, pipeTopic, REFERENCE_TOPIC);
            broker.createTopics(1, job.dlqTopic, job.rulesTopic, job.rulesStatusTopic, job.alertsTopic);

            Backlog b = loadBacklog(broker);
            out.set("backlog", b.json());

            say(String.format(
                    Locale.ROOT,
                    "(a) ceiling: piping the %,d records through a plain consumer -> producer (%d threads) ...",
                    b.events,
                    job.parallelism));
            CpuMeter cpu = CpuMeter.start();
            CeilingPipe.Result ceiling = CeilingPipe.run(
                    broker.bootstrapServers(), job.paymentsTopic, pipeTopic, job.parallelism, job.producerLinger);
            ObjectNode c = out.putObject("ceiling");
            c.put("records", ceiling.records());
            c.put("seconds", ceiling.seconds());
            c.put("recordsPerSecond", ceiling.recordsPerSecond());
            cpu(c, cpu.stop());
            say(String.format(Locale.ROOT, "    %,.0f records/s", ceiling.recordsPerSecond()));

            int p = job.parallelism;
            String vetoTopic = job.decisionsTopic;
            if (reference) {
                out.set("reference", referenceThroughput(broker, b, p, work));
            }
            if (scale) {
                ObjectNode sc = out.putObject("scale");
                if (reference) {
                    sc.set("referenceP1", referenceThroughput(broker, b, 1, work));
                }
                job.parallelism = 1;
                job.decisionsTopic = "decisions-p1";
                job.groupId = "veto-bench-p1";
                broker.createTopics(4, job.decisionsTopic);
                sc.set("vetoP1", runVeto(broker, b, ceiling, work, JSON.createObjectNode(), false));
                job.parallelism = p;
                job.decisionsTopic = vetoTopic;
                job.groupId = "veto-bench";
            }
            runVeto(broker, b, ceiling, work, out, true);
            if (reference) {
                out.set("referenceLatency", referenceLatency(broker, work));
            }
            if (!coldStart.isZero()) {
                out.set("coldStart", coldStart(broker, work));
            }
            compare(out);
        } finally {
            try (Stream<Path> walk = Files.walk(work)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        out.put("loadAverageAtEnd", CpuMeter.loadAverage());
        out.set("targets", targets(out));
        return out;
    }

    // ------------------------------------------------------------------------------- backlog

    /** What was loaded: counts, sizes, and the last payment time per card (for active cards). */
    private record Backlog(
            long events, long payments, long bytes, double seconds, long firstTime, long lastTime, long activeCards) {
        ObjectNode json() {
            ObjectNode n = JSON.createObjectNode();
            n.put("events", events);
            n.put("payments", payments);
            n.put("meanRecordBytes", (double) bytes / events);
            n.put("loadSeconds", seconds);
            n.put("eventTimeFrom", Instant.ofEpochMilli(firstTime).toString());
            n.put("eventTimeTo", Instant.ofEpochMilli(lastTime).toString());
            n.put("activeCards", activeCards);
            return n;
        }
    }

    private GeneratorConfig world() {
        GeneratorConfig d = GeneratorConfig.defaults();
        return d.withSeed(seed).withCards(cards).withMerchants(merchants);
    }

    private Backlog loadBacklog(EmbeddedKafkaBroker broker) {
        // Each card as active as in the generator's default world (2 s between events over 10,000 cards:
        // a few payments per card per day), so the backlog spans days of event time for 100,000 cards.
        long gapMicros = Math.max(
                1,
                GeneratorConfig.defaults().meanGapMicros()
                        * GeneratorConfig.defaults().cards()
                        / cards);
        long spanMillis = backlog * gapMicros / 1000;
        // Ends safely before now (the sum of exponential gaps varies by sqrt(n) gaps), so that the live
        // payments of the latency phases come after every backlog event in event time.
        long margin = (long) (5 * Math.sqrt(backlog) * gapMicros / 1000) + 60_000;
        Instant start = Instant.now().minusMillis(spanMillis + margin);
        GeneratorConfig config = world().withMeanGapMicros(gapMicros).withStartTime(start);
        say(String.format(
                Locale.ROOT,
                "loading a backlog of %,d events: %,d cards, %,d merchants, %.1f days of event time ...",
                backlog,
                cards,
                merchants,
                spanMillis / 86_400_000.0));
        PaymentGenerator generator = new PaymentGenerator(config);
        Map<String, Long> lastPaymentByCard = new HashMap<>();
        long[] counts = new long[4]; // payments, bytes, first time, last time
        counts[2] = Long.MAX_VALUE;
        Iterator<GeneratedEvent> counted = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public GeneratedEvent next() {
                GeneratedEvent e = generator.next();
                if (e.isPayment()) {
                    counts[0]++;
                    lastPaymentByCard.put(e.key(), e.eventTimeMillis());
                }
                counts[1] += e.json().length;
                counts[2] = Math.min(counts[2], e.eventTimeMillis());
                counts[3] = Math.max(counts[3], e.eventTimeMillis());
                return e;
            }
        };
        long t0 = System.nanoTime();
        try (GeneratorRunner runner = GeneratorRunner.toKafka(
                broker.bootstrapServers(), "lz4", job.paymentsTopic, counted, 0, null, backlog)) {
            runner.run();
            if (runner.failed() > 0) {
                throw new IllegalStateException(
                        runner.failed() + " backlog records could not be sent", runner.firstError());
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (counts[3] >= System.currentTimeMillis()) {
            throw new IllegalStateException("the backlog reaches into the future; the live phases would be late");
        }
        long horizon = Duration.ofHours(24).toMillis();
        long active = lastPaymentByCard.values().stream()
                .filter(t -> t > counts[3] - horizon)
                .count();
        say(String.format(
                Locale.ROOT,
                "    %,d events (%,d payments, mean %d bytes) in %.1f s; %,d cards paid in the last 24 h of it",
                backlog,
                counts[0],
                counts[1] / backlog,
                seconds,
                active));
        return new Backlog(backlog, counts[0], counts[1], seconds, counts[2], counts[3], active);
    }

    // ------------------------------------------------------------------------------- Veto

    /** A local environment as both jobs get it: RocksDB, incremental checkpoints in {@code work}, the bench's managed memory. */
    private StreamExecutionEnvironment environment(int parallelism, Path work, int restPort) {
        Configuration conf = VetoJob.flinkConfiguration(job);
        conf.setString("state.backend.type", "rocksdb");
        conf.setString("execution.checkpointing.incremental", "true");
        conf.setString(
                "execution.checkpointing.dir",
                work.resolve("checkpoints").toUri().toString());
        conf.setString("execution.checkpointing.timeout", "2min");
        conf.setString("execution.checkpointing.max-concurrent-checkpoints", "1");
        conf.setString("taskmanager.memory.managed.size", managedMemory);
        conf.setString("taskmanager.numberOfTaskSlots", Integer.toString(parallelism));
        conf.setString("parallelism.default", Integer.toString(parallelism));
        conf.set(RestOptions.BIND_PORT, Integer.toString(restPort));
        conf.set(RestOptions.ADDRESS, "localhost");
        flinkOptions.forEach(conf::setString);
        return StreamExecutionEnvironment.createLocalEnvironment(conf);
    }

    /**
     * Veto deciding the backlog from its start: throughput and CPU per thread; with {@code full},
     * then the state per card and the latency phases. Returns {@code out} with the figures.
     */
    private ObjectNode runVeto(
            EmbeddedKafkaBroker broker, Backlog b, CeilingPipe.Result ceiling, Path work, ObjectNode out, boolean full)
            throws Exception {
        int restPort = freePort();
        StreamExecutionEnvironment env = environment(job.parallelism, work, restPort);
        VetoJob.build(env, job, () -> PAN_KEY.clone());
        FlinkRest rest = new FlinkRest(restPort);

        try (DecisionWatcher watcher = new DecisionWatcher(broker.bootstrapServers(), job.decisionsTopic)) {
            watcher.start();
            say(String.format(
                    Locale.ROOT,
                    "(b) throughput: Veto deciding the backlog of %,d payments (parallelism %d, RocksDB, checkpoints every %s) ...",
                    b.payments,
                    job.parallelism,
                    text(job.checkpointInterval)));
            CpuMeter cpu = CpuMeter.start();
            JobClient client = env.executeAsync("veto-bench-e2e");
            String jobId = client.getJobID().toHexString();
            try {
                if (!watcher.awaitDecided(
                        b.payments, Duration.ofSeconds(120 + b.payments / 1_000), () -> running(client, rest, jobId))) {
                    throw new IllegalStateException(String.format(
                            Locale.ROOT,
                            "only %,d of %,d backlog payments decided in time",
                            watcher.decided(),
                            b.payments));
                }
                CpuMeter.Usage usage = cpu.stop();
                long t0 = watcher.timeOf(1);
                long tEnd = watcher.timeOf(b.payments);
                double sustained = sustained(watcher, b);
                double eventsPerSecond = sustained * b.events / b.payments;
                ObjectNode t = out.putObject("throughput");
                t.put("payments", b.payments);
                t.put("paymentsPerSecond", sustained);
                t.put("eventsPerSecond", eventsPerSecond);
                t.put("ratioToCeiling", eventsPerSecond / ceiling.recordsPerSecond());
                t.put("paymentsRatioToCeiling", sustained / ceiling.recordsPerSecond());
                t.put("firstToLastDecisionSeconds", (tEnd - t0) / 1e9);
                t.put("checkpointsCompleted", rest.completedCheckpoints(jobId));
                t.put("parallelism", job.parallelism);
                t.put("lateDecisions", watcher.late());
                t.put("lateShare", (double) watcher.late() / Math.max(1, watcher.decided()));
                t.set("lateCounters", JSON.valueToTree(rest.counters(jobId, LATE_COUNTERS)));
                cpu(t, usage);
                say(String.format(
                        Locale.ROOT,
                        "    %,.0f payments/s (%,.0f events/s) = %.0f%% of the ceiling",
                        sustained,
                        eventsPerSecond,
                        100 * eventsPerSecond / ceiling.recordsPerSecond()));
                ObjectNode perPayment = t.putObject("cpuMicrosPerPaymentByThread");
                StringBuilder where = new StringBuilder();
                usage.threadSeconds().entrySet().stream().limit(8).forEach(e -> {
                    double us = e.getValue() * 1e6 / b.payments;
                    perPayment.put(e.getKey(), Math.round(us * 10) / 10.0);
                    where.append(String.format(Locale.ROOT, "%n               %6.1f us  %s", us, e.getKey()));
                });
                say("    CPU per payment by thread (this JVM: "
                        + String.format(Locale.ROOT, "%.2f", usage.thisJvmCores()) + " cores):" + where);

                if (full) {
                    measureState(client, rest, jobId, b, work, out);
                    out.set(
                            "latency",
                            measureLatency(
                                    broker,
                                    watcher,
                                    rest,
                                    jobId,
                                    "live",
                                    () -> running(client, rest, jobId),
                                    rates,
                                    warmup,
                                    measure));
                    running(client, rest, jobId);
                }
            } finally {
                client.cancel().get(60, TimeUnit.SECONDS);
            }
        }
        return out;
    }

    /** The end offsets of the payments topic now: a job started at them sees every payment sent after this call. */
    private Map<TopicPartition, Long> endOffsets(EmbeddedKafkaBroker broker) {
        try (var consumer =
                new KafkaConsumer<byte[], byte[]>(CeilingPipe.consumerProperties(broker.bootstrapServers()))) {
            List<TopicPartition> parts = new ArrayList<>();
            consumer.partitionsFor(job.paymentsTopic, Duration.ofSeconds(30))
                    .forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
            return consumer.endOffsets(parts, Duration.ofSeconds(30));
        }
    }

    private ReferenceJob.Settings referenceSettings(
            EmbeddedKafkaBroker broker, String topic, int parallelism, boolean fromLatest) {
        return new ReferenceJob.Settings(
                broker.bootstrapServers(),
                job.paymentsTopic,
                topic,
                topic,
                fromLatest,
                parallelism,
                job.bufferTimeout,
                job.producerLinger,
                job.checkpointInterval,
                PAN_KEY);
    }

    /** The reference job deciding the backlog from its start, at {@code parallelism}: payments/s, CPU. */
    private ObjectNode referenceThroughput(EmbeddedKafkaBroker broker, Backlog b, int parallelism, Path work)
            throws Exception {
        String topic = REFERENCE_TOPIC + "-p" + parallelism;
        broker.createTopics(4, topic);
        int restPort = freePort();
        StreamExecutionEnvironment env = environment(parallelism, work, restPort);
        ReferenceJob.build(env, referenceSettings(broker, topic, parallelism, false));
        FlinkRest rest = new FlinkRest(restPort);
        say(String.format(
                Locale.ROOT,
                "(r) reference job deciding the backlog (parallelism %d, RocksDB, checkpoints every %s) ...",
                parallelism,
                text(job.checkpointInterval)));
        try (DecisionWatcher watcher = new DecisionWatcher(broker.bootstrapServers(), topic)) {
            watcher.start();
            CpuMeter cpu = CpuMeter.start();
            JobClient client = env.executeAsync("reference-p" + parallelism);
            String jobId = client.getJobID().toHexString();
            try {
                if (!watcher.awaitDecided(
                        b.payments, Duration.ofSeconds(120 + b.payments / 1_000), () -> running(client, rest, jobId))) {
                    throw new IllegalStateException(String.format(
                            Locale.ROOT,
                            "the reference job decided only %,d of %,d backlog payments in time",
                            watcher.decided(),
                            b.payments));
                }
                ObjectNode t = JSON.createObjectNode();
                t.put("parallelism", parallelism);
                t.put("paymentsPerSecond", sustained(watcher, b));
                cpu(t, cpu.stop());
                say(String.format(
                        Locale.ROOT,
                        "    %,.0f payments/s",
                        t.path("paymentsPerSecond").asDouble()));
                return t;
            } finally {
                client.cancel().get(60, TimeUnit.SECONDS);
            }
        }
    }

    /** The reference job, started at the topic's end, at the latency phases' rates. */
    private ArrayNode referenceLatency(EmbeddedKafkaBroker broker, Path work) throws Exception {
        String topic = REFERENCE_TOPIC + "-live";
        broker.createTopics(4, topic);
        int restPort = freePort();
        StreamExecutionEnvironment env = environment(job.parallelism, work, restPort);
        ReferenceJob.build(env, referenceSettings(broker, topic, job.parallelism, true));
        FlinkRest rest = new FlinkRest(restPort);
        say("(r) reference job at the latency phases' rates ...");
        try (DecisionWatcher watcher = new DecisionWatcher(broker.bootstrapServers(), topic)) {
            watcher.start();
            JobClient client = env.executeAsync("reference-live");
            String jobId = client.getJobID().toHexString();
            try {
                awaitTasksRunning(client, rest, jobId);
                return measureLatency(
                        broker,
                        watcher,
                        rest,
                        jobId,
                        "live_ref",
                        () -> running(client, rest, jobId),
                        rates,
                        warmup,
                        measure);
            } finally {
                client.cancel().get(60, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * A fresh Veto job (no state: every card is new to it) started at the topic's end gets live
     * payments at {@code --cold-start-rate} from the moment all its tasks run: the latency of its first
     * {@code --cold-start}, and how many of those decisions say {@code late} (none arrived late).
     */
    private ObjectNode coldStart(EmbeddedKafkaBroker broker, Path work) throws Exception {
        String topic = "decisions-cold";
        broker.createTopics(4, topic);
        JobOptions o = job;
        String topicBefore = o.decisionsTopic;
        String groupBefore = o.groupId;
        o.decisionsTopic = topic;
        o.groupId = "veto-bench-cold";
        int restPort = freePort();
        StreamExecutionEnvironment env = environment(o.parallelism, work, restPort);
        try {
            VetoJob.configure(env, o);
            var source = KafkaConnectors.paymentsSourceBuilder(o, () -> PAN_KEY.clone())
                    .setStartingOffsets(OffsetsInitializer.offsets(endOffsets(broker)))
                    .build();
            VetoPipeline.build(env, VetoJob.kafkaIo(o, source), VetoJob.loadRules(o), o);
        } finally {
            o.decisionsTopic = topicBefore;
            o.groupId = groupBefore;
        }
        FlinkRest rest = new FlinkRest(restPort);
        say(String.format(
                Locale.ROOT,
                "(s) cold start: a fresh Veto job, %,d payments/s from its first second, for %s ...",
                coldStartRate,
                text(coldStart)));
        try (DecisionWatcher watcher = new DecisionWatcher(broker.bootstrapServers(), topic)) {
            watcher.start();
            JobClient client = env.executeAsync("veto-cold-start");
            String jobId = client.getJobID().toHexString();
            try {
                awaitTasksRunning(client, rest, jobId);
                ArrayNode phases = measureLatency(
                        broker,
                        watcher,
                        rest,
                        jobId,
                        "live_cold",
                        () -> running(client, rest, jobId),
                        List.of(coldStartRate),
                        Duration.ZERO,
                        coldStart);
                ObjectNode n = (ObjectNode) phases.get(0);
                n.put("lateDecisions", watcher.late());
                n.set("lateCounters", JSON.valueToTree(rest.counters(jobId, LATE_COUNTERS)));
                say(String.format(
                        Locale.ROOT, "    %,d decisions, %,d of them late", watcher.decided(), watcher.late()));
                return n;
            } finally {
                client.cancel().get(60, TimeUnit.SECONDS);
            }
        }
    }

    /** Waits until the job and every one of its tasks report RUNNING. */
    private static void awaitTasksRunning(JobClient client, FlinkRest rest, String jobId) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            running(client, rest, jobId);
            JsonNode j = rest.job(jobId);
            boolean all = "RUNNING".equals(j.path("state").asText())
                    && j.path("vertices").size() > 0;
            for (JsonNode v : j.path("vertices")) {
                all &= "RUNNING".equals(v.path("status").asText());
            }
            if (all) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        throw new IllegalStateException("the job's tasks did not all start within 2 minutes");
    }

    /** Payments/s between 10% and 90% of the backlog decided. */
    private static double sustained(DecisionWatcher watcher, Backlog b) {
        long t10 = watcher.timeOf(b.payments / 10);
        long t90 = watcher.timeOf(b.payments * 9 / 10);
        return (b.payments * 9 / 10 - b.payments / 10) / ((t90 - t10) / 1e9);
    }

    /** Veto against the reference job of the same run: throughput ratio, p99 ratio per rate. */
    private static void compare(ObjectNode out) {
        ObjectNode c = out.putObject("versusReference");
        JsonNode ref = out.path("reference");
        if (ref.isMissingNode()) {
            return;
        }
        c.put(
                "throughputRatio",
                out.path("throughput").path("paymentsPerSecond").asDouble()
                        / ref.path("paymentsPerSecond").asDouble());
        JsonNode sc = out.path("scale");
        if (sc.has("referenceP1") && sc.has("vetoP1")) {
            c.put(
                    "throughputRatioP1",
                    sc.path("vetoP1")
                                    .path("throughput")
                                    .path("paymentsPerSecond")
                                    .asDouble()
                            / sc.path("referenceP1").path("paymentsPerSecond").asDouble());
        }
        ObjectNode p99 = c.putObject("p99RatioByRate");
        for (JsonNode v : out.path("latency")) {
            for (JsonNode r : out.path("referenceLatency")) {
                if (r.path("rate").asInt() == v.path("rate").asInt()) {
                    p99.put(
                            Integer.toString(v.path("rate").asInt()),
                            v.path("p99Ms").asDouble() / r.path("p99Ms").asDouble());
                }
            }
        }
    }

    /** Throws when the job is no longer running or has restarted (its exceptions are in logs/bench-e2e.log). */
    private static void running(JobClient client, FlinkRest rest, String jobId) {
        String restarts = rest.restarts(jobId);
        if (restarts != null) {
            throw new IllegalStateException("the Veto job failed during the benchmark: " + restarts);
        }
        try {
            JobStatus status = client.getJobStatus().get(30, TimeUnit.SECONDS);
            if (status.isTerminalState()) {
                throw new IllegalStateException("the Veto job ended (" + status + "); see logs/bench-e2e.log");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the Veto job's status is unknown: " + e, e);
        }
    }

    private void measureState(JobClient client, FlinkRest rest, String jobId, Backlog b, Path work, ObjectNode out)
            throws Exception {
        say("(d) state: waiting for a checkpoint of the decided backlog, then a canonical savepoint ...");
        long after = System.currentTimeMillis();
        long deadline = System.nanoTime() + job.checkpointInterval.toNanos() + TimeUnit.MINUTES.toNanos(3);
        JsonNode completed = null;
        while (System.nanoTime() < deadline) {
            JsonNode latest = rest.checkpoints(jobId).path("latest").path("completed");
            if (!latest.isMissingNode()
                    && !latest.isNull()
                    && latest.path("trigger_timestamp").asLong() > after) {
                completed = latest;
                break;
            }
            running(client, rest, jobId);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
        if (completed == null) {
            throw new IllegalStateException("no checkpoint completed after the backlog was decided");
        }
        long checkpointBytes = completed.path("state_size").asLong();
        long t0 = System.nanoTime();
        String savepoint = client.triggerSavepoint(
                        work.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL)
                .get(5, TimeUnit.MINUTES);
        double savepointSeconds = (System.nanoTime() - t0) / 1e9;
        long savepointBytes = size(Path.of(URI.create(savepoint)));
        ObjectNode s = out.putObject("state");
        s.put("activeCards", b.activeCards);
        s.put("checkpointId", completed.path("id").asLong());
        s.put("checkpointBytes", checkpointBytes);
        s.put("checkpointIncrementalBytes", completed.path("checkpointed_size").asLong());
        s.put("checkpointMillis", completed.path("end_to_end_duration").asLong());
        s.put("bytesPerActiveCard", (double) checkpointBytes / b.activeCards);
        s.put("savepointBytes", savepointBytes);
        s.put("savepointSeconds", savepointSeconds);
        s.put("savepointBytesPerActiveCard", (double) savepointBytes / b.activeCards);
        say(String.format(
                Locale.ROOT,
                "    checkpoint %,d bytes = %,.0f bytes per active card (canonical savepoint %,.0f)",
                checkpointBytes,
                (double) checkpointBytes / b.activeCards,
                (double) savepointBytes / b.activeCards));
    }

    /** Latency at each of {@code --rates}, payments sent live (run id {@code runId}) to a running job. */
    private ArrayNode measureLatency(
            EmbeddedKafkaBroker broker,
            DecisionWatcher watcher,
            FlinkRest rest,
            String jobId,
            String runId,
            Runnable alive,
            List<Integer> phaseRates,
            Duration phaseWarmup,
            Duration phaseMeasure)
            throws Exception {
        // The same world as the backlog (same cards, merchants, devices), now on the wall clock.
        PaymentGenerator live =
                new PaymentGenerator(world().withLiveClock(Clock.systemUTC()).withRunId(runId));
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // The payment platform's producer: sends within a millisecond (Kafka 4's default linger is 5 ms);
        // latency is counted from the moment each payment was due, so this wait is in the figures.
        p.put(ProducerConfig.LINGER_MS_CONFIG, "1");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-live-payments");
        ArrayNode phases = JSON.createArrayNode();
        List<DecisionWatcher.Phase> measured = new ArrayList<>();
        List<Histogram> lags = new ArrayList<>();
        List<CpuMeter.Usage> usages = new ArrayList<>();
        List<JsonNode> checkpoints = new ArrayList<>();
        AtomicReference<Exception> sendError = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            for (int rate : phaseRates) {
                say(String.format(
                        Locale.ROOT,
                        "(c) latency at %,d payments/s: %s warm-up, %s measured, checkpoints every %s ...",
                        rate,
                        text(phaseWarmup),
                        text(phaseMeasure),
                        text(job.checkpointInterval)));
                long completedBefore = rest.completedCheckpoints(jobId);
                long wallFrom = System.currentTimeMillis();
                long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
                long from = start + phaseWarmup.toNanos();
                long to = from + phaseMeasure.toNanos();
                DecisionWatcher.Phase phase = new DecisionWatcher.Phase(rate, from, to);
                watcher.addPhase(phase);
                Histogram lag = new Histogram(TimeUnit.MINUTES.toMicros(1), 3);
                CpuMeter cpu = null;
                double interval = 1e9 / rate;
                for (long i = 0; ; i++) {
                    long due = start + (long) (i * interval);
                    if (due >= to) {
                        break;
                    }
                    if (cpu == null && due >= from) {
                        cpu = CpuMeter.start();
                    }
                    long now;
                    while ((now = System.nanoTime()) < due) {
                        LockSupport.parkNanos(due - now);
                    }
                    GeneratedEvent e = live.next();
                    if (e.isPayment()) {
                        watcher.sent.put(e.paymentId(), due);
                        if (phase.measures(due)) {
                            phase.sentMeasured.incrementAndGet();
                            lag.recordValue(
                                    Math.min((System.nanoTime() - due) / 1_000, lag.getHighestTrackableValue()));
                        }
                    }
                    producer.send(new ProducerRecord<>(job.paymentsTopic, e.keyBytes(), e.json()), (md, ex) -> {
                        if (ex != null) {
                            sendError.compareAndSet(null, ex);
                        }
                    });
                }
                usages.add(cpu == null ? CpuMeter.start().stop() : cpu.stop());
                alive.run();
                if (sendError.get() != null) {
                    throw new IllegalStateException("sending live payments failed", sendError.get());
                }
                measured.add(phase);
                lags.add(lag);
                checkpoints.add(checkpointsDuring(
                        rest, jobId, completedBefore, wallFrom + phaseWarmup.toMillis(), System.currentTimeMillis()));
            }
            producer.flush();
        }
        long lastDue = measured.get(measured.size() - 1).measureTo;
        if (!watcher.awaitAnswered(lastDue, Duration.ofSeconds(30))) {
            say("    some payments of the latency phases got no decision within 30 s (counted as missing)");
        }
        for (int i = 0; i < measured.size(); i++) {
            DecisionWatcher.Phase ph = measured.get(i);
            Histogram h = ph.micros;
            ObjectNode n = phases.addObject();
            n.put("rate", ph.rate);
            n.put("measuredMillis", (ph.measureTo - ph.measureFrom) / 1_000_000);
            n.put("paymentsMeasured", ph.sentMeasured.get());
            n.put("decisionsMeasured", h.getTotalCount());
            n.put("missing", watcher.missing(ph));
            n.put("p50Ms", ms(h, 50));
            n.put("p90Ms", ms(h, 90));
            n.put("p99Ms", ms(h, 99));
            n.put("p999Ms", ms(h, 99.9));
            n.put("maxMs", h.getTotalCount() == 0 ? Double.NaN : h.getMaxValue() / 1000.0);
            n.put("senderLagP99Ms", ms(lags.get(i), 99));
            n.set("checkpoints", checkpoints.get(i));
            cpu(n, usages.get(i));
            say(String.format(
                    Locale.ROOT,
                    "    %,d/s: p50 %.1f ms  p99 %.1f ms  p99.9 %.1f ms  max %.1f ms (%,d decisions, %d missing)",
                    ph.rate,
                    ms(h, 50),
                    ms(h, 99),
                    ms(h, 99.9),
                    h.getMaxValue() / 1000.0,
                    h.getTotalCount(),
                    watcher.missing(ph)));
        }
        return phases;
    }

    /**
     * Checkpoints completed while a phase was measured: how many, the longest, and per operator the
     * longest synchronous part (the time its task thread stopped processing for the checkpoint).
     */
    private static JsonNode checkpointsDuring(
            FlinkRest rest, String jobId, long completedBefore, long fromMillis, long toMillis) {
        JsonNode stats = rest.checkpoints(jobId);
        ObjectNode n = JSON.createObjectNode();
        n.put("completed", stats.path("counts").path("completed").asLong() - completedBefore);
        long longest = 0;
        int inWindow = 0;
        ObjectNode sync = n.putObject("longestSyncMillisByOperator");
        JsonNode vertices = rest.job(jobId).path("vertices");
        for (JsonNode h : stats.path("history")) {
            long trigger = h.path("trigger_timestamp").asLong();
            if ("COMPLETED".equals(h.path("status").asText()) && trigger >= fromMillis && trigger <= toMillis) {
                inWindow++;
                longest = Math.max(longest, h.path("end_to_end_duration").asLong());
                for (JsonNode v : vertices) {
                    try {
                        JsonNode d = rest.checkpointOfVertex(
                                jobId, h.path("id").asLong(), v.path("id").asText());
                        long max = d.path("summary")
                                .path("checkpoint_duration")
                                .path("sync")
                                .path("max")
                                .asLong();
                        String name = v.path("name").asText();
                        name = name.length() > 40 ? name.substring(0, 40) : name;
                        sync.put(name, Math.max(sync.path(name).asLong(), max));
                    } catch (RuntimeException e) {
                        // Statistics of an old checkpoint may be gone: this figure is informative only.
                    }
                }
            }
        }
        n.put("triggeredInMeasuredWindow", inWindow);
        n.put("longestMillis", longest);
        return n;
    }

    // ------------------------------------------------------------------------------- report

    private static ObjectNode targets(ObjectNode out) {
        ObjectNode t = JSON.createObjectNode();
        t.put(
                "throughputAtLeastReference",
                out.path("versusReference").path("throughputRatio").asDouble(0) >= 1.0);
        JsonNode cold = out.path("coldStart");
        if (!cold.isMissingNode()) {
            t.put(
                    "coldStartP99AtMost250ms",
                    cold.path("p99Ms").asDouble(Double.NaN) <= TARGET_COLD_P99_MS
                            && cold.path("missing").asLong() == 0
                            && cold.path("lateDecisions").asLong() == 0);
        }
        for (JsonNode l : out.path("latency")) {
            if (l.path("rate").asInt() == TARGET_LATENCY_RATE) {
                t.put(
                        "p99AtMost50msAt5k",
                        l.path("p99Ms").asDouble(Double.NaN) <= TARGET_P99_MS
                                && l.path("missing").asLong() == 0);
                t.put(
                        "p999AtMost150msAt5k",
                        l.path("p999Ms").asDouble(Double.NaN) <= TARGET_P999_MS
                                && l.path("missing").asLong() == 0);
            }
        }
        t.put(
                "stateAtMost1KBPerActiveCard",
                out.path("state").path("bytesPerActiveCard").asDouble(Double.NaN) <= TARGET_STATE_BYTES);
        return t;
    }

    /** The summary table: each figure, what it is measured against, the target. */
    static String table(JsonNode r) {
        StringBuilder sb = new StringBuilder();
        String line = "-".repeat(100);
        sb.append('\n').append(line).append('\n');
        sb.append(String.format(
                Locale.ROOT,
                "Veto end to end%s: %d cores, %,d cards, backlog %,d events (%.0f B mean), parallelism %d, %s%n",
                r.path("quick").asBoolean() ? " (QUICK smoke run: figures not representative)" : "",
                r.path("cores").asInt(),
                r.path("settings").path("cards").asInt(),
                r.path("backlog").path("events").asLong(),
                r.path("backlog").path("meanRecordBytes").asDouble(),
                r.path("settings").path("parallelism").asInt(),
                r.path("settings").path("stateBackend").asText()));
        sb.append(line).append('\n');
        sb.append(String.format(Locale.ROOT, "%-44s %24s   %-26s %s%n", "figure", "value", "target", "other CPU*"));
        JsonNode c = r.path("ceiling");
        JsonNode tp = r.path("throughput");
        JsonNode st = r.path("state");
        JsonNode tg = r.path("targets");
        sb.append(row(
                "(a) ceiling: Kafka consume -> produce pipe",
                String.format(
                        Locale.ROOT, "%,.0f rec/s", c.path("recordsPerSecond").asDouble()),
                "",
                c));
        JsonNode ref = r.path("reference");
        JsonNode vs = r.path("versusReference");
        if (!ref.isMissingNode()) {
            sb.append(row(
                    "(r) reference job (hand-written, 1 stage)",
                    String.format(
                            Locale.ROOT,
                            "%,.0f payments/s",
                            ref.path("paymentsPerSecond").asDouble()),
                    "",
                    ref));
        }
        sb.append(row(
                "(b) Veto max throughput",
                String.format(
                        Locale.ROOT,
                        "%,.0f payments/s",
                        tp.path("paymentsPerSecond").asDouble()),
                mark(tg, "throughputAtLeastReference") + " >= 1.0x reference",
                tp));
        if (vs.has("throughputRatio")) {
            sb.append(row(
                    "    Veto / reference",
                    String.format(
                            Locale.ROOT, "%.2fx", vs.path("throughputRatio").asDouble()),
                    "",
                    null));
        }
        sb.append(row(
                String.format(
                        Locale.ROOT,
                        "    late decisions in the catch-up: %,d (%.2f %%) %s",
                        tp.path("lateDecisions").asLong(),
                        100 * tp.path("lateShare").asDouble(),
                        tp.path("lateCounters")),
                "",
                "",
                null));
        JsonNode sc = r.path("scale");
        if (!sc.isMissingNode()) {
            sb.append(row(
                    "    at parallelism 1: Veto / reference",
                    String.format(
                            Locale.ROOT,
                            "%,.0f / %,.0f",
                            sc.path("vetoP1")
                                    .path("throughput")
                                    .path("paymentsPerSecond")
                                    .asDouble(),
                            sc.path("referenceP1").path("paymentsPerSecond").asDouble()),
                    vs.has("throughputRatioP1")
                            ? String.format(
                                    Locale.ROOT,
                                    "%.2fx",
                                    vs.path("throughputRatioP1").asDouble())
                            : "",
                    null));
        }
        for (JsonNode l : r.path("latency")) {
            int rate = l.path("rate").asInt();
            String target = rate == TARGET_LATENCY_RATE
                    ? mark(tg, "p99AtMost50msAt5k") + " p99<=50 " + mark(tg, "p999AtMost150msAt5k") + " p99.9<=150"
                    : "";
            sb.append(row(
                    String.format(Locale.ROOT, "(c) latency at %,d/s  p50 / p99 / p99.9 ms", rate),
                    String.format(
                            Locale.ROOT,
                            "%.1f / %.1f / %.1f",
                            l.path("p50Ms").asDouble(),
                            l.path("p99Ms").asDouble(),
                            l.path("p999Ms").asDouble()),
                    target,
                    l));
            for (JsonNode rl : r.path("referenceLatency")) {
                if (rl.path("rate").asInt() == rate) {
                    double ratio = vs.path("p99RatioByRate")
                            .path(Integer.toString(rate))
                            .asDouble();
                    sb.append(row(
                            "    reference job",
                            String.format(
                                    Locale.ROOT,
                                    "%.1f / %.1f / %.1f",
                                    rl.path("p50Ms").asDouble(),
                                    rl.path("p99Ms").asDouble(),
                                    rl.path("p999Ms").asDouble()),
                            (ratio <= 1.5 ? "[met]" : "[MISSED]")
                                    + String.format(Locale.ROOT, " p99 %.2fx <= 1.5x", ratio),
                            rl));
                }
            }
            sb.append(row(
                    String.format(
                            Locale.ROOT,
                            "      max %.0f ms, %,d decisions, %d missing, %d checkpoints (longest %d ms), sender lag p99 %.1f ms",
                            l.path("maxMs").asDouble(),
                            l.path("decisionsMeasured").asLong(),
                            l.path("missing").asLong(),
                            l.path("checkpoints")
                                    .path("triggeredInMeasuredWindow")
                                    .asInt(),
                            l.path("checkpoints").path("longestMillis").asLong(),
                            l.path("senderLagP99Ms").asDouble()),
                    "",
                    "",
                    null));
            StringBuilder sync = new StringBuilder();
            l.path("checkpoints").path("longestSyncMillisByOperator").fields().forEachRemaining(e -> {
                if (e.getValue().asLong() > 0) {
                    sync.append(sync.length() == 0 ? "" : ", ")
                            .append(e.getKey())
                            .append(' ')
                            .append(e.getValue().asLong())
                            .append(" ms");
                }
            });
            if (sync.length() > 0) {
                sb.append(row("      longest synchronous checkpoint part: " + sync, "", "", null));
            }
        }
        JsonNode cold = r.path("coldStart");
        if (!cold.isMissingNode()) {
            sb.append(row(
                    String.format(
                            Locale.ROOT,
                            "(s) cold start, first %s at %,d/s: p50 / p99 ms",
                            text(Duration.ofMillis(cold.path("measuredMillis").asLong())),
                            cold.path("rate").asInt()),
                    String.format(
                            Locale.ROOT,
                            "%.1f / %.1f",
                            cold.path("p50Ms").asDouble(),
                            cold.path("p99Ms").asDouble()),
                    mark(tg, "coldStartP99AtMost250ms") + " p99<=250",
                    cold));
            sb.append(row(
                    String.format(
                            Locale.ROOT,
                            "      %,d late decisions, %d missing %s",
                            cold.path("lateDecisions").asLong(),
                            cold.path("missing").asLong(),
                            cold.path("lateCounters")),
                    "",
                    "",
                    null));
        }
        sb.append(row(
                "(d) state per active card (checkpoint)",
                String.format(
                        Locale.ROOT, "%,.0f B", st.path("bytesPerActiveCard").asDouble()),
                mark(tg, "stateAtMost1KBPerActiveCard") + " <= 1 KB",
                null));
        sb.append(row(
                String.format(
                        Locale.ROOT,
                        "    %,d active cards; canonical savepoint",
                        st.path("activeCards").asLong()),
                String.format(
                        Locale.ROOT,
                        "%,.0f B/card",
                        st.path("savepointBytesPerActiveCard").asDouble()),
                "",
                null));
        sb.append(line).append('\n');
        sb.append("* CPU used by other processes on this machine while the figure was measured, in cores (of ")
                .append(r.path("cores").asInt())
                .append("), and the load average at its end\n");
        return sb.toString();
    }

    private static String row(String name, String value, String target, JsonNode cpu) {
        String other = "";
        if (cpu != null && cpu.has("otherCores")) {
            other = String.format(
                    Locale.ROOT,
                    "%.2f (load %.1f)",
                    cpu.path("otherCores").asDouble(),
                    cpu.path("loadAverage").asDouble());
        }
        if (value.isEmpty()) {
            return name + "\n";
        }
        return String.format(Locale.ROOT, "%-44s %24s   %-26s %s%n", name, value, target, other);
    }

    private static String mark(JsonNode targets, String name) {
        return !targets.has(name) ? "[?]" : targets.path(name).asBoolean() ? "[met]" : "[MISSED]";
    }

    private static void cpu(ObjectNode n, CpuMeter.Usage u) {
        n.put("thisJvmCores", u.thisJvmCores());
        n.put("otherCores", u.othersCores());
        n.put("loadAverage", u.loadAverage());
        ObjectNode threads = n.putObject("cpuSecondsByThread");
        u.threadSeconds().entrySet().stream()
                .limit(12)
                .forEach(e -> threads.put(e.getKey(), Math.round(e.getValue() * 100) / 100.0));
    }

    private static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1000.0;
    }

    private static String text(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile)
                    .mapToLong(f -> f.toFile().length())
                    .sum();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    /** A report line, stamped with the JVM's uptime (to find a phase in a profile of the run). */
    static void say(String s) {
        System.out.printf(
                Locale.ROOT,
                "bench-e2e | %6.1fs | %s%n",
                ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0,
                s);
    }
}
