package io.veto.backtest.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The ranking measures of a backtest, exact and without a statistics library: ROC AUC as the
 * Mann–Whitney statistic with ties counted as half, average precision as scikit-learn defines it
 * (the step-wise sum over thresholds of the recall gained times the precision there), and the
 * precision–recall points behind both. Everything starts from {@link ScoreCounts}: how many frauds
 * and genuine payments have each distinct score.
 */
public final class Metrics {
    private Metrics() {}

    /**
     * Distinct scores from highest to lowest, with the number of frauds ({@code pos}) and genuine
     * payments ({@code neg}) at each.
     */
    public record ScoreCounts(double[] score, long[] pos, long[] neg, long positives, long negatives) {
        public int size() {
            return score.length;
        }

        public static ScoreCounts of(double[] scores, boolean[] fraud) {
            int p = 0;
            for (boolean f : fraud) {
                p += f ? 1 : 0;
            }
            double[] ps = new double[p];
            double[] ns = new double[scores.length - p];
            int pi = 0;
            int ni = 0;
            for (int i = 0; i < scores.length; i++) {
                if (Double.isNaN(scores[i])) {
                    throw new IllegalArgumentException("score " + i + " is NaN");
                }
                if (fraud[i]) {
                    ps[pi++] = scores[i];
                } else {
                    ns[ni++] = scores[i];
                }
            }
            Arrays.sort(ps);
            Arrays.sort(ns);
            // Merge the two ascending arrays from the top, one entry per distinct score.
            List<double[]> rows = new ArrayList<>();
            int a = ps.length - 1;
            int b = ns.length - 1;
            while (a >= 0 || b >= 0) {
                double s = a < 0 ? ns[b] : b < 0 ? ps[a] : Math.max(ps[a], ns[b]);
                long cp = 0;
                long cn = 0;
                while (a >= 0 && ps[a] == s) {
                    cp++;
                    a--;
                }
                while (b >= 0 && ns[b] == s) {
                    cn++;
                    b--;
                }
                rows.add(new double[] {s, cp, cn});
            }
            double[] sc = new double[rows.size()];
            long[] cp = new long[rows.size()];
            long[] cn = new long[rows.size()];
            for (int i = 0; i < rows.size(); i++) {
                sc[i] = rows.get(i)[0];
                cp[i] = (long) rows.get(i)[1];
                cn[i] = (long) rows.get(i)[2];
            }
            return new ScoreCounts(sc, cp, cn, ps.length, ns.length);
        }
    }

    /**
     * The probability that a random fraud scores above a random genuine payment, a tie counting
     * half; null when there are no frauds or no genuine payments.
     */
    public static Double rocAuc(ScoreCounts c) {
        if (c.positives() == 0 || c.negatives() == 0) {
            return null;
        }
        // Twice the Mann–Whitney U, in exact integers: each fraud gets 2 per genuine payment below it, 1 per tie.
        long twiceU = 0;
        long negBelow = c.negatives();
        for (int i = 0; i < c.size(); i++) {
            negBelow -= c.neg()[i];
            twiceU += c.pos()[i] * (2 * negBelow + c.neg()[i]);
        }
        return twiceU / (2.0 * c.positives() * c.negatives());
    }

    /**
     * Average precision as scikit-learn's {@code average_precision_score}: with payments flagged
     * at each distinct score from the top, the sum of (recall gained) × (precision there); null
     * when there are no frauds.
     */
    public static Double averagePrecision(ScoreCounts c) {
        if (c.positives() == 0) {
            return null;
        }
        double ap = 0;
        long tp = 0;
        long flagged = 0;
        for (int i = 0; i < c.size(); i++) {
            tp += c.pos()[i];
            flagged += c.pos()[i] + c.neg()[i];
            if (c.pos()[i] > 0) {
                ap += (double) c.pos()[i] / c.positives() * ((double) tp / flagged);
            }
        }
        return ap;
    }

    /** One threshold of a score: payments scoring at least {@code threshold} are flagged. */
    public record Point(double threshold, long flagged, long frauds, double precision, double recall) {}

    /** The precision and recall of flagging at each distinct score, highest threshold first. */
    public static List<Point> curve(ScoreCounts c) {
        List<Point> out = new ArrayList<>(c.size());
        long tp = 0;
        long flagged = 0;
        for (int i = 0; i < c.size(); i++) {
            tp += c.pos()[i];
            flagged += c.pos()[i] + c.neg()[i];
            out.add(new Point(
                    c.score()[i],
                    flagged,
                    tp,
                    (double) tp / flagged,
                    c.positives() == 0 ? 0 : (double) tp / c.positives()));
        }
        return out;
    }

    /** {@code num / den}, or null when {@code den} is 0 (a precision of nothing flagged is undefined). */
    public static Double ratio(double num, double den) {
        return den == 0 ? null : num / den;
    }

    /**
     * The share of frauds among the {@code k} highest-scoring items (cards), or among all of them
     * when there are fewer. Items tied at the cut share the remaining places: they count by the
     * share of frauds among them, the expectation over every order of the tie, so the figure does
     * not depend on an arbitrary tie-break.
     */
    public static Double precisionAtK(double[] scores, boolean[] fraud, int k) {
        int n = scores.length;
        if (n == 0) {
            return null;
        }
        int kk = Math.min(k, n);
        double[] sorted = scores.clone();
        Arrays.sort(sorted);
        double cut = sorted[n - kk];
        long above = 0;
        long fraudAbove = 0;
        long tied = 0;
        long fraudTied = 0;
        for (int i = 0; i < n; i++) {
            if (scores[i] > cut) {
                above++;
                fraudAbove += fraud[i] ? 1 : 0;
            } else if (scores[i] == cut) {
                tied++;
                fraudTied += fraud[i] ? 1 : 0;
            }
        }
        double expected = fraudAbove + (double) (kk - above) * fraudTied / tied;
        return expected / kk;
    }
}
