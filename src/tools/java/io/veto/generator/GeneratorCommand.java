package io.veto.generator;

import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code generate}: produces synthetic payments (with labelled fraud) to a Kafka topic, so that the
 * {@code jobs/} scripts can feed any broker. Example:
 *
 * <pre>
 *   java -cp ... io.veto.generator.GeneratorCommand --bootstrap-servers localhost:9092 \
 *       --topic payments --rate 500 --duration 5m --seed 7
 * </pre>
 *
 * <p>Without {@code --start-time} the simulated clock starts now, and ids carry a run id derived
 * from the start time, so repeated runs against one topic neither reuse ids nor arrive "late".
 * Progress goes to stderr every 5 s; the summary to stdout. Ctrl-C stops cleanly (flushes first).
 */
@Command(
        name = "generate",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Produce synthetic card payments with labelled fraud to a Kafka topic.")
public final class GeneratorCommand implements Callable<Integer> {

    @Option(
            names = "--bootstrap-servers",
            defaultValue = "localhost:9092",
            description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(
            names = "--topic",
            defaultValue = "payments",
            description = "Topic to produce to (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(
            names = "--rate",
            defaultValue = "1000",
            description = "Events per second; 0 = as fast as possible (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(
            names = "--duration",
            converter = DurationConverter.class,
            description = "Stop after this long, e.g. 60s, 5m, 1h30m, 500ms or PT5M (default: no limit).")
    Duration duration;

    @Option(
            names = "--count",
            defaultValue = "0",
            description = "Stop after this many events; 0 = no limit (default: ${DEFAULT-VALUE}).")
    long count;

    @Option(
            names = "--seed",
            description = "Random seed: same seed and start time, same events (default: the fixed default seed).")
    Long seed;

    @Option(names = "--cards", description = "Number of cards (default: 10000).")
    Integer cards;

    @Option(names = "--merchants", description = "Number of merchants (default: 2000).")
    Integer merchants;

    @Option(names = "--fraud-rate", description = "Share of payments that belong to a fraud scenario (default: 0.01).")
    Double fraudRate;

    @Option(
            names = "--mean-gap",
            converter = DurationConverter.class,
            description = "Mean event-time gap between events of the simulated clock (default: 2s).")
    Duration meanGap;

    @Option(
            names = "--start-time",
            defaultValue = "now",
            description = "Event time of the first event: ISO-8601 instant or 'now' (default: ${DEFAULT-VALUE}).")
    String startTime;

    @Option(
            names = "--live-time",
            description = "Stamp each event with the wall clock at generation instead of the simulated clock.")
    boolean liveTime;

    @Option(names = "--epoch-millis", description = "Write eventTime as epoch milliseconds instead of ISO-8601.")
    boolean epochMillis;

    @Option(
            names = "--run-id",
            defaultValue = "auto",
            description =
                    "Put into every event/payment id; 'auto' derives it from the start time, '' for none (default: ${DEFAULT-VALUE}).")
    String runId;

    @Option(
            names = "--compression",
            defaultValue = "lz4",
            description = "Producer compression: lz4, none, zstd, gzip, snappy (default: ${DEFAULT-VALUE}).")
    String compression;

    @Option(
            names = "--record-time-from-event",
            description = "Use the event time as the Kafka record timestamp (default: time of sending).")
    boolean recordTimeFromEvent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new GeneratorCommand()).execute(args));
    }

    /** The generator config the options describe. */
    GeneratorConfig config() {
        GeneratorConfig c = GeneratorConfig.defaults();
        if (seed != null) {
            c = c.withSeed(seed);
        }
        if (cards != null) {
            c = c.withCards(cards);
        }
        if (merchants != null) {
            c = c.withMerchants(merchants);
        }
        if (fraudRate != null) {
            c = c.withFraudRate(fraudRate);
        }
        if (meanGap != null) {
            c = c.withMeanGapMicros(meanGap.toNanos() / 1_000);
        }
        Instant start = "now".equalsIgnoreCase(startTime.trim())
                ? Instant.now().truncatedTo(ChronoUnit.SECONDS)
                : Instant.parse(startTime.trim());
        c = c.withStartTime(start)
                .withEpochMillisTime(epochMillis)
                .withLiveClock(liveTime ? Clock.systemUTC() : null)
                .withRunId("auto".equals(runId) ? Long.toString(start.getEpochSecond(), 36) : runId);
        return c;
    }

    @Override
    public Integer call() {
        PrintWriter err = spec == null
                ? new PrintWriter(System.err, true)
                : spec.commandLine().getErr();
        PrintWriter out = spec == null
                ? new PrintWriter(System.out, true)
                : spec.commandLine().getOut();
        GeneratorConfig config = config();
        err.printf(
                Locale.ROOT,
                "generate: to %s topic '%s', rate %s, %s, %s; seed %d, %d cards, %d merchants, "
                        + "fraud rate %.4f, %s time from %s, run id '%s'%n",
                bootstrapServers,
                topic,
                rate == 0 ? "unlimited" : rate + "/s",
                duration == null ? "no time limit" : "for " + duration,
                count <= 0 ? "no count limit" : "at most " + count + " events",
                config.seed(),
                config.cards(),
                config.merchants(),
                config.fraudRate(),
                config.live() ? "live" : "simulated",
                config.live() ? "wall clock" : config.startTime(),
                config.runId());
        GeneratorRunner runner = GeneratorRunner.toKafka(
                        bootstrapServers, compression, topic, new PaymentGenerator(config), rate, duration, count)
                .withEventTimeAsRecordTimestamp(recordTimeFromEvent);
        Thread hook = new Thread(runner::close, "generator-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "generator-progress");
            t.setDaemon(true);
            return t;
        });
        long startNanos = System.nanoTime();
        progress.scheduleAtFixedRate(
                () -> err.printf(
                        Locale.ROOT,
                        "generate: %d sent (%.0f/s), %d failed, fraud %s%n",
                        runner.sent(),
                        runner.sent() / ((System.nanoTime() - startNanos) / 1e9),
                        runner.failed(),
                        runner.sentByLabel()),
                5,
                5,
                TimeUnit.SECONDS);
        try {
            runner.run();
        } finally {
            progress.shutdownNow();
            runner.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is already running: it closes the runner (again, harmlessly)
            }
        }
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        out.printf(
                Locale.ROOT,
                "sent=%d payments=%d failed=%d byLabel=%s seconds=%.1f rate=%.0f/s%n",
                runner.sent(),
                runner.sentPayments(),
                runner.failed(),
                runner.sentByLabel(),
                seconds,
                runner.sent() / Math.max(seconds, 1e-9));
        if (runner.failed() > 0) {
            err.println("generate: " + runner.failed() + " records failed; first error: " + runner.firstError());
            return 1;
        }
        return 0;
    }

    /** Durations as {@code 60s}, {@code 5m}, {@code 1h30m}, {@code 500ms}, {@code 2d} or ISO-8601 {@code PT5M}. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");

        @Override
        public Duration convert(String value) {
            return parse(value);
        }

        static Duration parse(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            if (v.startsWith("p")) {
                try {
                    return Duration.parse(v.toUpperCase(Locale.ROOT));
                } catch (DateTimeParseException e) {
                    throw new CommandLine.TypeConversionException("not a duration: '" + value + "'");
                }
            }
            if (v.matches("\\d+")) {
                return Duration.ofSeconds(Long.parseLong(v));
            }
            Matcher m = PART.matcher(v);
            Duration total = Duration.ZERO;
            int pos = 0;
            while (m.find() && m.start() == pos) {
                long n = Long.parseLong(m.group(1));
                total = total.plus(
                        switch (m.group(2)) {
                            case "ms" -> Duration.ofMillis(n);
                            case "s" -> Duration.ofSeconds(n);
                            case "m" -> Duration.ofMinutes(n);
                            case "h" -> Duration.ofHours(n);
                            default -> Duration.ofDays(n);
                        });
                pos = m.end();
            }
            if (pos == 0 || pos != v.length()) {
                throw new CommandLine.TypeConversionException(
                        "not a duration: '" + value + "' (use e.g. 60s, 5m, 1h30m, 500ms or PT5M)");
            }
            return total;
        }
    }
}
