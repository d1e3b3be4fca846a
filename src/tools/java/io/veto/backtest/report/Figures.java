package io.veto.backtest.report;

import io.veto.backtest.report.BacktestData.Decisions;
import io.veto.backtest.report.BacktestData.Payments;
import io.veto.decision.Outcome;
import io.veto.decision.Reason;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/** Computes a backtest's {@link Summary} from its labelled payments and the decisions of its rule sets. */
public final class Figures {
    static final int CARDS_PER_DAY = 100;
    static final int TOP_CHANGES = 20;
    static final int HISTOGRAM_BINS = 30;

    static final Map<String, String> DEFINITIONS = definitions();

    private Figures() {}

    private static Map<String, String> definitions() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put(
                "fraud",
                "a payment labelled 1 in payments.csv (a fraud chargeback arrived for it within the label window)");
        d.put("day", "the UTC date of the payment's event time");
        d.put("precision", "frauds among the flagged payments / flagged payments");
        d.put("recall", "flagged frauds / all frauds");
        d.put(
                "amountRecall",
                "amount of the flagged frauds / amount of all frauds: the money stopped (DENY) or held (DENY or REVIEW)");
        d.put(
                "rocAuc",
                "the probability that a random fraud has a higher score than a random genuine payment, ties counting half"
                        + " (Mann-Whitney); payments rank by their decision's score");
        d.put(
                "averagePrecision",
                "sum over the distinct scores, highest first, of (recall gained at that score) x (precision of flagging"
                        + " every payment scoring at least that), as scikit-learn's average_precision_score");
        d.put(
                "cardPrecisionAt100",
                "per day: each card's highest score that day; of the 100 cards with the highest (all cards when"
                        + " fewer), the share that had a fraud that day; cards tied at the 100th place count by their share of fraud");
        d.put("onlyItCatches", "frauds on which this rule fired and no other rule, shadow rule or list did");
        d.put("genuineHits", "genuine payments on which this rule fired");
        d.put(
                "reviewRateThreshold",
                "the lowest score threshold (above 0) that flags at most the chosen share of payments: the most a review team of that"
                        + " size can look at");
        d.put(
                "precisionThreshold",
                "the lowest score threshold (above 0) whose flagged payments reach the chosen precision: the most fraud"
                        + " stopped at that precision");
        d.put(
                "topChanges",
                "payments whose outcome differs between baseline and candidate, largest amount first; a fraud moved to a"
                        + " stricter outcome is newly caught, a genuine payment moved to a stricter one is newly held");
        return d;
    }

    public static Summary compute(Payments p, Decisions candidate, Decisions baseline, ReportOptions options) {
        List<Summary.SetFigures> sets = new ArrayList<>();
        sets.add(set(options.candidateName(), "candidate", p, candidate, options));
        if (baseline != null) {
            sets.add(set(
                    options.baselineName() == null ? "baseline" : options.baselineName(),
                    "baseline",
                    p,
                    baseline,
                    options));
        }
        Summary.Changes changes = baseline == null ? null : changes(p, baseline, candidate, options);
        return new Summary(DEFINITIONS, headline(p), sets, changes);
    }

    static Summary.Headline headline(Payments p) {
        long frauds = 0;
        BigDecimal amount = BigDecimal.ZERO;
        BigDecimal fraudAmount = BigDecimal.ZERO;
        TreeSet<String> currencies = new TreeSet<>();
        TreeSet<Long> days = new TreeSet<>();
        for (int i = 0; i < p.size(); i++) {
            amount = amount.add(p.amount()[i]);
            if (p.fraud()[i]) {
                frauds++;
                fraudAmount = fraudAmount.add(p.amount()[i]);
            }
            if (!p.currency()[i].isEmpty()) {
                currencies.add(p.currency()[i]);
            }
            days.add(p.day(i));
        }
        return new Summary.Headline(
                p.size(),
                frauds,
                amount,
                fraudAmount,
                List.copyOf(currencies),
                days.isEmpty() ? null : LocalDate.ofEpochDay(days.first()).toString(),
                days.isEmpty() ? null : LocalDate.ofEpochDay(days.last()).toString(),
                days.size());
    }

    static Summary.SetFigures set(String name, String role, Payments p, Decisions d, ReportOptions options) {
        int n = p.size();
        double[] scores = new double[n];
        for (int i = 0; i < n; i++) {
            scores[i] = d.score()[i];
        }
        Metrics.ScoreCounts counts = Metrics.ScoreCounts.of(scores, p.fraud());
        List<Metrics.Point> curve = Metrics.curve(counts);
        long decided = n - d.missing();
        List<Summary.Day> days = days(p, d);
        Double meanCardPrecision = days.stream()
                .map(Summary.Day::cardPrecisionAt100)
                .filter(Objects::nonNull)
                .mapToDouble(Double::doubleValue)
                .average()
                .stream()
                .boxed()
                .findFirst()
                .orElse(null);
        return new Summary.SetFigures(
                name,
                role,
                List.copyOf(d.versions()),
                decided,
                d.missing(),
                d.duplicates(),
                d.unknown(),
                flagging(p, d, false),
                flagging(p, d, true),
                Metrics.rocAuc(counts),
                Metrics.averagePrecision(counts),
                counts.size(),
                meanCardPrecision,
                days,
                rules(p, d),
                new Summary.Thresholds(
                        reviewRateThreshold(curve, n, counts.positives(), options.reviewRate()),
                        precisionThreshold(curve, n, counts.positives(), options.targetPrecision())),
                curve,
                histogram(counts));
    }

    static boolean flagged(Outcome o, boolean orReview) {
        return o == Outcome.DENY || (orReview && o == Outcome.REVIEW);
    }

    static Summary.Flagging flagging(Payments p, Decisions d, boolean orReview) {
        long flagged = 0;
        long tp = 0;
        long frauds = 0;
        BigDecimal caught = BigDecimal.ZERO;
        BigDecimal all = BigDecimal.ZERO;
        for (int i = 0; i < p.size(); i++) {
            boolean f = flagged(d.outcome()[i], orReview);
            if (p.fraud()[i]) {
                frauds++;
                all = all.add(p.amount()[i]);
            }
            if (f) {
                flagged++;
                if (p.fraud()[i]) {
                    tp++;
                    caught = caught.add(p.amount()[i]);
                }
            }
        }
        return new Summary.Flagging(
                flagged,
                tp,
                Metrics.ratio(tp, flagged),
                Metrics.ratio(tp, frauds),
                caught,
                all.signum() == 0 ? null : caught.doubleValue() / all.doubleValue());
    }

    static List<Summary.Day> days(Payments p, Decisions d) {
        TreeMap<Long, long[]> counts = new TreeMap<>();
        // Per day, per card: its highest score that day, and whether it had a fraud that day.
        Map<Long, Map<String, double[]>> cards = new HashMap<>();
        for (int i = 0; i < p.size(); i++) {
            long day = p.day(i);
            long[] c = counts.computeIfAbsent(day, x -> new long[6]);
            boolean fraud = p.fraud()[i];
            Outcome o = d.outcome()[i];
            c[0]++;
            c[1] += fraud ? 1 : 0;
            if (o == Outcome.DENY) {
                c[2]++;
                c[4] += fraud ? 1 : 0;
            } else if (o == Outcome.REVIEW) {
                c[3]++;
                c[5] += fraud ? 1 : 0;
            }
            double[] card = cards.computeIfAbsent(day, x -> new HashMap<>())
                    .computeIfAbsent(p.card()[i], x -> new double[] {Double.NEGATIVE_INFINITY, 0});
            card[0] = Math.max(card[0], d.score()[i]);
            if (fraud) {
                card[1] = 1;
            }
        }
        List<Summary.Day> out = new ArrayList<>();
        for (Map.Entry<Long, long[]> e : counts.entrySet()) {
            long[] c = e.getValue();
            Map<String, double[]> dayCards = cards.get(e.getKey());
            double[] max = new double[dayCards.size()];
            boolean[] fraud = new boolean[dayCards.size()];
            int k = 0;
            for (double[] v : dayCards.values()) {
                max[k] = v[0];
                fraud[k++] = v[1] > 0;
            }
            out.add(new Summary.Day(
                    LocalDate.ofEpochDay(e.getKey()).toString(),
                    c[0],
                    c[1],
                    c[2],
                    c[3],
                    c[4],
                    c[5],
                    dayCards.size(),
                    Metrics.precisionAtK(max, fraud, CARDS_PER_DAY)));
        }
        return out;
    }

    static List<Summary.RuleFigures> rules(Payments p, Decisions d) {
        long frauds = 0;
        for (boolean f : p.fraud()) {
            frauds += f ? 1 : 0;
        }
        Map<String, RuleTally> tallies = new LinkedHashMap<>();
        List<String> fired = new ArrayList<>();
        for (int i = 0; i < p.size(); i++) {
            fired.clear();
            collect(d.reasons()[i], false, tallies, fired);
            collect(d.shadowReasons()[i], true, tallies, fired);
            boolean fraud = p.fraud()[i];
            for (String id : fired) {
                RuleTally t = tallies.get(id);
                t.hits++;
                if (fraud) {
                    t.fraudHits++;
                    t.fraudAmount = t.fraudAmount.add(p.amount()[i]);
                    if (fired.size() == 1) {
                        t.only++;
                    }
                } else {
                    t.genuineHits++;
                    t.genuineAmount = t.genuineAmount.add(p.amount()[i]);
                }
            }
        }
        long f = frauds;
        return tallies.values().stream()
                .map(t -> new Summary.RuleFigures(
                        t.id,
                        t.kind,
                        t.hits,
                        t.fraudHits,
                        Metrics.ratio(t.fraudHits, t.hits),
                        Metrics.ratio(t.fraudHits, f),
                        t.only,
                        t.genuineHits,
                        t.genuineAmount,
                        t.fraudAmount))
                .sorted(Comparator.comparingLong(Summary.RuleFigures::fraudHits)
                        .reversed()
                        .thenComparing(Summary.RuleFigures::ruleId))
                .toList();
    }

    private static void collect(Reason[] reasons, boolean shadow, Map<String, RuleTally> tallies, List<String> fired) {
        if (reasons == null) {
            return;
        }
        for (Reason r : reasons) {
            // A rule counts once per payment, whatever the number of its reasons.
            if (fired.contains(r.ruleId())) {
                continue;
            }
            fired.add(r.ruleId());
            String kind = r.ruleId().startsWith("list:") ? "list" : shadow ? "shadow" : "active";
            tallies.computeIfAbsent(r.ruleId(), id -> new RuleTally(id, kind));
        }
    }

    private static final class RuleTally {
        final String id;
        final String kind;
        long hits;
        long fraudHits;
        long genuineHits;
        long only;
        BigDecimal genuineAmount = BigDecimal.ZERO;
        BigDecimal fraudAmount = BigDecimal.ZERO;

        RuleTally(String id, String kind) {
            this.id = id;
            this.kind = kind;
        }
    }

    static Summary.Threshold reviewRateThreshold(List<Metrics.Point> curve, long n, long frauds, double rate) {
        Metrics.Point best = null;
        for (Metrics.Point pt : curve) {
            if (pt.threshold() <= 0 || pt.flagged() > rate * n) {
                break;
            }
            best = pt;
        }
        return threshold(rate, best, n, frauds);
    }

    static Summary.Threshold precisionThreshold(List<Metrics.Point> curve, long n, long frauds, double precision) {
        Metrics.Point best = null;
        for (Metrics.Point pt : curve) {
            if (pt.threshold() <= 0) {
                break;
            }
            if (pt.precision() >= precision) {
                best = pt;
            }
        }
        return threshold(precision, best, n, frauds);
    }

    private static Summary.Threshold threshold(double target, Metrics.Point pt, long n, long frauds) {
        if (pt == null) {
            return new Summary.Threshold(target, null, 0, null, null, null);
        }
        return new Summary.Threshold(
                target,
                pt.threshold(),
                pt.flagged(),
                Metrics.ratio(pt.flagged(), n),
                pt.precision(),
                Metrics.ratio(pt.frauds(), frauds));
    }

    static List<Summary.Bin> histogram(Metrics.ScoreCounts c) {
        if (c.size() == 0) {
            return List.of();
        }
        double min = Math.min(0, c.score()[c.size() - 1]);
        double max = c.score()[0];
        double width = Math.max(1, Math.ceil((max - min + 1) / HISTOGRAM_BINS));
        int bins = (int) Math.ceil((max - min + 1) / width);
        long[] pos = new long[bins];
        long[] neg = new long[bins];
        for (int i = 0; i < c.size(); i++) {
            int b = Math.min(bins - 1, (int) ((c.score()[i] - min) / width));
            pos[b] += c.pos()[i];
            neg[b] += c.neg()[i];
        }
        List<Summary.Bin> out = new ArrayList<>();
        for (int b = 0; b < bins; b++) {
            out.add(new Summary.Bin(
                    min + b * width,
                    min + (b + 1) * width,
                    pos[b],
                    neg[b],
                    c.positives() == 0 ? 0 : (double) pos[b] / c.positives(),
                    c.negatives() == 0 ? 0 : (double) neg[b] / c.negatives()));
        }
        return out;
    }

    static int severity(Outcome o) {
        return o == null ? -1 : o.ordinal();
    }

    static Summary.Changes changes(Payments p, Decisions before, Decisions after, ReportOptions options) {
        Map<String, Object[]> transitions = new LinkedHashMap<>();
        for (Outcome b : Outcome.values()) {
            for (Outcome a : Outcome.values()) {
                transitions.put(b + ">" + a, new Object[] {0L, 0L, BigDecimal.ZERO, BigDecimal.ZERO});
            }
        }
        List<Integer> changed = new ArrayList<>();
        for (int i = 0; i < p.size(); i++) {
            Outcome b = before.outcome()[i];
            Outcome a = after.outcome()[i];
            if (a == null || b == null) {
                continue;
            }
            Object[] t = transitions.get(b + ">" + a);
            t[0] = (Long) t[0] + 1;
            if (p.fraud()[i]) {
                t[1] = (Long) t[1] + 1;
                t[2] = ((BigDecimal) t[2]).add(p.amount()[i]);
            } else {
                t[3] = ((BigDecimal) t[3]).add(p.amount()[i]);
            }
            if (a != b) {
                changed.add(i);
            }
        }
        List<Summary.Transition> ts = new ArrayList<>();
        transitions.forEach((k, t) -> {
            String[] ba = k.split(">");
            ts.add(new Summary.Transition(
                    ba[0], ba[1], (Long) t[0], (Long) t[1], (BigDecimal) t[2], (BigDecimal) t[3]));
        });
        List<Summary.Change> top = changed.stream()
                .sorted(Comparator.<Integer, BigDecimal>comparing(i -> p.amount()[i])
                        .reversed()
                        .thenComparing(i -> p.id()[i]))
                .limit(TOP_CHANGES)
                .map(i -> {
                    boolean stricter = severity(after.outcome()[i]) > severity(before.outcome()[i]);
                    String effect = p.fraud()[i]
                            ? (stricter ? "fraud newly caught" : "fraud no longer caught")
                            : (stricter ? "genuine newly held" : "genuine released");
                    return new Summary.Change(
                            p.id()[i],
                            LocalDate.ofEpochDay(p.day(i)).toString(),
                            p.amount()[i],
                            p.currency()[i],
                            p.fraud()[i],
                            effect,
                            before.outcome()[i].name(),
                            before.score()[i],
                            after.outcome()[i].name(),
                            after.score()[i],
                            explain(before, i),
                            explain(after, i));
                })
                .toList();
        return new Summary.Changes(
                options.baselineName() == null ? "baseline" : options.baselineName(),
                options.candidateName(),
                ts,
                DEFINITIONS.get("topChanges"),
                top);
    }

    private static List<String> explain(Decisions d, int i) {
        List<String> out = new ArrayList<>();
        if (d.reasons()[i] != null) {
            for (Reason r : d.reasons()[i]) {
                out.add(reasonText(r, ""));
            }
        }
        if (d.shadowReasons()[i] != null) {
            for (Reason r : d.shadowReasons()[i]) {
                out.add(reasonText(r, "shadow "));
            }
        }
        return out;
    }

    static String reasonText(Reason r, String prefix) {
        String what = r.outcome() != null ? "[" + r.outcome() + "]" : (r.points() >= 0 ? "+" : "") + r.points();
        return prefix + r.ruleId() + " " + what + ": " + r.detail();
    }
}
