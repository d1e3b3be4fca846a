package io.veto.bench;

import io.veto.event.PanKeySupplier;
import io.veto.generator.GeneratedEvent;
import io.veto.generator.GeneratorConfig;
import io.veto.generator.GeneratorRunner;
import io.veto.generator.PaymentGenerator;
import io.veto.job.JobOptions;
import io.veto.job.VetoJob;
import io.veto.local.EmbeddedKafkaBroker;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Measures how much state Veto keeps per active card: generates a day of payments over many cards,
 * runs the job on a MiniCluster with RocksDB against the embedded broker until every payment is
 * decided, takes a savepoint and divides its size by the cards that paid within the rules'
 * longest horizon. The savepoint holds everything: card and entity windows, waiting payments,
 * timers, the active rule set and Kafka offsets.
 */
@Command(
        name = "veto-state-size",
        mixinStandardHelpOptions = true,
        description = "Measure Veto's state per active card.")
public final class StateSizeBench implements Callable<Integer> {
    @Mixin
    JobOptions job = new JobOptions();

    @Option(names = "--cards", description = "Cards in the population (default: ${DEFAULT-VALUE})")
    int cards = 100_000;

    @Option(names = "--events", description = "Events to generate (default: ${DEFAULT-VALUE})")
    int events = 300_000;

    @Option(
            names = "--span",
            description = "Event time the events cover (default: ${DEFAULT-VALUE})",
            converter = JobOptions.DurationConverter.class)
    Duration span = Duration.ofHours(24);

    public static void main(String[] args) {
        System.exit(new CommandLine(new StateSizeBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path work = Files.createTempDirectory("veto-state-size");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            job.bootstrapServers = broker.bootstrapServers();
            job.parallelism = job.parallelism == 0 ? 2 : job.parallelism;
            job.startFrom = JobOptions.StartFrom.EARLIEST;
            broker.createTopics(4, job.paymentsTopic, job.decisionsTopic);
            broker.createTopics(1, job.dlqTopic, job.rulesTopic, job.rulesStatusTopic, job.alertsTopic);

            long gapMicros = span.toNanos() / 1000 / events;
            GeneratorConfig config = GeneratorConfig.defaults().withCards(cards).withMeanGapMicros(gapMicros);
            Iterator<GeneratedEvent> generated = new PaymentGenerator(config);
            Map<String, Long> lastPaymentByCard = new HashMap<>();
            long[] payments = {0};
            long[] lastTime = {Long.MIN_VALUE};
            Iterator<GeneratedEvent> counted = new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return generated.hasNext();
                }

                @Override
                public GeneratedEvent next() {
                    GeneratedEvent e = generated.next();
                    if (e.isPayment()) {
                        payments[0]++;
                        lastPaymentByCard.put(e.key(), e.eventTimeMillis());
                    }
                    lastTime[0] = Math.max(lastTime[0], e.eventTimeMillis());
                    return e;
                }
            };
            say("generating " + events + " events over " + cards + " cards, " + span + " of event time ...");
            try (GeneratorRunner runner = GeneratorRunner.toKafka(
                    broker.bootstrapServers(), "lz4", job.paymentsTopic, counted, 0, null, events)) {
                runner.run();
            }

            Configuration conf = VetoJob.flinkConfiguration(job);
            conf.setString("state.backend.type", "rocksdb");
            conf.setString(
                    "execution.checkpointing.dir",
                    work.resolve("checkpoints").toUri().toString());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            byte[] key = "state-size-benchmark-key-0123456".getBytes(StandardCharsets.UTF_8);
            PanKeySupplier keys = () -> key.clone();
            VetoJob.build(env, job, keys);
            long started = System.nanoTime();
            JobClient client = env.executeAsync("veto-state-size");
            long decided = awaitDecisions(broker, payments[0]);
            double seconds = (System.nanoTime() - started) / 1e9;
            String savepoint = client.triggerSavepoint(
                            work.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL)
                    .get();
            client.cancel().get();

            Path savepointDir = Path.of(URI.create(savepoint));
            long bytes = size(savepointDir);
            if (Boolean.getBoolean("veto.debug")) {
                try (Stream<Path> walk = Files.walk(savepointDir)) {
                    walk.forEach(f -> say("  " + f + " " + f.toFile().length()));
                }
            }
            long horizon = Duration.ofHours(24).toMillis();
            long active = lastPaymentByCard.values().stream()
                    .filter(t -> t > lastTime[0] - horizon)
                    .count();
            say(String.format("decided %,d of %,d payments in %.1f s", decided, payments[0], seconds));
            say(String.format("savepoint %,d bytes; %,d cards paid within the last 24h of event time", bytes, active));
            say(String.format(
                    "state per active card: %,.0f bytes (all state — card and entity windows, timers, offsets — over active cards)",
                    (double) bytes / active));
            return 0;
        } finally {
            try (Stream<Path> walk = Files.walk(work)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private long awaitDecisions(EmbeddedKafkaBroker broker, long expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "state-size-bench");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        long seen = 0;
        long quietSince = System.currentTimeMillis();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            c.subscribe(List.of(job.decisionsTopic));
            // The last payments of the stream wait for a watermark that no later event pushes: stop once quiet.
            while (seen < expected && System.currentTimeMillis() - quietSince < 15_000) {
                int n = 0;
                for (ConsumerRecord<byte[], byte[]> ignored : c.poll(Duration.ofMillis(500))) {
                    n++;
                }
                if (n > 0) {
                    seen += n;
                    quietSince = System.currentTimeMillis();
                }
            }
        }
        return seen;
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile)
                    .mapToLong(f -> f.toFile().length())
                    .sum();
        }
    }

    private static void say(String s) {
        System.out.println("veto | " + s);
    }
}
