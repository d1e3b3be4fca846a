package io.veto.local;

import io.veto.event.PanKey;
import io.veto.event.PanKeySupplier;
import io.veto.generator.BadRecords;
import io.veto.generator.GeneratedEvent;
import io.veto.generator.GeneratorConfig;
import io.veto.generator.GeneratorRunner;
import io.veto.generator.PaymentGenerator;
import io.veto.job.JobOptions;
import io.veto.job.VetoJob;
import io.veto.rule.RuleSigning;
import io.veto.rule.RulesKeySupplier;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Veto on a laptop, with nothing installed: a real Kafka broker in this process, the job on a
 * Flink MiniCluster with the web UI, the payment generator sending live traffic with labelled
 * fraud and a few malformed records, and a one-line summary of the decisions every few seconds.
 * Ctrl-C stops everything; nothing is left running.
 */
@Command(
        name = "veto-local",
        mixinStandardHelpOptions = true,
        description = "Run Veto locally on an embedded Kafka broker and a MiniCluster.")
public final class LocalRun implements Callable<Integer> {
    @Mixin
    JobOptions job = new JobOptions();

    @Option(names = "--rate", description = "Generated events per second (default: ${DEFAULT-VALUE})")
    double rate = 200;

    @Option(
            names = "--duration",
            description = "Stop after this long, e.g. 2m; 0 runs until Ctrl-C (default: ${DEFAULT-VALUE})",
            converter = JobOptions.DurationConverter.class)
    Duration duration = Duration.ZERO;

    @Option(
            names = "--kafka-port",
            description = "Port of the embedded broker; busy means a free one (default: ${DEFAULT-VALUE})")
    int kafkaPort = 9092;

    @Option(names = "--ui-port", description = "Flink web UI port (default: ${DEFAULT-VALUE})")
    int uiPort = 8081;

    @Option(
            names = "--bad-record-rate",
            description = "Share of generated records that are malformed (default: ${DEFAULT-VALUE})")
    double badRecordRate = 0.002;

    @Option(names = "--cards", description = "Cards in the generated population (default: ${DEFAULT-VALUE})")
    int cards = 50_000;

    @Option(
            names = "--time-speed",
            description =
                    "Event time runs this many times faster than the wall clock, so a 10-minute fraud burst shows within a minute; 1 = real time (default: ${DEFAULT-VALUE})")
    double timeSpeed = 10;

