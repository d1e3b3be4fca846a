package io.veto.backtest.report;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * Everything a backtest report shows, as {@code summary.json} holds it. Ratios are null where they
 * are undefined (a precision when nothing is flagged, a recall without frauds).
 */
public record Summary(Map<String, String> definitions, Headline headline, List<SetFigures> sets, Changes changes) {

    /** The labelled history. {@code currencies} lists what the amounts are in: they are summed as written. */
    public record Headline(
            long payments,
            long frauds,
            BigDecimal amount,
            BigDecimal fraudAmount,
            List<String> currencies,
            String firstDay,
            String lastDay,
            int days) {}

    /** One rule set's figures against the labels. */
    public record SetFigures(
            String name,
            String role,
            List<String> ruleSetVersions,
            long decided,
            long missingDecisions,
            long duplicateDecisions,
            long unknownDecisions,
            Flagging deny,
            Flagging denyOrReview,
            Double rocAuc,
            Double averagePrecision,
            int distinctScores,
            Double meanCardPrecisionAt100,
            List<Day> days,
            List<RuleFigures> rules,
            Thresholds thresholds,
            List<Metrics.Point> precisionRecall,
            List<Bin> scoreHistogram) {}

    /** Flagging the payments with the given outcomes: how many, how right, how much fraud money. */
    public record Flagging(
            long flagged, long frauds, Double precision, Double recall, BigDecimal fraudAmount, Double amountRecall) {}

    public record Day(
            String day,
            long payments,
            long frauds,
            long deny,
            long review,
            long denyFrauds,
            long reviewFrauds,
            long cards,
            Double cardPrecisionAt100) {}

    /**
     * @param kind {@code active}, {@code shadow} or {@code list}
     * @param onlyItCatches frauds on which this rule fired and no other rule or list did
     */
    public record RuleFigures(
            String ruleId,
            String kind,
            long hits,
            long fraudHits,
            Double precision,
            Double recall,
            long onlyItCatches,
            long genuineHits,
            BigDecimal genuineAmount,
            BigDecimal fraudAmount) {}

    /**
     * @param reviewRate the lowest threshold that flags at most the given share of payments
     * @param precision the lowest threshold whose flagged payments reach the given precision
     */
    public record Thresholds(Threshold reviewRate, Threshold precision) {}

    /** @param threshold null when no positive score achieves the target */
    public record Threshold(
            double target, Double threshold, long flagged, Double rate, Double precision, Double recall) {}

    /** Score histogram bin [from, to), with the share of each class in it. */
    public record Bin(double from, double to, long frauds, long genuine, double fraudShare, double genuineShare) {}

    /** Baseline to candidate: how many payments moved between outcomes, and the largest moves. */
    public record Changes(
            String baseline, String candidate, List<Transition> transitions, String ranking, List<Change> top) {}

    public record Transition(
            String before,
            String after,
            long payments,
            long frauds,
            BigDecimal fraudAmount,
            BigDecimal genuineAmount) {}

    /** @param effect fraud newly caught, fraud no longer caught, genuine newly held, genuine released */
    public record Change(
            String paymentId,
            String day,
            BigDecimal amount,
            String currency,
            boolean fraud,
            String effect,
            String before,
            int scoreBefore,
            String after,
            int scoreAfter,
            List<String> reasonsBefore,
            List<String> reasonsAfter) {}
}
