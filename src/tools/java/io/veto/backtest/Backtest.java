package io.veto.backtest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.veto.decision.Decision;
import io.veto.event.DlqRecord;
import io.veto.event.EventParser;
import io.veto.event.PanKeySupplier;
import io.veto.event.PanPolicy;
import io.veto.job.JobOptions;
import io.veto.job.VetoJob;
import io.veto.job.VetoPipeline;
import io.veto.kafka.DecisionJson;
import io.veto.rule.RuleSet;
import io.veto.sequence.Alert;
import io.veto.stage.RuleSetUpdate;
import io.veto.stage.rules.RuleStatusAggregator;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * Runs rule sets over a file of payments-topic events through the production job graph
 * ({@link VetoPipeline}) on a local MiniCluster, in exact mode, and writes what the report reads:
 * {@code decisions-candidate.jsonl} (and {@code decisions-baseline.jsonl}), exactly the JSON of
 * the decisions topic, and {@code payments.csv} with each payment's label.
 *
 * <p>The events are read from the file in its order, as the job reads a partition; the watermark
 * bound is widened to the file's own disorder, so no payment is behind the watermark, and the
 * quiet-spell and idleness fallbacks of the live job (wall-clock waits) are switched off: a
 * bounded source ends with a final watermark that answers every waiting payment exactly. Every
 * payment must get exactly one decision and none may be {@code late}; otherwise the run fails.
 */
public final class Backtest {
    public static final String CANDIDATE = "candidate";
    public static final String BASELINE = "baseline";

    /** What to run. {@code baseline} and {@code labels} may be null. */
    public record Settings(
            Path events,
            Path candidate,
            Path baseline,
            Path out,
            Duration labelWindow,
            Path labels,
            int parallelism,
            PanKeySupplier keys) {}

    /** One rule set's run. */
    public record Run(
            String role,
            String version,
            long decisions,
            Map<String, Long> outcomes,
            long dlq,
            double seconds,
            Path decisionsFile) {
        public double paymentsPerSecond(long payments) {
            return payments / seconds;
        }
    }

    /** What a backtest did. */
    public record Result(
            long events,
            long payments,
            long frauds,
            long rejected,
            long disorderMillis,
            double scanSeconds,
            Run candidate,
            Run baseline) {}

    /** The backtest could not run, or its output broke an invariant: the message says which. */
    public static final class BacktestException extends Exception {
        public BacktestException(String message) {
            super(message);
        }
    }

    private final Settings s;

    public Backtest(Settings settings) {
        this.s = settings;
    }

    public Result run() throws Exception {
        Files.createDirectories(s.out());
        RuleSet candidate = RuleSet.fromDirectory(s.candidate());
        RuleSet baseline = s.baseline() == null ? null : RuleSet.fromDirectory(s.baseline());
        byte[] key = s.keys().get();
        PanPolicy policy = key == null ? PanPolicy.REJECT : PanPolicy.TOKENIZE;

        long t0 = System.nanoTime();
        Path rows = s.out().resolve("payments.rows.tmp");
        EventScan scan = EventScan.run(s.events(), new EventParser(policy, key, EventParser.DEFAULT_MAX_BYTES), rows);
        if (scan.panProblem != null) {
            Files.deleteIfExists(rows);
            throw new BacktestException(
                    "the events carry raw card numbers (" + scan.panProblem + "); set VETO_PAN_KEY or "
                            + "VETO_PAN_KEY_FILE to the job's key, so cards get the tokens your lists and the live job use");
        }
        if (scan.payments == 0) {
            Files.deleteIfExists(rows);
            throw new BacktestException(s.events() + ": no PAYMENT event to decide"
                    + (scan.firstRejection == null ? "" : " (first rejected line: " + scan.firstRejection + ")"));
        }
        Map<String, Integer> labels = s.labels() == null ? null : readLabels(s.labels());
        PaymentsCsv.Counts counts =
                PaymentsCsv.label(rows, s.out().resolve("payments.csv"), scan.chargebacks, s.labelWindow(), labels);
        Files.delete(rows);
        double scanSeconds = (System.nanoTime() - t0) / 1e9;

        // An --out reused from an earlier run must not leave that run's baseline beside this candidate.
        Files.deleteIfExists(s.out().resolve("decisions-" + BASELINE + ".jsonl"));
        Run c = decide(CANDIDATE, candidate, policy, scan, true);
        Run b = baseline == null ? null : decide(BASELINE, baseline, policy, scan, false);
        return new Result(
                scan.events, counts.payments(), counts.frauds(), scan.rejected, scan.disorderMillis, scanSeconds, c, b);
    }

