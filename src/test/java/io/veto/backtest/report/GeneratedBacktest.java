package io.veto.backtest.report;

import io.veto.decision.Decision;
import io.veto.event.EventParser;
import io.veto.event.PanPolicy;
import io.veto.event.PaymentEvent;
import io.veto.generator.GeneratedEvent;
import io.veto.generator.GeneratorConfig;
import io.veto.generator.PaymentGenerator;
import io.veto.kafka.DecisionJson;
import io.veto.rule.CompiledRuleSet;
import io.veto.rule.RuleSet;
import io.veto.rule.RuleSetCompiler;
import io.veto.scoring.GateDecider;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a backtest directory the way {@code rules backtest} does, without Flink: generator
 * history decided by {@link GateDecider} with two rule sets, labels from the generator's fraud
 * scenarios. Realistic input for the report's browser test and its screenshot.
 */
final class GeneratedBacktest {
    private GeneratedBacktest() {}

    /** A copy of {@code dir} with its review threshold set to {@code review}: a baseline that differs. */
    static Path withReview(Path dir, int review) throws IOException {
        Path copy = Files.createTempDirectory("veto-baseline");
        copy(dir, copy);
        Path manifest = copy.resolve(RuleSet.MANIFEST);
        Files.writeString(manifest, Files.readString(manifest).replaceFirst("review: *\\d+", "review: " + review));
        return copy;
    }

    static void write(Path out, int events, int days, Path candidateDir, Path baselineDir) throws Exception {
        CompiledRuleSet candidate = RuleSetCompiler.forJob().compile(RuleSet.fromDirectory(candidateDir));
        CompiledRuleSet baseline = RuleSetCompiler.forJob().compile(RuleSet.fromDirectory(baselineDir));
        long gapMicros = days * 86_400_000_000L / events;
        GeneratorConfig cfg = GeneratorConfig.defaults()
                .withCards(3_000)
                .withFraudRate(0.02)
                .withMeanGapMicros(gapMicros)
                .withStartTime(Instant.parse("2026-11-02T00:00:00Z"));
        EventParser parser = new EventParser(
                PanPolicy.TOKENIZE,
                "report-test-key-0123456789".getBytes(StandardCharsets.UTF_8),
                EventParser.DEFAULT_MAX_BYTES);
        // Each payment once, as the backtest requires of its input.
        List<PaymentEvent> history = new ArrayList<>();
        Map<String, Boolean> fraud = new HashMap<>();
        PaymentGenerator gen = new PaymentGenerator(cfg);
        for (int i = 0; i < events && gen.hasNext(); i++) {
            GeneratedEvent g = gen.next();
            PaymentEvent e = parser.parse(g.json(), "generated");
            if (!e.needsDecision() || fraud.putIfAbsent(e.paymentId(), g.isFraud()) == null) {
                history.add(e);
            }
        }
        List<Decision> candidates;
        List<Decision> baselines;
        try (GateDecider c = new GateDecider(candidate);
                GateDecider b = new GateDecider(baseline)) {
            candidates = c.decideAll(history);
            baselines = b.decideAll(history);
        }
        Map<String, PaymentEvent> payments = new HashMap<>();
        history.stream().filter(PaymentEvent::needsDecision).forEach(e -> payments.put(e.paymentId(), e));
        try (BufferedWriter csv = Files.newBufferedWriter(out.resolve(BacktestData.PAYMENTS));
                OutputStream cj = Files.newOutputStream(out.resolve(BacktestData.CANDIDATE));
                OutputStream bj = Files.newOutputStream(out.resolve(BacktestData.BASELINE))) {
            csv.write(BacktestData.HEADER + "\n");
            for (int i = 0; i < candidates.size(); i++) {
                Decision dc = candidates.get(i);
                PaymentEvent e = payments.get(dc.paymentId());
                csv.write(e.paymentId() + "," + e.eventTime() + "," + e.cardToken() + ","
                        + e.amount().toPlainString() + "," + e.currency() + ","
                        + (fraud.get(e.paymentId()) ? 1 : 0) + "\n");
                cj.write(DecisionJson.write(dc));
                cj.write('\n');
                bj.write(DecisionJson.write(baselines.get(i)));
                bj.write('\n');
            }
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        try (var walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }

    /** Writes a demo backtest and its report: {@code DIR CANDIDATE BASELINE [EVENTS] [DAYS]}. */
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        Files.createDirectories(out);
        write(
                out,
                args.length > 3 ? Integer.parseInt(args[3]) : 60_000,
                args.length > 4 ? Integer.parseInt(args[4]) : 14,
                Path.of(args[1]),
                Path.of(args[2]));
        BacktestReport.write(
                out,
                new ReportOptions(
                        Path.of(args[1]).getFileName().toString(),
                        Path.of(args[2]).getFileName().toString(),
                        0.005));
    }
}
