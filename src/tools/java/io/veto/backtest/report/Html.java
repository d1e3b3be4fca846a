package io.veto.backtest.report;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Writes {@code report.html}: one self-contained page for an analyst (styles and charts inline, no
 * network), from a {@link Summary}. Every string that comes from the data (rule ids, reasons, names,
 * payment ids) goes through {@link #esc}: analysts write rule text, and a report must not run it.
 * The only script is a check that each chart was laid out; the page reads the same without it.
 */
final class Html {
    static final String CANDIDATE = "#1f6feb";
    static final String BASELINE = "#8c959f";
    static final String FRAUD = "#cf222e";
    static final String GENUINE = "#8c959f";
    static final String DENY = "#cf222e";
    static final String REVIEW = "#d4a72c";
    static final String DENY_BASE = "#82071e";
    static final String REVIEW_BASE = "#7d4e00";

    private Html() {}

    /** Text made safe for HTML element content and quoted attribute values. */
    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    static String count(double v) {
        return new DecimalFormat("#,##0", DecimalFormatSymbols.getInstance(Locale.ROOT)).format(v);
    }

    static String num(double v) {
        return v == Math.rint(v) ? count(v) : String.format(Locale.ROOT, "%.2f", v);
    }

    static String money(BigDecimal v) {
        return v == null
                ? "–"
                : new DecimalFormat("#,##0.00", DecimalFormatSymbols.getInstance(Locale.ROOT))
                        .format(v.setScale(2, RoundingMode.HALF_UP));
    }

    static String percent(Double v) {
        return v == null ? "–" : String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

    static String percent0(double v) {
        return String.format(Locale.ROOT, "%.0f%%", 100 * v);
    }

    static String percentShort(double v) {
        return v >= 0.01
                ? percent0(v)
                : String.format(
                        Locale.ROOT,
                        "%s%%",
                        BigDecimal.valueOf(100 * v).stripTrailingZeros().toPlainString());
    }

    static String ratio(Double v) {
        return v == null ? "–" : String.format(Locale.ROOT, "%.4f", v);
    }

    static String write(Summary s, ReportOptions o) {
        Summary.Headline h = s.headline();
        StringBuilder b = new StringBuilder(64 * 1024);
        String currency = h.currencies().size() == 1 ? " " + h.currencies().get(0) : "";
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<title>Backtest: ")
                .append(esc(o.candidateName()))
                .append(o.baselineName() == null ? "" : " vs " + esc(o.baselineName()))
                .append("</title>")
                .append("<style>")
                .append(CSS)
                .append("</style></head><body><main>\n");
        b.append("<h1>Backtest of <span class=\"set\">")
                .append(esc(o.candidateName()))
                .append("</span>");
        if (o.baselineName() != null) {
            b.append(" against <span class=\"set\">")
                    .append(esc(o.baselineName()))
                    .append("</span>");
        }
        b.append("</h1>\n<p class=\"sub\">")
                .append(esc(h.firstDay()))
                .append(" to ")
                .append(esc(h.lastDay()))
                .append(" (")
                .append(h.days())
                .append(" days, UTC). Rule set versions: ");
        List<String> versions = new ArrayList<>();
        for (Summary.SetFigures f : s.sets()) {
            versions.add(esc(f.name()) + " <code>" + esc(String.join(", ", f.ruleSetVersions())) + "</code>");
        }
        b.append(String.join("; ", versions)).append(".</p>\n");

        b.append("<section class=\"headline\">");
        card(b, "payments", count(h.payments()), "amount " + money(h.amount()) + currency);
        card(b, "frauds", count(h.frauds()), percent(Metrics.ratio(h.frauds(), h.payments())) + " of payments");
        card(
                b,
                "fraud amount",
                money(h.fraudAmount()) + currency,
                percent(
                                h.amount().signum() == 0
                                        ? null
                                        : h.fraudAmount().doubleValue()
                                                / h.amount().doubleValue()) + " of the amount");
        Summary.SetFigures cand = s.sets().get(0);
        card(
                b,
                "money stopped by " + o.candidateName(),
                percent(cand.deny().amountRecall()),
                "of the fraud amount denied; " + percent(cand.denyOrReview().amountRecall())
                        + " denied or held for review");
        b.append("</section>\n");
        if (h.currencies().size() > 1) {
            b.append("<p class=\"note\">Amounts are in several currencies (")
                    .append(esc(String.join(", ", h.currencies())))
                    .append(") and are added as written.</p>");
        }

        setTable(b, s);
        charts(b, s);
        for (Summary.SetFigures f : s.sets()) {
            ruleTable(b, f, s.sets().size() > 1 && f != cand);
        }
        if (s.changes() != null) {
            changes(b, s.changes());
        }
        thresholds(b, s, o);
        b.append("<h2 id=\"definitions\">How the figures are computed</h2><dl class=\"defs\">");
        for (Map.Entry<String, String> e : s.definitions().entrySet()) {
            b.append("<dt>")
                    .append(esc(e.getKey()))
                    .append("</dt><dd>")
                    .append(esc(e.getValue()))
                    .append("</dd>");
        }
        b.append(
                "</dl><p class=\"note\">The same figures, unrounded, are in <code>summary.json</code> beside this file.</p>\n");
        b.append("</main><script>").append(SCRIPT).append("</script></body></html>\n");
        return b.toString();
    }

    private static void card(StringBuilder b, String label, String value, String note) {
        b.append("<div class=\"card\"><div class=\"label\">")
                .append(esc(label))
                .append("</div><div class=\"value\">")
                .append(esc(value))
                .append("</div><div class=\"note\">")
                .append(esc(note))
                .append("</div></div>");
    }

    private static void setTable(StringBuilder b, Summary s) {
        b.append("<h2 id=\"sets\">Rule sets</h2><table class=\"figures\"><thead><tr><th></th>");
        for (Summary.SetFigures f : s.sets()) {
            b.append("<th>")
                    .append(esc(f.name()))
                    .append(" <span class=\"role\">")
                    .append(esc(f.role()))
                    .append("</span></th>");
        }
        b.append("</tr></thead><tbody>");
        row(b, s, "DENY: payments", f -> count(f.deny().flagged()));
        row(b, s, "DENY: precision", f -> percent(f.deny().precision()));
        row(b, s, "DENY: recall", f -> percent(f.deny().recall()));
        row(
                b,
                s,
                "DENY: fraud amount stopped",
                f -> percent(f.deny().amountRecall()) + " (" + money(f.deny().fraudAmount()) + ")");
        row(b, s, "DENY or REVIEW: payments", f -> count(f.denyOrReview().flagged()));
        row(b, s, "DENY or REVIEW: precision", f -> percent(f.denyOrReview().precision()));
        row(b, s, "DENY or REVIEW: recall", f -> percent(f.denyOrReview().recall()));
        row(
                b,
                s,
                "DENY or REVIEW: fraud amount held",
                f -> percent(f.denyOrReview().amountRecall()) + " ("
                        + money(f.denyOrReview().fraudAmount()) + ")");
        row(b, s, "ROC AUC", f -> ratio(f.rocAuc()));
        row(b, s, "average precision", f -> ratio(f.averagePrecision()));
        row(b, s, "card precision@100, mean per day", f -> percent(f.meanCardPrecisionAt100()));
        row(b, s, "distinct scores", f -> count(f.distinctScores()));
        row(b, s, "payments without a decision", f -> count(f.missingDecisions()));
        b.append(
                "</tbody></table>\n<p class=\"note\">Precision: frauds among the flagged payments. Recall: share of all frauds flagged. "
                        + "AUC and average precision rank payments by score; card precision@100 is the share of the day's 100 top-scoring cards "
                        + "that had a fraud that day (see <a href=\"#definitions\">definitions</a>).</p>\n");
    }

    private static void row(StringBuilder b, Summary s, String label, Function<Summary.SetFigures, String> cell) {
        b.append("<tr><th>").append(esc(label)).append("</th>");
        for (Summary.SetFigures f : s.sets()) {
            b.append("<td>").append(esc(cell.apply(f))).append("</td>");
        }
        b.append("</tr>");
    }

    private static String color(Summary.SetFigures f) {
        return f.role().equals("candidate") ? CANDIDATE : BASELINE;
    }

    private static void charts(StringBuilder b, Summary s) {
        b.append("<h2 id=\"charts\">Charts</h2><div class=\"charts\">");
        for (Summary.SetFigures f : s.sets()) {
            figure(
                    b,
                    "Score distribution, " + f.name() + ": frauds vs genuine payments",
                    Svg.histogram(
                            "scores-" + f.role(),
                            "score distribution of " + f.name(),
                            f.scoreHistogram(),
                            FRAUD,
                            GENUINE));
        }
        List<Svg.Curve> curves = new ArrayList<>();
        for (Summary.SetFigures f : s.sets()) {
            double[] x = f.precisionRecall().stream()
                    .mapToDouble(Metrics.Point::recall)
                    .toArray();
            double[] y = f.precisionRecall().stream()
                    .mapToDouble(Metrics.Point::precision)
                    .toArray();
            curves.add(new Svg.Curve(
                    f.name() + " (AP " + ratio(f.averagePrecision()) + ")",
                    color(f),
                    !f.role().equals("candidate"),
                    x,
                    y));
        }
        figure(
                b,
                "Precision and recall at every score threshold",
                Svg.precisionRecall("precision-recall", "precision-recall curves", curves));
        List<String> days =
                s.sets().get(0).days().stream().map(d -> d.day().substring(5)).toList();
        List<List<Svg.Series>> stacks = new ArrayList<>();
        List<String> groups = new ArrayList<>();
        for (Summary.SetFigures f : s.sets()) {
            boolean c = f.role().equals("candidate");
            groups.add(f.name());
            stacks.add(List.of(
                    new Svg.Series(
                            f.name() + " DENY",
                            c ? DENY : DENY_BASE,
                            f.days().stream().map(d -> (double) d.deny()).toArray(Double[]::new)),
                    new Svg.Series(
                            f.name() + " REVIEW",
                            c ? REVIEW : REVIEW_BASE,
                            f.days().stream().map(d -> (double) d.review()).toArray(Double[]::new))));
        }
        figure(
                b,
                "Decisions per day (DENY and REVIEW; one bar per rule set)",
                Svg.stackedBars("decisions-per-day", "decisions per day", days, groups, stacks, "payments"));
        List<Svg.Series> review = new ArrayList<>();
        List<Svg.Series> cp = new ArrayList<>();
        for (Summary.SetFigures f : s.sets()) {
            review.add(new Svg.Series(
                    f.name(),
                    color(f),
                    f.days().stream().map(d -> (double) d.review()).toArray(Double[]::new)));
            cp.add(new Svg.Series(
                    f.name(),
                    color(f),
                    f.days().stream().map(Summary.Day::cardPrecisionAt100).toArray(Double[]::new)));
        }
        figure(
                b,
                "Review workload per day: payments held for REVIEW",
                Svg.lines(
                        "review-per-day",
                        "review workload per day",
                        days,
                        review,
                        0,
                        null,
                        Html::count,
                        "payments to review"));
        figure(
                b,
                "Card precision@100 per day: share of the day's 100 top-scoring cards with a fraud",
                Svg.lines(
                        "card-precision-per-day",
                        "card precision at 100 per day",
                        days,
                        cp,
                        0,
                        1.0,
                        Html::percent0,
                        "card precision@100"));
        b.append("</div>\n");
    }

    private static void figure(StringBuilder b, String caption, String svg) {
        b.append("<figure>")
                .append(svg)
                .append("<figcaption>")
                .append(esc(caption))
                .append("</figcaption></figure>");
    }

    private static void ruleTable(StringBuilder b, Summary.SetFigures f, boolean collapsed) {
        String title = "Rules of " + f.name() + " (shadow rules and lists included)";
        if (collapsed) {
            b.append("<details><summary>").append(esc(title)).append("</summary>");
        } else {
            b.append("<h2 id=\"rules\">").append(esc(title)).append("</h2>");
        }
        b.append(
                "<table class=\"rules\"><thead><tr><th>rule</th><th>kind</th><th>hits</th><th>frauds hit</th><th>precision</th>"
                        + "<th>recall</th><th>frauds only it catches</th><th>genuine payments it touches</th><th>their amount</th></tr></thead><tbody>");
        for (Summary.RuleFigures r : f.rules()) {
            b.append("<tr><td><code>")
                    .append(esc(r.ruleId()))
                    .append("</code></td><td class=\"kind ")
                    .append(esc(r.kind()))
                    .append("\">")
                    .append(esc(r.kind()))
                    .append("</td><td>")
                    .append(count(r.hits()))
                    .append("</td><td>")
                    .append(count(r.fraudHits()))
                    .append("</td><td>")
                    .append(percent(r.precision()))
                    .append("</td><td>")
                    .append(percent(r.recall()))
                    .append("</td><td>")
                    .append(count(r.onlyItCatches()))
                    .append("</td><td>")
                    .append(count(r.genuineHits()))
                    .append("</td><td>")
                    .append(money(r.genuineAmount()))
                    .append("</td></tr>");
        }
        if (f.rules().isEmpty()) {
            b.append("<tr><td colspan=\"9\">no rule fired</td></tr>");
        }
        b.append("</tbody></table>");
        b.append(collapsed ? "</details>\n" : "\n");
    }

    private static void changes(StringBuilder b, Summary.Changes c) {
        b.append("<h2 id=\"changes\">What changes from ")
                .append(esc(c.baseline()))
                .append(" to ")
                .append(esc(c.candidate()))
                .append("</h2>");
        b.append("<table class=\"matrix\"><thead><tr><th>")
                .append(esc(c.baseline()))
                .append(" → ")
                .append(esc(c.candidate()))
                .append(
                        "</th><th>payments</th><th>of them frauds</th><th>fraud amount</th><th>genuine amount</th></tr></thead><tbody>");
        for (Summary.Transition t : c.transitions()) {
            if (t.payments() == 0) {
                continue;
            }
            boolean same = t.before().equals(t.after());
            b.append("<tr")
                    .append(same ? " class=\"same\"" : "")
                    .append("><th>")
                    .append(esc(t.before()))
                    .append(" → ")
                    .append(esc(t.after()))
                    .append("</th><td>")
                    .append(count(t.payments()))
                    .append("</td><td>")
                    .append(count(t.frauds()))
                    .append("</td><td>")
                    .append(money(t.fraudAmount()))
                    .append("</td><td>")
                    .append(money(t.genuineAmount()))
                    .append("</td></tr>");
        }
        b.append("</tbody></table>");
        b.append("<h3>The ")
                .append(c.top().size())
                .append(" largest changes</h3><p class=\"note\">")
                .append(esc(c.ranking()))
                .append(".</p>");
        b.append(
                "<table class=\"changes\"><thead><tr><th>payment</th><th>day</th><th>amount</th><th>label</th><th>effect</th><th>before</th>"
                        + "<th>after</th><th>why (candidate)</th><th>why (baseline)</th></tr></thead><tbody>");
        for (Summary.Change ch : c.top()) {
            String cls = ch.effect().equals("fraud newly caught") || ch.effect().equals("genuine released")
                    ? "gain"
                    : "loss";
            b.append("<tr><td><code>")
                    .append(esc(ch.paymentId()))
                    .append("</code></td><td>")
                    .append(esc(ch.day()))
                    .append("</td><td>")
                    .append(money(ch.amount()))
                    .append(' ')
                    .append(esc(ch.currency()))
                    .append("</td><td>")
                    .append(ch.fraud() ? "fraud" : "genuine")
                    .append("</td><td class=\"")
                    .append(cls)
                    .append("\">")
                    .append(esc(ch.effect()))
                    .append("</td><td>")
                    .append(esc(ch.before()))
                    .append(" (")
                    .append(ch.scoreBefore())
                    .append(")</td><td>")
                    .append(esc(ch.after()))
                    .append(" (")
                    .append(ch.scoreAfter())
                    .append(")</td><td>")
                    .append(reasons(ch.reasonsAfter()))
                    .append("</td><td>")
                    .append(reasons(ch.reasonsBefore()))
                    .append("</td></tr>");
        }
        if (c.top().isEmpty()) {
            b.append("<tr><td colspan=\"9\">no payment changes outcome</td></tr>");
        }
        b.append("</tbody></table>\n");
    }

    private static String reasons(List<String> rs) {
        if (rs.isEmpty()) {
            return "<span class=\"none\">no rule fired</span>";
        }
        StringBuilder sb = new StringBuilder("<ul class=\"reasons\">");
        for (String r : rs) {
            sb.append("<li>").append(esc(r)).append("</li>");
        }
        return sb.append("</ul>").toString();
    }

    private static void thresholds(StringBuilder b, Summary s, ReportOptions o) {
        b.append("<h2 id=\"thresholds\">Thresholds</h2><p class=\"note\">Which score thresholds would flag at most ")
                .append(esc(percent(o.reviewRate())))
                .append(" of payments (a review budget), and which is the lowest to reach a precision of ")
                .append(esc(percent(o.targetPrecision())))
                .append(" (a candidate deny threshold). Set them in <code>ruleset.yaml</code>.</p>");
        b.append(
                "<table class=\"figures\"><thead><tr><th>rule set</th><th>target</th><th>threshold</th><th>payments flagged</th><th>share</th>"
                        + "<th>precision</th><th>recall</th></tr></thead><tbody>");
        for (Summary.SetFigures f : s.sets()) {
            threshold(
                    b,
                    f.name(),
                    "review rate ≤ " + percent(o.reviewRate()),
                    f.thresholds().reviewRate());
            threshold(
                    b,
                    f.name(),
                    "precision ≥ " + percent(o.targetPrecision()),
                    f.thresholds().precision());
        }
        b.append("</tbody></table>\n");
    }

    private static void threshold(StringBuilder b, String set, String target, Summary.Threshold t) {
        b.append("<tr><td>")
                .append(esc(set))
                .append("</td><td>")
                .append(esc(target))
                .append("</td>");
        if (t.threshold() == null) {
            b.append("<td colspan=\"5\">no score above 0 achieves it</td></tr>");
            return;
        }
        b.append("<td>score ≥ ")
                .append(num(t.threshold()))
                .append("</td><td>")
                .append(count(t.flagged()))
                .append("</td><td>")
                .append(percent(t.rate()))
                .append("</td><td>")
                .append(percent(t.precision()))
                .append("</td><td>")
                .append(percent(t.recall()))
                .append("</td></tr>");
    }

    private static final String CSS = """
            body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;background:#fff;margin:0}
            main{max-width:1320px;margin:0 auto;padding:20px 28px 60px}
            h1{font-size:26px;margin:8px 0 4px}h2{font-size:20px;margin:32px 0 10px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
            h3{font-size:16px;margin:20px 0 6px}.sub,.note{color:#59636e;font-size:13px;margin:4px 0 10px}
            .set{color:#1f6feb}code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f6f8fa;padding:1px 4px;border-radius:4px}
            .headline{display:flex;gap:14px;flex-wrap:wrap;margin:16px 0}
            .card{border:1px solid #d0d7de;border-radius:8px;padding:10px 16px;min-width:200px;flex:1}
            .card .label{color:#59636e;font-size:13px}.card .value{font-size:26px;font-weight:600}.card .note{margin:0}
            table{border-collapse:collapse;font-size:13.5px;margin:6px 0 8px}th,td{border-bottom:1px solid #eaeef2;padding:5px 10px;text-align:right;vertical-align:top}
            thead th{background:#f6f8fa;border-bottom:1px solid #d0d7de}tbody th,td:first-child{text-align:left}
            .role{font-weight:400;color:#59636e;font-size:12px}.kind.shadow{color:#8250df}.kind.list{color:#59636e}
            .gain{color:#1a7f37;font-weight:600}.loss{color:#cf222e;font-weight:600}tr.same{color:#8c959f}
            .changes td{text-align:left}.reasons{margin:0;padding-left:16px;max-width:420px}.none{color:#8c959f}
            .charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:18px}
            figure{margin:0;border:1px solid #d0d7de;border-radius:8px;padding:8px}figcaption{font-size:13px;color:#59636e;padding:2px 6px}
            svg.chart{width:100%;height:auto;display:block}
            svg .grid{stroke:#eaeef2}svg .tick{font-size:11px;fill:#59636e}svg .axis{font-size:12px;fill:#1f2328}svg .legend{font-size:12px;fill:#1f2328}
            dl.defs dt{font-weight:600;margin-top:8px}dl.defs dd{margin:0 0 0 16px;color:#343b43;font-size:13.5px}
            details{margin:16px 0}summary{cursor:pointer;font-weight:600}
            """;

    /**
     * Marks each chart drawn (data-drawn) once the browser has laid out its marks with a size, and
     * the page with the number drawn: what the browser test reads from the rendered DOM.
     */
    private static final String SCRIPT = """
            (function(){var charts=document.querySelectorAll('svg.chart'),drawn=0;
            charts.forEach(function(c){var ok=false;c.querySelectorAll('.mark').forEach(function(m){var b=m.getBBox();if(b.width>0||b.height>0){ok=true;}});
            c.setAttribute('data-drawn',ok?'true':'false');if(ok){drawn++;}});
            document.body.setAttribute('data-charts',charts.length+'/'+drawn);})();
            """;
}
