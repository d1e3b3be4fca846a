package io.veto.backtest.report;

/** Placeholder for the report API of branch {@code report} (replaced at merge). */
public record ReportOptions(String candidateName, String baselineName, double reviewRate) {}
