package io.veto.backtest.report;

import java.nio.file.Path;

/** Placeholder for the report API of branch {@code report} (replaced at merge): writes nothing. */
public final class BacktestReport {
    private BacktestReport() {}

    public static void write(Path outDir, ReportOptions options) {}
}
