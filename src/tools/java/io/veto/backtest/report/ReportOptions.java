package io.veto.backtest.report;

/**
 * What a backtest report compares and the targets its threshold section solves for.
 *
 * @param candidateName the candidate rule set's name, as the report shows it
 * @param baselineName the baseline's name, or null when the backtest ran the candidate alone
 * @param reviewRate the share of payments analysts can review (0.005 for 0.5%): the report finds the
 *     review threshold that flags at most this share
 * @param targetPrecision the precision a deny threshold must reach (0.9 for 90%): the report finds
 *     the lowest such threshold, the one that stops the most fraud at that precision
 */
public record ReportOptions(String candidateName, String baselineName, double reviewRate, double targetPrecision) {
    public static final double DEFAULT_REVIEW_RATE = 0.005;
    public static final double DEFAULT_TARGET_PRECISION = 0.9;

    public ReportOptions {
        if (candidateName == null || candidateName.isBlank()) {
            throw new IllegalArgumentException("the candidate needs a name");
        }
        if (!(reviewRate > 0 && reviewRate < 1)) {
            throw new IllegalArgumentException(
                    "the review rate must be between 0 and 1 (0.005 is 0.5%), not " + reviewRate);
        }
        if (!(targetPrecision > 0 && targetPrecision <= 1)) {
            throw new IllegalArgumentException("the target precision must be in (0, 1], not " + targetPrecision);
        }
    }

    public ReportOptions(String candidateName, String baselineName, double reviewRate) {
        this(candidateName, baselineName, reviewRate, DEFAULT_TARGET_PRECISION);
    }
}