    public static void main(String[] args) {
        System.exit(new CommandLine(new LocalRun()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        say("starting the embedded Kafka broker ...");
        EmbeddedKafkaBroker broker = startBroker();
        job.bootstrapServers = broker.bootstrapServers();
        if (job.parallelism == 0) {
            job.parallelism = 2;
        }
        broker.createTopics(4, job.paymentsTopic, job.decisionsTopic);
        broker.createTopics(1, job.dlqTopic, job.rulesTopic, job.rulesStatusTopic, job.alertsTopic);
        say("Kafka broker at " + broker.bootstrapServers() + " (topics " + job.paymentsTopic + ", " + job.decisionsTopic
                + ", " + job.dlqTopic + ")");

        PanKeySupplier keys = PanKeySupplier.fromEnvironment();
        if (keys.get() == null) {
            byte[] devKey = new byte[32];
            new SecureRandom().nextBytes(devKey);
            keys = () -> devKey.clone();
            say("no " + PanKey.ENV_KEY + " set: card numbers are tokenized with a random key for this run only");
        }

        RulesKeySupplier rulesKeys = RulesKeySupplier.fromEnvironment();
        if (rulesKeys.get() == null) {
            rulesKeys = devRulesKey(broker.bootstrapServers());
        }

        if (timeSpeed > 1 && job.maxFutureSkew.compareTo(LOCAL_FUTURE_SKEW) < 0) {
            // Event time runs ahead of the clock here on purpose (--time-speed): without this, every
            // event after the first half minute would be refused as dated in the future.
            job.maxFutureSkew = LOCAL_FUTURE_SKEW;
        }
        Configuration conf = VetoJob.flinkConfiguration(job);
        conf.set(RestOptions.BIND_PORT, uiPort + "-" + (uiPort + 20));
        conf.set(RestOptions.ADDRESS, "localhost");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(conf);
        VetoJob.build(env, job, keys, rulesKeys);
        JobClient client = env.executeAsync("veto");
        say("Flink job " + client.getJobID() + " running; web UI at http://localhost:" + uiPort
                + " (or the next free port)");

        long t0 = System.currentTimeMillis();
        GeneratorConfig gen = GeneratorConfig.defaults()
                .withSeed(System.nanoTime())
                .withCards(cards)
                .withFraudRate(0.02)
                .withLiveClock(new FastClock(t0, timeSpeed))
                .withRunId(Long.toString(System.currentTimeMillis() % 1_000_000, 36));
        GeneratorRunner generator = GeneratorRunner.toKafka(
                broker.bootstrapServers(),
                "lz4",
                job.paymentsTopic,
                withBadRecords(new PaymentGenerator(gen), badRecordRate),
                rate,
                duration.isZero() ? null : duration,
                0);
        Thread genThread = new Thread(generator, "veto-generator");
        genThread.setDaemon(true);

        DecisionSummary summary = new DecisionSummary(
                broker.bootstrapServers(),
                job.decisionsTopic,
                job.dlqTopic,
                generator,
                job.paymentsTopic,
                new FastClock(t0, timeSpeed));
        Thread sumThread = new Thread(summary, "veto-summary");
        sumThread.setDaemon(true);

        Object done = new Object();
        Thread hook = new Thread(() -> shutdown(generator, summary, client, broker), "veto-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        genThread.start();
        sumThread.start();
        say("generator sending about " + (int) rate + " events/s with labelled fraud, event time at " + timeSpeed
                + "x the wall clock; Ctrl-C to stop\n");

        if (duration.isZero()) {
            synchronized (done) {
                done.wait();
            }
        } else {
            genThread.join(duration.toMillis() + 10_000);
            if (generator.firstError() != null) {
                say("generator stopped: " + generator.firstError());
            }
            summary.awaitQuiet(Duration.ofSeconds(5), Duration.ofSeconds(60));
            summary.close();
            sumThread.join(5_000);
        }
        return 0;
    }

    /**
     * A key pair for this run only, as the PAN key is when none is set: the job accepts rule sets
     * signed with its private key, which is written where the rules tool can be pointed at it.
     */
    private static RulesKeySupplier devRulesKey(String bootstrapServers) throws IOException {
        KeyPair pair = RuleSigning.generate();
        Path file = Path.of("target", "local-rules-signing.key");
        Files.createDirectories(file.getParent());
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, RuleSigning.pem(pair.getPrivate()));
        String publicKey = RuleSigning.pem(pair.getPublic());
        say("no " + RuleSigning.ENV_PUBLIC_KEY
                + " set: rule sets published to this run must be signed with the key made for it:\n"
                + "      " + RuleSigning.ENV_SIGNING_KEY_FILE + "=" + file
                + " ./jobs/rules.sh publish DIR --bootstrap-servers "
                + bootstrapServers + " --wait");
        return () -> publicKey;
    }

    private EmbeddedKafkaBroker startBroker() {
        if (kafkaPort != 0 && !isFree(kafkaPort)) {
            say("port " + kafkaPort + " is in use; the broker takes a free port instead");
            return EmbeddedKafkaBroker.start(0);
        }
        return EmbeddedKafkaBroker.start(kafkaPort);
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void shutdown(
            GeneratorRunner generator, DecisionSummary summary, JobClient client, EmbeddedKafkaBroker broker) {
        say("stopping ...");
        generator.close();
        summary.close();
        try {
            client.cancel().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // The job may already have ended or the MiniCluster may be going down with the JVM.
        }
        broker.close();
        say("stopped: broker, job and generator are down");
    }

    /** Mixes malformed records into the generated stream, to show the DLQ at work. */
    static Iterator<GeneratedEvent> withBadRecords(Iterator<GeneratedEvent> events, double rate) {
        Random random = new Random();
        List<BadRecords.Sample> samples = BadRecords.malformedSamples(random);
        return new Iterator<>() {
            long n;

            @Override
            public boolean hasNext() {
                return events.hasNext();
            }

            @Override
            public GeneratedEvent next() {
                if (rate > 0 && random.nextDouble() < rate) {
                    BadRecords.Sample s = samples.get(random.nextInt(samples.size()));
                    n++;
                    return new GeneratedEvent(
                            "bad-" + n, "bad-" + n, "BAD", null, System.currentTimeMillis(), null, s.payload());
                }
                return events.next();
            }
        };
    }

    static void say(String line) {
        System.out.println("veto | " + line);
    }

    /** How far ahead of the clock --time-speed may take event time in a local run: ten years of it. */
    static final Duration LOCAL_FUTURE_SKEW = Duration.ofDays(3650);

    /**
     * Event time for the demo: starts at the wall clock and runs {@code speed} times faster, so
     * fraud scenarios that take minutes of event time show in seconds. {@link #wallTimeOf} maps an
     * event time back to when it was sent, which is what decision latency is measured from.
     */
    static final class FastClock extends Clock {
        private final long t0;
        private final double speed;

        FastClock(long t0, double speed) {
            if (!(speed >= 1)) {
                throw new IllegalArgumentException("--time-speed must be at least 1");
            }
            this.t0 = t0;
            this.speed = speed;
        }

        @Override
        public long millis() {
            return t0 + (long) ((System.currentTimeMillis() - t0) * speed);
        }

        long wallTimeOf(long eventTime) {
            return t0 + (long) ((eventTime - t0) / speed);
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
