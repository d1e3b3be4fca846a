package io.veto.job;

import io.veto.event.CatchUp;
import io.veto.event.EventParser;
import io.veto.event.PanPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/**
 * Every option of the Veto job, with its default, in one place: the README's option table is this
 * class. Used as a picocli mixin by the cluster entry point and the local runner alike.
 */
public class JobOptions {
    public enum Delivery {
        AT_LEAST_ONCE,
        EXACTLY_ONCE
    }

    /** When features of other entities than the card (merchant, device, IP ...) are computed. */
    public enum EntityFeatures {
        /**
         * Once the watermark has passed the payment: exactly the events of its window, whatever order
         * they arrived in. Costs the watermark's out-of-orderness bound plus the time it takes to arrive.
         */
        WATERMARK,
        /**
         * At once, from the events that have arrived: no wait, but an event still on its way from
         * another partition (up to the partitions' skew, a few milliseconds live, more in a catch-up)
         * is missing from the payment's features. Card features stay exact either way.
         */
        ARRIVAL
    }

    public enum StartFrom {
        /** The consumer group's committed offsets, or the earliest when it has none. */
        COMMITTED,
        EARLIEST,
        LATEST
    }

    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE})")
    public String bootstrapServers = "localhost:9092";

    @Option(names = "--payments-topic", description = "Topic of payment events (default: ${DEFAULT-VALUE})")
    public String paymentsTopic = "payments";

    @Option(names = "--decisions-topic", description = "Topic decisions are written to (default: ${DEFAULT-VALUE})")
    public String decisionsTopic = "decisions";

    @Option(names = "--dlq-topic", description = "Topic rejected records are written to (default: ${DEFAULT-VALUE})")
    public String dlqTopic = "payments-dlq";

    @Option(
            names = "--alerts-topic",
            description = "Topic entity alerts from sequence rules are written to (default: ${DEFAULT-VALUE})")
    public String alertsTopic = "veto-alerts";

    @Option(names = "--rules-topic", description = "Topic rule sets are published to (default: ${DEFAULT-VALUE})")
    public String rulesTopic = "veto-rules";

    @Option(
            names = "--rules-status-topic",
            description = "Topic the job answers published rule sets on (default: ${DEFAULT-VALUE})")
    public String rulesStatusTopic = "veto-rules-status";

    @Option(
            names = "--rules-start-from",
            description =
                    "On a fresh start, which published rule sets to apply: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}: only those published from now on)")
    public StartFrom rulesStartFrom = StartFrom.LATEST;

    @Option(names = "--group-id", description = "Kafka consumer group of the job (default: ${DEFAULT-VALUE})")
    public String groupId = "veto";

    @Option(
            names = "--start-from",
            description = "Where to start reading payments: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    public StartFrom startFrom = StartFrom.COMMITTED;

    @Option(names = "--rules", description = "Rule-set directory loaded at start (default: ${DEFAULT-VALUE})")
    public Path rules = Path.of("rules/default");

    @Option(
            names = "--delivery",
            description = "Decision delivery: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    public Delivery delivery = Delivery.AT_LEAST_ONCE;

    @Option(
            names = "--transactional-id-prefix",
            description = "Unique per job, exactly-once only (default: ${DEFAULT-VALUE})")
    public String transactionalIdPrefix = "veto-decisions";

    @Option(
            names = "--transaction-timeout",
            description =
                    "Kafka transaction timeout, exactly-once only: longer than a checkpoint plus a restart, below the broker's transaction.max.timeout.ms (default: ${DEFAULT-VALUE})",
            converter = DurationConverter.class)
    public Duration transactionTimeout = Duration.ofMinutes(10);

    @Option(
            names = "--kafka-properties-file",
            paramLabel = "FILE",
            description =
                    "Kafka security settings (security.protocol, sasl.*, ssl.*), read where each Kafka client runs; default: the file VETO_KAFKA_PROPERTIES_FILE names. VETO_KAFKA_<NAME> variables add or override settings")
    public Path kafkaPropertiesFile;

    @Option(
            names = "--parallelism",
            description = "Job parallelism; 0 keeps the cluster's default (default: ${DEFAULT-VALUE})")
    public int parallelism = 0;

    @Option(
            names = "--pan-policy",
            description = "Raw card numbers: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    public PanPolicy panPolicy = PanPolicy.TOKENIZE;

    @Option(
            names = "--max-record-bytes",
            description = "Larger payment records go to the DLQ (default: ${DEFAULT-VALUE})")
    public int maxRecordBytes = EventParser.DEFAULT_MAX_BYTES;

    @Option(
            names = "--max-future-skew",
            description =
                    "An event time this far ahead of its Kafka record's timestamp (or the clock) sends the event to the DLQ, so that no event dated in the future moves a watermark (default: ${DEFAULT-VALUE})",
            converter = DurationConverter.class)
    public Duration maxFutureSkew = EventParser.DEFAULT_MAX_FUTURE_SKEW;

    @Option(
            names = "--max-out-of-orderness",
            description =
                    "Watermark bound on event-time disorder within one partition (watermarks are per partition); exact features of other entities wait this long (default: ${DEFAULT-VALUE})",
            converter = DurationConverter.class)
    public Duration maxOutOfOrderness = Duration.ofMillis(10);

    @Option(
            names = "--watermark-interval",
            description =
                    "How often sources emit watermarks; features of other entities than the card wait for them (default: ${DEFAULT-VALUE})",
            converter = DurationConverter.class)
    public Duration watermarkInterval = Duration.ofMillis(5);

    @Option(
            names = "--idleness",
            description =
                    "A partition that has read nothing yet, on a source subtask that has read nothing either, stops holding back watermarks after this long (default: ${DEFAULT-VALUE})",
            converter = DurationConverter.class)
    public Duration idleness = Duration.ofSeconds(2);

    @Option(
            names = "--clock-watermark-after",
            description =
                    "A partition of live events that has read nothing for this long moves its watermark with the wall clock (this far behind it, less its events' delay), "
                            + "so that the payments before a quiet spell get exact features this long after it begins (default: ${DEFAULT-VALUE})",
            converter = DurationConverter.class)
    public Duration clockWatermarkAfter = Duration.ofMillis(500);

    @Option(
            names = "--max-watermark-drift",
            description =
                    "In a catch-up, a payments partition this far ahead of the slowest one in event time is paused until it follows, "
                            + "bounding the payments that wait for the watermark; 0, the default until flink-connector-kafka ships FLINK-39728, turns the alignment off (default: ${DEFAULT-VALUE})",
            converter = DurationConverter.class)
    public Duration maxWatermarkDrift = Duration.ZERO;

    @Option(
            names = "--entity-features",
            description =
                    "When features of merchants, devices, IPs ... are computed: ${COMPLETION-CANDIDATES}; WATERMARK is exact, ARRIVAL answers at once from what has arrived (approximate) (default: ${DEFAULT-VALUE})")
    public EntityFeatures entityFeatures = EntityFeatures.WATERMARK;

    @Option(
            names = "--max-feature-wait",
            description =
                    "When the watermark has not moved for this long (a quiet spell), payments that waited this long get the features of other entities than the card computed with what has arrived (default: ${DEFAULT-VALUE})",
            converter = DurationConverter.class)
    public Duration maxFeatureWait = Duration.ofSeconds(5);

    @Option(
            names = "--catch-up-wait",
            description =
                    "In a catch-up or replay (the newest event more than 10 s behind the wall clock), how long a partition must be quiet to count as idle, "
                            + "and how long the watermark must stall before features are answered without it; live traffic uses --idleness and --max-feature-wait (default: ${DEFAULT-VALUE})",
            converter = DurationConverter.class)
    public Duration catchUpWait = CatchUp.DEFAULT_WAIT;

    @Option(
            names = "--checkpoint-interval",
            description = "Checkpoint interval; 0 disables (default: ${DEFAULT-VALUE})",
            converter = DurationConverter.class)
    public Duration checkpointInterval = Duration.ofSeconds(10);

    @Option(
            names = "--buffer-timeout",
            description = "Network buffer flush timeout, the latency floor per hop (default: ${DEFAULT-VALUE})",
            converter = DurationConverter.class)
    public Duration bufferTimeout = Duration.ofMillis(2);

    @Option(
            names = "--producer-linger",
            description = "Kafka producer linger for decisions (default: ${DEFAULT-VALUE})",
            converter = DurationConverter.class)
    public Duration producerLinger = Duration.ofMillis(2);

    /** Parses {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h}, or ISO-8601 ({@code PT10S}). */
    public static final class DurationConverter implements picocli.CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return parseDuration(value);
        }
    }

    public static Duration parseDuration(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.startsWith("pt") || v.startsWith("p")) {
            return Duration.parse(v.toUpperCase(Locale.ROOT));
        }
        Matcher m = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)").matcher(v);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + value + "' is not a duration: write e.g. 500ms, 10s, 5m, 1h");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }
}