    /** Runs the job with {@code rules} over the events; checks and joins its decisions. */
    private Run decide(String role, RuleSet rules, PanPolicy policy, EventScan scan, boolean keepDlq) throws Exception {
        JobOptions o = exactOptions(s.parallelism(), scan.disorderMillis);
        o.panPolicy = policy;
        Path parts = s.out().resolve("." + role + "-parts");
        deleteTree(parts);
        StreamExecutionEnvironment env = exactEnvironment(o);
        VetoPipeline.Io io = new VetoPipeline.Io(
                new EventFileSource(s.events(), policy, s.keys(), o.maxRecordBytes),
                new EmptySource<>(TypeInformation.of(RuleSetUpdate.class)),
                new JsonLinesSink<Decision>(parts, "decisions", DecisionJson::write),
                keepDlq ? new JsonLinesSink<DlqRecord>(parts, "dlq", DecisionJson::write) : new DiscardingSink<>(),
                new DiscardingSink<RuleStatusAggregator.StatusRecord>(),
                new DiscardingSink<Alert>());
        VetoPipeline.build(env, io, rules, o);
        long t0 = System.nanoTime();
        env.execute("veto-backtest-" + role);
        double seconds = (System.nanoTime() - t0) / 1e9;

        Path decisions = s.out().resolve("decisions-" + role + ".jsonl");
        join(parts, "decisions", o.parallelism, decisions);
        long dlq = 0;
        if (keepDlq) {
            dlq = join(parts, "dlq", o.parallelism, s.out().resolve("dlq.jsonl"));
        }
        deleteTree(parts);
        Map<String, Long> outcomes = check(role, decisions, s.out().resolve("payments.csv"));
        long n = outcomes.values().stream().mapToLong(Long::longValue).sum();
        return new Run(role, rules.version(), n, outcomes, dlq, seconds, decisions);
    }

    /**
     * The job's options for a run on history (a backtest, a rule set's examples): exact mode, no
     * wall-clock fallbacks, no checkpoints, a watermark bound of at least {@code disorderMillis}
     * (how far event time goes backwards in the input), so no payment is behind the watermark.
     */
    public static JobOptions exactOptions(int parallelism, long disorderMillis) {
        JobOptions o = new JobOptions();
        o.parallelism = parallelism;
        o.entityFeatures = JobOptions.EntityFeatures.WATERMARK;
        o.maxOutOfOrderness = Duration.ofMillis(Math.max(o.maxOutOfOrderness.toMillis(), disorderMillis));
        // The source never pauses for lack of data, and ends with a final watermark: a payment
        // waits only for the watermark, however long the machine takes to bring it.
        o.idleness = Duration.ofDays(365);
        o.clockWatermarkAfter = Duration.ofDays(365);
        o.maxFeatureWait = Duration.ofDays(365);
        o.checkpointInterval = Duration.ZERO;
        return o;
    }

