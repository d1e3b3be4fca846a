package io.veto.backtest.report;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rules report DIR}: (re)writes the report of an existing backtest directory. */
@Command(
        name = "report",
        mixinStandardHelpOptions = true,
        description = {
            "Writes report.html and summary.json for a backtest directory (payments.csv,",
            "decisions-candidate.jsonl and optionally decisions-baseline.jsonl)."
        })
public final class ReportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "the backtest's output directory")
    Path dir;

    @Option(
            names = "--candidate-name",
            defaultValue = "candidate",
            description = "the candidate's name in the report (default: ${DEFAULT-VALUE})")
    String candidate;

    @Option(
            names = "--baseline-name",
            defaultValue = "baseline",
            description = "the baseline's name in the report (default: ${DEFAULT-VALUE})")
    String baseline;

    @Option(
            names = "--review-rate",
            defaultValue = "0.5%",
            converter = Share.class,
            description = "the share of payments analysts can review, e.g. 0.5% or 0.005 (default: ${DEFAULT-VALUE})")
    double reviewRate;

    @Option(
            names = "--precision",
            defaultValue = "90%",
            converter = Share.class,
            description = "the precision a deny threshold must reach, e.g. 90% (default: ${DEFAULT-VALUE})")
    double precision;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        try {
            Summary s = BacktestReport.write(dir, new ReportOptions(candidate, baseline, reviewRate, precision));
            spec.commandLine()
                    .getOut()
                    .printf(
                            "%s: %d payments, %d frauds; %s AP %s, AUC %s%n",
                            dir.resolve(BacktestReport.HTML),
                            s.headline().payments(),
                            s.headline().frauds(),
                            candidate,
                            Html.ratio(s.sets().get(0).averagePrecision()),
                            Html.ratio(s.sets().get(0).rocAuc()));
            return 0;
        } catch (BacktestData.ReportException | IllegalArgumentException e) {
            spec.commandLine().getErr().println(e.getMessage());
            return 1;
        }
    }

    /** A share written as a percentage ({@code 0.5%}) or a fraction ({@code 0.005}). */
    static final class Share implements CommandLine.ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            String v = value.strip().toLowerCase(Locale.ROOT);
            try {
                return v.endsWith("%")
                        ? Double.parseDouble(v.substring(0, v.length() - 1)) / 100
                        : Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a share: write 0.5% or 0.005");
            }
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ReportCommand()).execute(args));
    }
}
