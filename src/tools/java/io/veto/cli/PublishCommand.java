package io.veto.cli;

import io.veto.rule.RuleSet;
import io.veto.rule.RuleSetCodec;
import io.veto.rule.RuleSigning;
import io.veto.rule.RuleStatus;
import io.veto.scoring.ExampleRunner;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code rules publish DIR}: sends a rule set to the rules topic, where a running job picks it up
 * without a restart. The set is compiled and its examples run first, with the job's own compiler
 * and scorer; a set with a problem or a failing example is never sent. It is signed with the
 * publishers' private key ({@link RuleSigning}), without which the job refuses it. With {@code --wait} it
 * then reads the job's answer ({@link RuleStatus}) for this version from the status topic.
 */
@Command(
        name = "publish",
        mixinStandardHelpOptions = true,
        versionProvider = VetoCli.Version.class,
        description = {
            "Validate and test a rule set, then publish it to the rules topic of a running job.",
            "Exit codes: 0 published (and APPLIED with --wait), 1 not published or REJECTED,",
            "3 Kafka unreachable or no answer within --timeout."
        })
final class PublishCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "The rule-set directory")
    Path dir;

    @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers, e.g. kafka:9092")
    String bootstrapServers;

    @Option(names = "--topic", defaultValue = "veto-rules", description = "Rules topic (default: ${DEFAULT-VALUE})")
    String topic;

    @Option(names = "--wait", description = "Wait for the job to apply or reject the rule set")
    boolean await;

    @Option(
            names = "--status-topic",
            defaultValue = "veto-rules-status",
            description = "Where the job answers (default: ${DEFAULT-VALUE})")
    String statusTopic;

    @Option(
            names = "--timeout",
            defaultValue = "30s",
            converter = DurationConverter.class,
            description = "How long to wait for Kafka and, with --wait, for the job (default: ${DEFAULT-VALUE})")
    Duration timeout;

    @Option(
            names = "--kafka-config",
            paramLabel = "FILE",
            description = "Kafka client properties (security.protocol, sasl.*, ssl.*) for a secured cluster")
    Path kafkaConfig;

    @Option(
            names = "--signing-key",
            paramLabel = "FILE",
            description =
                    "The publishers' Ed25519 private key (PEM); default: $VETO_RULES_SIGNING_KEY or the file $VETO_RULES_SIGNING_KEY_FILE names")
    Path signingKey;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            return publish(out, err);
        } finally {
            out.flush();
            err.flush();
        }
    }

    private int publish(PrintWriter out, PrintWriter err) {
        if (!RuleSetDirs.isRuleSet(dir)) {
            err.println(RuleSetDirs.display(dir) + ": not a rule set (no " + RuleSet.MANIFEST + ")");
            return VetoCli.PROBLEM;
        }
        Loaded l = Loaded.load(dir, err);
        if (!l.ok()) {
            err.println("not published: " + RuleSetDirs.display(dir) + " has "
                    + ValidateCommand.plural(l.problems(), "problem"));
            return VetoCli.PROBLEM;
        }
        {
            // The job runs the examples too and rejects a set whose example fails: never send one.
            List<ExampleRunner.Result> failed = ExampleRunner.run(l.compiled()).stream()
                    .filter(r -> !r.passed())
                    .toList();
            for (ExampleRunner.Result r : failed) {
                err.println(RuleSetDirs.display(dir.resolve(r.example().file())) + ":"
                        + r.example().line() + ": example \"" + r.example().name() + "\" fails: "
                        + String.join("; ", r.mismatches()));
            }
            if (!failed.isEmpty()) {
                err.println("not published: " + ValidateCommand.plural(failed.size(), "example")
                        + " failed (details: rules test " + RuleSetDirs.display(dir) + ")");
                return VetoCli.PROBLEM;
            }
        }
        String signature;
        try {
            signature = RuleSigning.sign(l.ruleSet(), signingKey());
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("not published: " + e.getMessage());
            return VetoCli.USAGE;
        }
        Properties base;
        try {
            base = clientProperties();
        } catch (IOException e) {
            err.println("cannot read --kafka-config " + kafkaConfig + ": " + e.getMessage());
            return VetoCli.USAGE;
        }
        RuleSet rs = l.ruleSet();
        String version = l.compiled().version();
        try (KafkaConsumer<byte[], byte[]> status = await ? statusConsumer(base) : null) {
            if (status != null && !pinStatusOffsets(status, err)) {
                return VetoCli.UNREACHABLE;
            }
            RecordMetadata md = send(base, rs, signature);
            out.println("published " + version + " to " + topic + " (partition " + md.partition() + ", offset "
                    + md.offset() + ")");
            if (status == null) {
                return VetoCli.OK;
            }
            out.println("waiting up to " + human(timeout) + " for the job's answer on " + statusTopic + " ...");
            out.flush();
            return awaitStatus(status, rs.name(), version, out, err);
        } catch (TimeoutException | KafkaException e) {
            err.println("Kafka at " + bootstrapServers + " did not answer within " + human(timeout) + ": "
                    + rootMessage(e));
            return VetoCli.UNREACHABLE;
        } catch (ExecutionException e) {
            err.println("could not publish to " + topic + " on " + bootstrapServers + ": " + rootMessage(e.getCause())
                    + " (is the broker reachable, and does the topic exist?)");
            return VetoCli.UNREACHABLE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("interrupted");
            return VetoCli.UNREACHABLE;
        }
    }

    /** The key from --signing-key, else from the environment; an exception saying what to set when there is none. */
    private PrivateKey signingKey() {
        String text = signingKey != null
                ? RuleSigning.readKeyFile(signingKey, "rule-set signing key (--signing-key)")
                : RuleSigning.signingKeyText(System.getenv())
                        .orElseThrow(() -> new IllegalStateException(
                                "the job accepts only signed rule sets, and no signing key is given: pass --signing-key FILE or set "
                                        + RuleSigning.ENV_SIGNING_KEY + " or " + RuleSigning.ENV_SIGNING_KEY_FILE
                                        + " (rules keygen makes a key pair)"));
        return RuleSigning.privateKey(text);
    }

    private RecordMetadata send(Properties base, RuleSet rs, String signature)
            throws ExecutionException, InterruptedException, TimeoutException {
        Properties p = new Properties();
        p.putAll(base);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(timeout.toMillis()));
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(Math.max(1000, timeout.toMillis())));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(Math.max(1000, timeout.toMillis())));
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            try {
                return producer.send(new ProducerRecord<>(topic, rs.name(), RuleSetCodec.encode(rs, signature)))
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException | InterruptedException e) {
                // Do not let close() wait for a delivery we have given up on.
                producer.close(Duration.ZERO);
                throw e;
            }
        }
    }

    private KafkaConsumer<byte[], byte[]> statusConsumer(Properties base) {
        Properties p = new Properties();
        p.putAll(base);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(Math.max(1000, timeout.toMillis())));
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * Starts reading the status topic at its current end, before the rule set is sent, so the job's
     * answer cannot slip in between and an old answer for the same version is not taken for a new one.
     */
    private boolean pinStatusOffsets(KafkaConsumer<byte[], byte[]> consumer, PrintWriter err) {
        List<PartitionInfo> infos = consumer.partitionsFor(statusTopic, timeout);
        if (infos == null || infos.isEmpty()) {
            err.println("status topic " + statusTopic + " does not exist on " + bootstrapServers
                    + "; is the job running with rule updates? Nothing was published.");
            return false;
        }
        List<TopicPartition> parts = infos.stream()
                .map(i -> new TopicPartition(i.topic(), i.partition()))
                .toList();
        consumer.assign(parts);
        consumer.seekToEnd(parts);
        // seekToEnd is lazy: resolving the positions now fixes them before the record is sent.
        parts.forEach(tp -> consumer.position(tp, timeout));
        return true;
    }

    private int awaitStatus(
            KafkaConsumer<byte[], byte[]> consumer, String name, String version, PrintWriter out, PrintWriter err) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(Math.min(left, 500)))) {
                RuleStatus s;
                try {
                    s = RuleStatus.fromJson(r.value());
                } catch (RuntimeException e) {
                    // Not a status this tool understands (another writer, another version of Veto): not ours.
                    continue;
                }
                if (!version.equals(s.version()) || !name.equals(s.name())) {
                    continue;
                }
                if (s.state() == RuleStatus.State.APPLIED) {
                    out.println("APPLIED " + version
                            + (s.subtasks() > 0 ? " on " + ValidateCommand.plural(s.subtasks(), "subtask") : ""));
                    return VetoCli.OK;
                }
                out.println("REJECTED " + version + ": the job keeps its current rule set");
                s.problems().forEach(p -> out.println("  " + p));
                return VetoCli.PROBLEM;
            }
        }
        err.println("no answer for " + version + " on " + statusTopic + " within " + human(timeout)
                + "; it was published, check the job (is it running, does it read " + topic + "?)");
        return VetoCli.UNREACHABLE;
    }

    private Properties clientProperties() throws IOException {
        Properties p = new Properties();
        if (kafkaConfig != null) {
            try (Reader r = Files.newBufferedReader(kafkaConfig)) {
                p.load(r);
            }
        }
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.putIfAbsent(CommonClientConfigs.CLIENT_ID_CONFIG, "veto-rules-cli");
        return p;
    }

    private static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    }
}