    /**
     * A local MiniCluster (or the cluster of the context this runs in, a test's) set up for
     * {@code o}, with heap state: a run on history lives for one run and needs no checkpoint; the
     * graph is the same.
     */
    public static StreamExecutionEnvironment exactEnvironment(JobOptions o) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(exactConfiguration(o));
        VetoJob.configure(env, o);
        return env;
    }

    /** The job's Flink configuration for {@code o}, with heap state. */
    static Configuration exactConfiguration(JobOptions o) {
        Configuration conf = VetoJob.flinkConfiguration(o);
        conf.setString("state.backend.type", "hashmap");
        return conf;
    }

    /** Concatenates the parts of {@code prefix} into {@code target}; returns the number of lines. */
    private static long join(Path parts, String prefix, int parallelism, Path target) throws IOException {
        long lines = 0;
        try (OutputStream out = Files.newOutputStream(target)) {
            for (int i = 0; i < parallelism; i++) {
                Path part = JsonLinesSink.part(parts, prefix, i);
                if (!Files.exists(part)) {
                    continue;
                }
                try (InputStream in = Files.newInputStream(part)) {
                    byte[] buf = new byte[1 << 16];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        out.write(buf, 0, n);
                        for (int j = 0; j < n; j++) {
                            lines += buf[j] == '\n' ? 1 : 0;
                        }
                    }
                }
            }
        }
        return lines;
    }

    /**
     * Every payment of {@code paymentsCsv} has exactly one decision in {@code decisions}, there is no
     * other, and none is late; returns the number of decisions per outcome.
     */
    static Map<String, Long> check(String role, Path decisions, Path paymentsCsv)
            throws IOException, BacktestException {
        Set<String> expected = new HashSet<>();
        long duplicatesInInput = 0;
        try (BufferedReader in = Files.newBufferedReader(paymentsCsv, StandardCharsets.UTF_8)) {
            in.readLine();
            String line;
            while ((line = in.readLine()) != null) {
                duplicatesInInput += expected.add(PaymentsCsv.split(line)[0]) ? 0 : 1;
            }
        }
        if (duplicatesInInput > 0) {
            throw new BacktestException(duplicatesInInput
                    + " PAYMENT events reuse the paymentId of an earlier one: each payment must have its own id");
        }
        int total = expected.size();
        Map<String, Long> outcomes = new TreeMap<>();
        long late = 0;
        String firstLate = null;
        String firstExtra = null;
        JsonFactory json = new JsonFactory();
        try (BufferedReader in = Files.newBufferedReader(decisions, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] idAndLate = idAndLate(json, line);
                outcomes.merge(idAndLate[2], 1L, Long::sum);
                if (!expected.remove(idAndLate[0]) && firstExtra == null) {
                    firstExtra = idAndLate[0];
                }
                if ("true".equals(idAndLate[1])) {
                    late++;
                    firstLate = firstLate == null ? idAndLate[0] : firstLate;
                }
            }
        }
        StringBuilder problems = new StringBuilder();
        if (!expected.isEmpty()) {
            problems.append(String.format(
                    "%n  %,d of %,d payments have no decision, e.g. %s",
                    expected.size(), total, expected.iterator().next()));
        }
        if (firstExtra != null) {
            problems.append(
                    String.format("%n  a decision for a payment decided twice or not in the events: %s", firstExtra));
        }
        if (late > 0) {
            problems.append(String.format("%n  %,d decisions are late (not exact), e.g. %s", late, firstLate));
        }
        if (problems.length() > 0) {
            throw new BacktestException("the " + role + " run broke the backtest's invariants (decisions in "
                    + decisions + "):" + problems);
        }
        return outcomes;
    }

    /** The top-level {@code paymentId}, {@code late} and {@code decision} of a decision, without building a tree. */
    private static String[] idAndLate(JsonFactory json, String line) throws IOException {
        String id = null;
        String late = null;
        String decision = null;
        try (JsonParser p = json.createParser(line)) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if ("paymentId".equals(field)) {
                    id = p.getText();
                } else if ("decision".equals(field)) {
                    decision = p.getText();
                } else if ("late".equals(field)) {
                    late = t == JsonToken.VALUE_TRUE ? "true" : "false";
                } else {
                    p.skipChildren();
                }
            }
        }
        return new String[] {id, late, decision};
    }

    /** {@code paymentId,label} lines (label 1 or 0; a header line is allowed); payments not listed are genuine. */
    static Map<String, Integer> readLabels(Path csv) throws IOException, BacktestException {
        Map<String, Integer> labels = new HashMap<>();
        try (BufferedReader in = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                String[] f = PaymentsCsv.split(line.strip());
                if (f.length != 2) {
                    throw new BacktestException(
                            csv + ":" + number + ": expected paymentId,label, got " + f.length + " fields");
                }
                String label = f[1].strip();
                if (number == 1 && !label.equals("0") && !label.equals("1")) {
                    continue; // a header
                }
                if (!label.equals("0") && !label.equals("1")) {
                    throw new BacktestException(
                            csv + ":" + number + ": label must be 1 (fraud) or 0, got '" + label + "'");
                }
                labels.put(f[0].strip(), Integer.parseInt(label));
            }
        }
        return labels;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
