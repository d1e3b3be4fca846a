package io.veto.backtest.report;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The backtest report: reads a backtest's output directory ({@code payments.csv},
 * {@code decisions-candidate.jsonl}, optionally {@code decisions-baseline.jsonl}) and writes
 * {@code report.html} for analysts and {@code summary.json} with the same figures for tools.
 */
public final class BacktestReport {
    public static final String HTML = "report.html";
    public static final String SUMMARY = "summary.json";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);

    private BacktestReport() {}

    /** Writes report.html and summary.json into {@code outDir}; returns the figures written. */
    public static Summary write(Path outDir, ReportOptions options) throws IOException {
        Path payments = outDir.resolve(BacktestData.PAYMENTS);
        Path candidate = outDir.resolve(BacktestData.CANDIDATE);
        Path baseline = outDir.resolve(BacktestData.BASELINE);
        for (Path p : new Path[] {payments, candidate}) {
            if (!Files.isRegularFile(p)) {
                throw new BacktestData.ReportException(p + ": not found; a backtest directory holds "
                        + BacktestData.PAYMENTS + " and " + BacktestData.CANDIDATE);
            }
        }
        BacktestData.Payments p = BacktestData.readPayments(payments);
        BacktestData.Decisions c = BacktestData.readDecisions(candidate, p);
        boolean hasBaseline = Files.isRegularFile(baseline);
        BacktestData.Decisions b = hasBaseline ? BacktestData.readDecisions(baseline, p) : null;
        ReportOptions o = hasBaseline || options.baselineName() == null
                ? options
                : new ReportOptions(options.candidateName(), null, options.reviewRate(), options.targetPrecision());
        if (hasBaseline && o.baselineName() == null) {
            o = new ReportOptions(o.candidateName(), "baseline", o.reviewRate(), o.targetPrecision());
        }
        Summary s = Figures.compute(p, c, b, o);
        Files.writeString(outDir.resolve(SUMMARY), JSON.writeValueAsString(s) + "\n", StandardCharsets.UTF_8);
        Files.writeString(outDir.resolve(HTML), Html.write(s, o), StandardCharsets.UTF_8);
        return s;
    }
}
