package io.veto.cli;

import io.veto.backtest.Backtest;
import io.veto.backtest.TopicHistory;
import io.veto.backtest.report.BacktestReport;
import io.veto.backtest.report.ReportOptions;
import io.veto.event.PanKeySupplier;
import io.veto.job.JobOptions;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code rules backtest CANDIDATE [--baseline DIR] --events FILE}: decides every payment of a
 * history with the candidate rule set (and the baseline) through the job's own graph on a local
 * MiniCluster, labels each payment from the chargebacks in the history (or a CSV), and writes the
 * decisions, {@code payments.csv} and the report into {@code --out}.
 */
@Command(
        name = "backtest",
        mixinStandardHelpOptions = true,
        versionProvider = VetoCli.Version.class,
        sortOptions = false,
        description = {
            "Decide a history of payment events with a candidate rule set (and a baseline) through the job's own graph,",
            "label each payment from the chargebacks in the history, and write decisions, labels and a report.",
            "Exits 1 if a rule set has a problem or the backtest could not decide every payment exactly."
        })
final class BacktestCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CANDIDATE", description = "The rule-set directory to try")
    Path candidate;

    @Option(
            names = "--baseline",
            paramLabel = "DIR",
            description = "The rule set to compare with, e.g. the one the job runs today")
    Path baseline;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(
                names = "--events",
                paramLabel = "FILE.jsonl",
                required = true,
                description = "Events in the payments-topic format, one JSON object a line, in event-time order")
        Path events;

        @ArgGroup(exclusive = false)
        TopicRange topic;
    }

    static final class TopicRange {
        @Option(
                names = "--topic",
                paramLabel = "TOPIC",
                required = true,
                description = "Read the events from this topic instead of a file")
        String topic;

        @Option(
                names = "--from",
                paramLabel = "TIME",
                required = true,
                description = "First event time to decide: 2026-11-01 (UTC midnight) or an ISO-8601 instant")
        String from;

        @Option(
                names = "--to",
                paramLabel = "TIME",
                required = true,
                description = "End of the event times to decide (exclusive)")
        String to;

        @Option(
                names = "--bootstrap-servers",
                paramLabel = "HOST:PORT",
                defaultValue = "localhost:9092",
                description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE})")
        String bootstrapServers;

        @Option(
                names = "--kafka-config",
                paramLabel = "FILE",
                description = "Kafka client properties (security.protocol, sasl.*, ssl.*)")
        Path kafkaConfig;
    }

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "Where decisions, payments.csv and the report go (default: target/backtest/<timestamp>)")
    Path out;

    @Option(
            names = "--label-window",
            paramLabel = "DURATION",
            converter = JobOptions.DurationConverter.class,
            description =
                    "A payment is fraud when a CHARGEBACK of it comes within this time (default: ${DEFAULT-VALUE})",
            defaultValue = "120d")
    Duration labelWindow;

    @Option(
            names = "--labels",
            paramLabel = "FILE.csv",
            description = "Read labels from paymentId,label lines (1 fraud, 0 genuine) instead of the chargebacks")
    Path labels;

    @Option(
            names = "--review-rate",
            paramLabel = "RATE",
            defaultValue = "0.5%",
            description =
                    "Share of payments analysts can review, for the report's thresholds: 0.5%% or 0.005 (default: ${DEFAULT-VALUE})")
    String reviewRate;

    @Option(
            names = "--parallelism",
            description = "Parallelism of the backtest job (default: ${DEFAULT-VALUE})",
            defaultValue = "2")
    int parallelism;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        double rate;
        try {
            rate = parseRate(reviewRate);
        } catch (IllegalArgumentException e) {
            err.println("--review-rate: " + e.getMessage());
            return VetoCli.USAGE;
        }
        Loaded c = Loaded.load(candidate, err);
        Loaded b = baseline == null ? null : Loaded.load(baseline, err);
        if (!c.ok() || (b != null && !b.ok())) {
            err.println("backtest: not run, a rule set has problems");
            return VetoCli.PROBLEM;
        }
        Path dir = out != null
                ? out
                : Path.of(
                        "target",
                        "backtest",
                        LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(dir);
        Path events = input.events;
        if (events == null) {
            TopicRange t = input.topic;
            events = dir.resolve("events.jsonl");
            try {
                TopicHistory.Dump d = TopicHistory.dump(
                        t.bootstrapServers,
                        t.kafkaConfig,
                        t.topic,
                        parseInstant(t.from),
                        parseInstant(t.to),
                        events,
                        PanKeySupplier.fromEnvironment().get());
                stdout.printf(
                        Locale.ROOT,
                        "backtest | read %,d events of %s from %s to %s (%,d outside the range, %,d rejected, %,d later chargebacks kept for labels)%n",
                        d.kept(),
                        t.topic,
                        t.from,
                        t.to,
                        d.skipped(),
                        d.rejected(),
                        d.laterChargebacks());
            } catch (TopicHistory.UnreachableException e) {
                err.println("backtest: " + e.getMessage());
                return VetoCli.UNREACHABLE;
            } catch (IllegalArgumentException e) {
                err.println("backtest: " + e.getMessage());
                return VetoCli.USAGE;
            }
        } else if (!Files.isRegularFile(events)) {
            err.println(RuleSetDirs.display(events) + ": no such file");
            return VetoCli.USAGE;
        }
        Backtest.Result r;
        try {
            r = new Backtest(new Backtest.Settings(
                            events,
                            candidate,
                            baseline,
                            dir,
                            labelWindow,
                            labels,
                            parallelism,
                            PanKeySupplier.fromEnvironment()))
                    .run();
        } catch (Backtest.BacktestException e) {
            err.println("backtest: " + e.getMessage());
            return VetoCli.PROBLEM;
        }
        stdout.printf(
                Locale.ROOT,
                "backtest | %s: %,d events, %,d payments, %,d frauds (%s), %,d lines rejected (dlq.jsonl)%n",
                RuleSetDirs.display(events),
                r.events(),
                r.payments(),
                r.frauds(),
                labels != null
                        ? "labels from " + RuleSetDirs.display(labels)
                        : "a chargeback within " + text(labelWindow),
                r.rejected());
        print(stdout, r.candidate(), r.payments());
        if (r.baseline() != null) {
            print(stdout, r.baseline(), r.payments());
        }
        // Sets are named as the analyst knows them, their directory, and told apart by version.
        String candidateName =
                RuleSetDirs.display(candidate) + " (" + r.candidate().version() + ")";
        String baselineName = r.baseline() == null
                ? null
                : RuleSetDirs.display(baseline) + " (" + r.baseline().version() + ")";
        BacktestReport.write(dir, new ReportOptions(candidateName, baselineName, rate));
        Path report = dir.resolve("report.html");
        stdout.println("backtest | "
                + (Files.exists(report)
                        ? "report: " + RuleSetDirs.display(report)
                        : "output: " + RuleSetDirs.display(dir)));
        stdout.flush();
        return VetoCli.OK;
    }

    private static void print(PrintWriter out, Backtest.Run run, long payments) {
        Map<String, Long> o = run.outcomes();
        out.printf(
                Locale.ROOT,
                "backtest | %-9s %s: APPROVE %,d  REVIEW %,d  DENY %,d  in %.1f s (%,.0f payments/s), none late -> %s%n",
                run.role(),
                run.version(),
                o.getOrDefault("APPROVE", 0L),
                o.getOrDefault("REVIEW", 0L),
                o.getOrDefault("DENY", 0L),
                run.seconds(),
                run.paymentsPerSecond(payments),
                RuleSetDirs.display(run.decisionsFile()));
    }

    private static String text(Duration d) {
        return d.toDays() > 0 && d.equals(Duration.ofDays(d.toDays())) ? d.toDays() + " days" : d.toString();
    }

    /** {@code 0.5%} or {@code 0.005}: a share in (0, 1]. */
    static double parseRate(String text) {
        String t = text.strip();
        double v;
        try {
            v = t.endsWith("%")
                    ? Double.parseDouble(t.substring(0, t.length() - 1).strip()) / 100
                    : Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a rate such as 0.5% or 0.005");
        }
        if (!(v > 0 && v <= 1)) {
            throw new IllegalArgumentException("'" + text + "' must be more than 0 and at most 100%");
        }
        return v;
    }

    static Instant parseInstant(String text) {
        try {
            return Instant.parse(text.strip());
        } catch (DateTimeParseException e) {
            try {
                return LocalDate.parse(text.strip())
                        .atStartOfDay(ZoneOffset.UTC)
                        .toInstant();
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException(
                        "'" + text + "' is not a time: write 2026-11-01 or 2026-11-01T00:00:00Z");
            }
        }
    }
}
