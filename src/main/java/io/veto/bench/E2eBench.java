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
import io.veto.job.VetoJob;
import io.veto.kafka.EmbeddedKafkaBroker;
import io.veto.kafka.PanKeySupplier;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
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
@Command(name = "bench-e2e", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Veto end to end: Kafka ceiling, max throughput, latency at fixed rates, state per card.")
public final class E2eBench implements Callable<Integer> {
    static final int TARGET_THROUGHPUT = 20_000;
    static final double TARGET_RATIO = 0.30;
    static final int TARGET_LATENCY_RATE = 5_000;
    static final double TARGET_P99_MS = 50;
    static final double TARGET_P999_MS = 150;
    static final double TARGET_STATE_BYTES = 1024;

    @Option(names = "--quick", description = "Smoke test: 5,000 cards, 10,000 events, rates 500 and 1000/s for 3 s, checkpoints every 2 s")
    boolean quick;

    @Option(names = "--cards", description = "Cards in the generated population (default: 100000)")
    Integer cards;

    @Option(names = "--merchants", description = "Merchants (default: one per 5 cards, the generator's own proportion)")
    Integer merchants;

    @Option(names = "--backlog", description = "Events in the backlog (default: 1000000)")
    Integer backlog;

    @Option(names = "--rates", split = ",", description = "Payment rates of the latency phases, events/s (default: 1000,5000,10000)")
    List<Integer> rates;

    @Option(names = "--warmup", converter = JobOptions.DurationConverter.class, description = "Unmeasured start of each latency phase (default: 10s)")
    Duration warmup;

    @Option(names = "--measure", converter = JobOptions.DurationConverter.class, description = "Measured part of each latency phase (default: 30s)")
    Duration measure;

    @Option(names = "--json", description = "Where the figures are written (default: ${DEFAULT-VALUE})")
    Path jsonOut = Path.of("target/bench-e2e.json");

    @Option(names = "--managed-memory", description = "Flink managed memory (RocksDB) of the MiniCluster (default: ${DEFAULT-VALUE}, about what flink-conf/config.yaml gives a 2-slot TaskManager)")
    String managedMemory = "768m";

    @Option(names = "--seed", description = "Seed of the generated world and traffic (default: ${DEFAULT-VALUE})")
    long seed = 20_261_128L;

    @Option(names = "--flink", description = "A Flink option for the job's MiniCluster, KEY=VALUE (repeatable), e.g. --flink state.backend.rocksdb.timer-service.factory=ROCKSDB")
    Map<String, String> flinkOptions = new java.util.LinkedHashMap<>();

    @Mixin JobOptions job = new JobOptions();

    @Spec CommandSpec spec;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

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
        backlog = backlog != null ? backlog : quick ? 10_000 : 1_000_000;
        rates = rates != null ? rates : quick ? List.of(500, 1_000) : List.of(1_000, 5_000, 10_000);
        warmup = warmup != null ? warmup : quick ? Duration.ofSeconds(1) : Duration.ofSeconds(10);
        measure = measure != null ? measure : quick ? Duration.ofSeconds(3) : Duration.ofSeconds(30);
        if (quick && !given("--checkpoint-interval")) {
            job.checkpointInterval = Duration.ofSeconds(2);
        }
        if (job.parallelism == 0) {
            job.parallelism = 2;
        }
        if (job.checkpointInterval.isZero()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "the benchmark measures with checkpoints on: --checkpoint-interval must not be 0");
        }
    }

    private boolean given(String option) {
        return spec != null && spec.commandLine().getParseResult() != null && spec.commandLine().getParseResult().hasMatchedOption(option);
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
            broker.createTopics(4, job.paymentsTopic, job.decisionsTopic, pipeTopic);
            broker.createTopics(1, job.dlqTopic, job.rulesTopic, job.rulesStatusTopic, job.alertsTopic);

            Backlog b = loadBacklog(broker);
            out.set("backlog", b.json());

            say(String.format(Locale.ROOT, "(a) ceiling: piping the %,d records through a plain consumer -> producer (%d threads) ...", b.events, job.parallelism));
            CpuMeter cpu = CpuMeter.start();
            CeilingPipe.Result ceiling = CeilingPipe.run(broker.bootstrapServers(), job.paymentsTopic, pipeTopic, job.parallelism, job.producerLinger);
            ObjectNode c = out.putObject("ceiling");
            c.put("records", ceiling.records());
            c.put("seconds", ceiling.seconds());
            c.put("recordsPerSecond", ceiling.recordsPerSecond());
            cpu(c, cpu.stop());
            say(String.format(Locale.ROOT, "    %,.0f records/s", ceiling.recordsPerSecond()));

            runVeto(broker, b, ceiling, work, out);
        } finally {
            try (Stream<Path> walk = Files.walk(work)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        out.put("loadAverageAtEnd", CpuMeter.loadAverage());
        out.set("targets", targets(out));
        return out;
    }

    // ------------------------------------------------------------------------------- backlog

    /** What was loaded: counts, sizes, and the last payment time per card (for active cards). */
    private record Backlog(long events, long payments, long bytes, double seconds, long firstTime, long lastTime, long activeCards) {
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
        long gapMicros = Math.max(1, GeneratorConfig.defaults().meanGapMicros() * GeneratorConfig.defaults().cards() / cards);
        long spanMillis = backlog * gapMicros / 1000;
        // Ends safely before now (the sum of exponential gaps varies by sqrt(n) gaps), so that the live
        // payments of the latency phases come after every backlog event in event time.
        long margin = (long) (5 * Math.sqrt(backlog) * gapMicros / 1000) + 60_000;
        Instant start = Instant.now().minusMillis(spanMillis + margin);
        GeneratorConfig config = world().withMeanGapMicros(gapMicros).withStartTime(start);
        say(String.format(Locale.ROOT, "loading a backlog of %,d events: %,d cards, %,d merchants, %.1f days of event time ...",
                backlog, cards, merchants, spanMillis / 86_400_000.0));
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
        try (GeneratorRunner runner = GeneratorRunner.toKafka(broker.bootstrapServers(), "lz4", job.paymentsTopic, counted, 0, null, backlog)) {
            runner.run();
            if (runner.failed() > 0) {
                throw new IllegalStateException(runner.failed() + " backlog records could not be sent", runner.firstError());
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (counts[3] >= System.currentTimeMillis()) {
            throw new IllegalStateException("the backlog reaches into the future; the live phases would be late");
        }
        long horizon = Duration.ofHours(24).toMillis();
        long active = lastPaymentByCard.values().stream().filter(t -> t > counts[3] - horizon).count();
        say(String.format(Locale.ROOT, "    %,d events (%,d payments, mean %d bytes) in %.1f s; %,d cards paid in the last 24 h of it",
                backlog, counts[0], counts[1] / backlog, seconds, active));
        return new Backlog(backlog, counts[0], counts[1], seconds, counts[2], counts[3], active);
    }

    // ------------------------------------------------------------------------------- Veto

    private void runVeto(EmbeddedKafkaBroker broker, Backlog b, CeilingPipe.Result ceiling, Path work, ObjectNode out) throws Exception {
        int restPort = freePort();
        Configuration conf = VetoJob.flinkConfiguration(job);
        conf.setString("state.backend.type", "rocksdb");
        conf.setString("execution.checkpointing.incremental", "true");
        conf.setString("execution.checkpointing.dir", work.resolve("checkpoints").toUri().toString());
        conf.setString("execution.checkpointing.timeout", "2min");
        conf.setString("execution.checkpointing.max-concurrent-checkpoints", "1");
        conf.setString("taskmanager.memory.managed.size", managedMemory);
        conf.setString("taskmanager.numberOfTaskSlots", Integer.toString(job.parallelism));
        conf.setString("parallelism.default", Integer.toString(job.parallelism));
        conf.set(RestOptions.BIND_PORT, Integer.toString(restPort));
        conf.set(RestOptions.ADDRESS, "localhost");
        flinkOptions.forEach(conf::setString);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(conf);
        byte[] panKey = new byte[32];
        new SecureRandom().nextBytes(panKey);
        PanKeySupplier keys = () -> panKey.clone();
        VetoJob.build(env, job, keys);
        FlinkRest rest = new FlinkRest(restPort);

        try (DecisionWatcher watcher = new DecisionWatcher(broker.bootstrapServers(), job.decisionsTopic)) {
            watcher.start();
            say(String.format(Locale.ROOT, "(b) throughput: Veto deciding the backlog of %,d payments (parallelism %d, RocksDB, checkpoints every %s) ...",
                    b.payments, job.parallelism, text(job.checkpointInterval)));
            CpuMeter cpu = CpuMeter.start();
            JobClient client = env.executeAsync("veto-bench-e2e");
            String jobId = client.getJobID().toHexString();
            try {
                if (!watcher.awaitDecided(b.payments, Duration.ofSeconds(120 + b.payments / 1_000), () -> running(client, rest, jobId))) {
                    throw new IllegalStateException(String.format(Locale.ROOT, "only %,d of %,d backlog payments decided in time", watcher.decided(), b.payments));
                }
                CpuMeter.Usage usage = cpu.stop();
                long t10 = watcher.timeOf(b.payments / 10);
                long t90 = watcher.timeOf(b.payments * 9 / 10);
                long t0 = watcher.timeOf(1);
                long tEnd = watcher.timeOf(b.payments);
                double sustained = (b.payments * 9 / 10 - b.payments / 10) / ((t90 - t10) / 1e9);
                double eventsPerSecond = sustained * b.events / b.payments;
                ObjectNode t = out.putObject("throughput");
                t.put("payments", b.payments);
                t.put("paymentsPerSecond", sustained);
                t.put("eventsPerSecond", eventsPerSecond);
                t.put("ratioToCeiling", eventsPerSecond / ceiling.recordsPerSecond());
                t.put("paymentsRatioToCeiling", sustained / ceiling.recordsPerSecond());
                t.put("firstToLastDecisionSeconds", (tEnd - t0) / 1e9);
                t.put("checkpointsCompleted", rest.completedCheckpoints(jobId));
                cpu(t, usage);
                say(String.format(Locale.ROOT, "    %,.0f payments/s (%,.0f events/s) = %.0f%% of the ceiling",
                        sustained, eventsPerSecond, 100 * eventsPerSecond / ceiling.recordsPerSecond()));
                ObjectNode perPayment = t.putObject("cpuMicrosPerPaymentByThread");
                StringBuilder where = new StringBuilder();
                usage.threadSeconds().entrySet().stream().limit(8).forEach(e -> {
                    double us = e.getValue() * 1e6 / b.payments;
                    perPayment.put(e.getKey(), Math.round(us * 10) / 10.0);
                    where.append(String.format(Locale.ROOT, "%n               %6.1f us  %s", us, e.getKey()));
                });
                say("    CPU per payment by thread (this JVM: " + String.format(Locale.ROOT, "%.2f", usage.thisJvmCores()) + " cores):" + where);

                measureState(client, rest, jobId, b, work, out);
                measureLatency(broker, watcher, rest, jobId, out);
                running(client, rest, jobId);
            } finally {
                client.cancel().get(60, TimeUnit.SECONDS);
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
            org.apache.flink.api.common.JobStatus status = client.getJobStatus().get(30, TimeUnit.SECONDS);
            if (status.isTerminalState()) {
                throw new IllegalStateException("the Veto job ended (" + status + "); see logs/bench-e2e.log");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the Veto job's status is unknown: " + e, e);
        }
    }

    private void measureState(JobClient client, FlinkRest rest, String jobId, Backlog b, Path work, ObjectNode out) throws Exception {
        say("(d) state: waiting for a checkpoint of the decided backlog, then a canonical savepoint ...");
        long after = System.currentTimeMillis();
        long deadline = System.nanoTime() + job.checkpointInterval.toNanos() + TimeUnit.MINUTES.toNanos(3);
        JsonNode completed = null;
        while (System.nanoTime() < deadline) {
            JsonNode latest = rest.checkpoints(jobId).path("latest").path("completed");
            if (!latest.isMissingNode() && !latest.isNull() && latest.path("trigger_timestamp").asLong() > after) {
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
        String savepoint = client.triggerSavepoint(work.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL).get(5, TimeUnit.MINUTES);
        double savepointSeconds = (System.nanoTime() - t0) / 1e9;
        long savepointBytes = size(Path.of(java.net.URI.create(savepoint)));
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
        say(String.format(Locale.ROOT, "    checkpoint %,d bytes = %,.0f bytes per active card (canonical savepoint %,.0f)",
                checkpointBytes, (double) checkpointBytes / b.activeCards, (double) savepointBytes / b.activeCards));
    }

    private void measureLatency(EmbeddedKafkaBroker broker, DecisionWatcher watcher, FlinkRest rest, String jobId, ObjectNode out) throws Exception {
        // The same world as the backlog (same cards, merchants, devices), now on the wall clock.
        PaymentGenerator live = new PaymentGenerator(world().withLiveClock(Clock.systemUTC()).withRunId("live"));
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // The payment platform's producer: sends within a millisecond (Kafka 4's default linger is 5 ms);
        // latency is counted from the moment each payment was due, so this wait is in the figures.
        p.put(ProducerConfig.LINGER_MS_CONFIG, "1");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-live-payments");
        ArrayNode phases = out.putArray("latency");
        List<DecisionWatcher.Phase> measured = new ArrayList<>();
        List<Histogram> lags = new ArrayList<>();
        List<CpuMeter.Usage> usages = new ArrayList<>();
        List<JsonNode> checkpoints = new ArrayList<>();
        AtomicReference<Exception> sendError = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            for (int rate : rates) {
                say(String.format(Locale.ROOT, "(c) latency at %,d payments/s: %s warm-up, %s measured, checkpoints every %s ...",
                        rate, text(warmup), text(measure), text(job.checkpointInterval)));
                long completedBefore = rest.completedCheckpoints(jobId);
                long wallFrom = System.currentTimeMillis();
                long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
                long from = start + warmup.toNanos();
                long to = from + measure.toNanos();
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
                            lag.recordValue(Math.min((System.nanoTime() - due) / 1_000, lag.getHighestTrackableValue()));
                        }
                    }
                    producer.send(new ProducerRecord<>(job.paymentsTopic, e.keyBytes(), e.json()), (md, ex) -> {
                        if (ex != null) {
                            sendError.compareAndSet(null, ex);
                        }
                    });
                }
                usages.add(cpu == null ? CpuMeter.start().stop() : cpu.stop());
                if (sendError.get() != null) {
                    throw new IllegalStateException("sending live payments failed", sendError.get());
                }
                measured.add(phase);
                lags.add(lag);
                checkpoints.add(checkpointsDuring(rest, jobId, completedBefore, wallFrom + warmup.toMillis(), System.currentTimeMillis()));
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
            say(String.format(Locale.ROOT, "    %,d/s: p50 %.1f ms  p99 %.1f ms  p99.9 %.1f ms  max %.1f ms (%,d decisions, %d missing)",
                    ph.rate, ms(h, 50), ms(h, 99), ms(h, 99.9), h.getMaxValue() / 1000.0, h.getTotalCount(), watcher.missing(ph)));
        }
    }

    /**
     * Checkpoints completed while a phase was measured: how many, the longest, and per operator the
     * longest synchronous part (the time its task thread stopped processing for the checkpoint).
     */
    private static JsonNode checkpointsDuring(FlinkRest rest, String jobId, long completedBefore, long fromMillis, long toMillis) {
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
                        JsonNode d = rest.checkpointOfVertex(jobId, h.path("id").asLong(), v.path("id").asText());
                        long max = d.path("summary").path("checkpoint_duration").path("sync").path("max").asLong();
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
        JsonNode tp = out.path("throughput");
        double perSecond = tp.path("paymentsPerSecond").asDouble(Double.NaN);
        double ratio = tp.path("ratioToCeiling").asDouble(Double.NaN);
        t.put("throughputAtLeast20k", perSecond >= TARGET_THROUGHPUT);
        t.put("throughputAtLeast30PercentOfCeiling", ratio >= TARGET_RATIO);
        for (JsonNode l : out.path("latency")) {
            if (l.path("rate").asInt() == TARGET_LATENCY_RATE) {
                t.put("p99AtMost50msAt5k", l.path("p99Ms").asDouble(Double.NaN) <= TARGET_P99_MS && l.path("missing").asLong() == 0);
                t.put("p999AtMost150msAt5k", l.path("p999Ms").asDouble(Double.NaN) <= TARGET_P999_MS && l.path("missing").asLong() == 0);
            }
        }
        t.put("stateAtMost1KBPerActiveCard", out.path("state").path("bytesPerActiveCard").asDouble(Double.NaN) <= TARGET_STATE_BYTES);
        return t;
    }

    /** The summary table: each figure, what it is measured against, the target. */
    static String table(JsonNode r) {
        StringBuilder sb = new StringBuilder();
        String line = "-".repeat(100);
        sb.append('\n').append(line).append('\n');
        sb.append(String.format(Locale.ROOT, "Veto end to end%s: %d cores, %,d cards, backlog %,d events (%.0f B mean), parallelism %d, %s%n",
                r.path("quick").asBoolean() ? " (QUICK smoke run: figures not representative)" : "",
                r.path("cores").asInt(), r.path("settings").path("cards").asInt(), r.path("backlog").path("events").asLong(),
                r.path("backlog").path("meanRecordBytes").asDouble(), r.path("settings").path("parallelism").asInt(),
                r.path("settings").path("stateBackend").asText()));
        sb.append(line).append('\n');
        sb.append(String.format(Locale.ROOT, "%-44s %24s   %-26s %s%n", "figure", "value", "target", "other CPU*"));
        JsonNode c = r.path("ceiling");
        JsonNode tp = r.path("throughput");
        JsonNode st = r.path("state");
        JsonNode tg = r.path("targets");
        sb.append(row("(a) ceiling: Kafka consume -> produce pipe", String.format(Locale.ROOT, "%,.0f rec/s", c.path("recordsPerSecond").asDouble()), "", c));
        sb.append(row("(b) Veto max throughput", String.format(Locale.ROOT, "%,.0f payments/s", tp.path("paymentsPerSecond").asDouble()),
                mark(tg, "throughputAtLeast20k") + " >= 20,000/s", tp));
        sb.append(row("    as events (all types) per second", String.format(Locale.ROOT, "%,.0f events/s", tp.path("eventsPerSecond").asDouble()), "", null));
        sb.append(row("    Veto / ceiling (events/s over rec/s)", String.format(Locale.ROOT, "%.1f %%", 100 * tp.path("ratioToCeiling").asDouble()),
                mark(tg, "throughputAtLeast30PercentOfCeiling") + " >= 30 %", null));
        for (JsonNode l : r.path("latency")) {
            int rate = l.path("rate").asInt();
            String target = rate == TARGET_LATENCY_RATE
                    ? mark(tg, "p99AtMost50msAt5k") + " p99<=50 " + mark(tg, "p999AtMost150msAt5k") + " p99.9<=150"
                    : "";
            sb.append(row(String.format(Locale.ROOT, "(c) latency at %,d/s  p50 / p99 / p99.9 ms", rate),
                    String.format(Locale.ROOT, "%.1f / %.1f / %.1f", l.path("p50Ms").asDouble(), l.path("p99Ms").asDouble(), l.path("p999Ms").asDouble()),
                    target, l));
            sb.append(row(String.format(Locale.ROOT, "      max %.0f ms, %,d decisions, %d missing, %d checkpoints (longest %d ms), sender lag p99 %.1f ms",
                            l.path("maxMs").asDouble(), l.path("decisionsMeasured").asLong(), l.path("missing").asLong(),
                            l.path("checkpoints").path("triggeredInMeasuredWindow").asInt(), l.path("checkpoints").path("longestMillis").asLong(),
                            l.path("senderLagP99Ms").asDouble()), "", "", null));
        }
        sb.append(row("(d) state per active card (checkpoint)", String.format(Locale.ROOT, "%,.0f B", st.path("bytesPerActiveCard").asDouble()),
                mark(tg, "stateAtMost1KBPerActiveCard") + " <= 1 KB", null));
        sb.append(row(String.format(Locale.ROOT, "    %,d active cards; canonical savepoint", st.path("activeCards").asLong()),
                String.format(Locale.ROOT, "%,.0f B/card", st.path("savepointBytesPerActiveCard").asDouble()), "", null));
        sb.append(line).append('\n');
        sb.append("* CPU used by other processes on this machine while the figure was measured, in cores (of ")
                .append(r.path("cores").asInt()).append("), and the load average at its end\n");
        return sb.toString();
    }

    private static String row(String name, String value, String target, JsonNode cpu) {
        String other = "";
        if (cpu != null && cpu.has("otherCores")) {
            other = String.format(Locale.ROOT, "%.2f (load %.1f)", cpu.path("otherCores").asDouble(), cpu.path("loadAverage").asDouble());
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
        u.threadSeconds().entrySet().stream().limit(12).forEach(e -> threads.put(e.getKey(), Math.round(e.getValue() * 100) / 100.0));
    }

    private static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1000.0;
    }

    private static String text(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    /** A report line, stamped with the JVM's uptime (to find a phase in a profile of the run). */
    static void say(String s) {
        System.out.printf(Locale.ROOT, "bench-e2e | %6.1fs | %s%n", java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0, s);
    }
}
