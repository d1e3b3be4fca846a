package io.veto.backtest.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;
import java.util.function.IntToDoubleFunction;

/**
 * The report's charts as inline SVG, drawn here so the report needs no script or library to show
 * them. Every chart is an {@code <svg class="chart">} whose data marks have the class {@code mark}:
 * what the browser test checks were drawn.
 */
final class Svg {
    static final int W = 640;
    static final int H = 280;
    static final int LEFT = 64;
    static final int RIGHT = 16;
    static final int TOP = 44;
    static final int BOTTOM = 44;

    /** One line or bar series: its name in the legend, its colour, its values (null: no value there). */
    record Series(String name, String color, Double[] values) {}

    /** An (x, y) step curve. */
    record Curve(String name, String color, boolean dashed, double[] x, double[] y) {}

    private Svg() {}

    private static StringBuilder open(String id, String title) {
        StringBuilder sb = new StringBuilder();
        sb.append("<svg class=\"chart\" id=\"")
                .append(Html.esc(id))
                .append("\" viewBox=\"0 0 ")
                .append(W)
                .append(' ')
                .append(H)
                .append("\" role=\"img\" aria-label=\"")
                .append(Html.esc(title))
                .append("\" xmlns=\"http://www.w3.org/2000/svg\">")
                .append("<title>")
                .append(Html.esc(title))
                .append("</title>");
        return sb;
    }

    private static double px(double v, double min, double max) {
        return LEFT + (max == min ? 0 : (v - min) / (max - min)) * (W - LEFT - RIGHT);
    }

    private static double py(double v, double min, double max) {
        return H - BOTTOM - (max == min ? 0 : (v - min) / (max - min)) * (H - TOP - BOTTOM);
    }

    static String f(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static void legend(StringBuilder sb, List<String> names, List<String> colors) {
        double x = LEFT;
        int y = 4;
        for (int i = 0; i < names.size(); i++) {
            double w = 26 + 7.0 * names.get(i).length();
            // A second row rather than entries past the right edge.
            if (x + w > W && x > LEFT) {
                x = LEFT;
                y += 17;
            }
            sb.append("<rect x=\"")
                    .append(f(x))
                    .append("\" y=\"")
                    .append(y)
                    .append("\" width=\"12\" height=\"12\" fill=\"")
                    .append(colors.get(i))
                    .append("\"/>");
            sb.append("<text x=\"")
                    .append(f(x + 16))
                    .append("\" y=\"")
                    .append(y + 10)
                    .append("\" class=\"legend\">")
                    .append(Html.esc(names.get(i)))
                    .append("</text>");
            x += w;
        }
    }

    private static void yAxis(
            StringBuilder sb, double min, double max, int ticks, DoubleFunction<String> label, String title) {
        for (int i = 0; i <= ticks; i++) {
            double v = min + (max - min) * i / ticks;
            double y = py(v, min, max);
            sb.append("<line class=\"grid\" x1=\"")
                    .append(LEFT)
                    .append("\" x2=\"")
                    .append(W - RIGHT)
                    .append("\" y1=\"")
                    .append(f(y))
                    .append("\" y2=\"")
                    .append(f(y))
                    .append("\"/>");
            sb.append("<text class=\"tick\" x=\"")
                    .append(LEFT - 6)
                    .append("\" y=\"")
                    .append(f(y + 4))
                    .append("\" text-anchor=\"end\">")
                    .append(Html.esc(label.apply(v)))
                    .append("</text>");
        }
        sb.append("<text class=\"axis\" transform=\"translate(14,")
                .append(f((TOP + H - BOTTOM) / 2.0))
                .append(") rotate(-90)\" text-anchor=\"middle\">")
                .append(Html.esc(title))
                .append("</text>");
    }

    private static void xTitle(StringBuilder sb, String title) {
        sb.append("<text class=\"axis\" x=\"")
                .append(f((LEFT + W - RIGHT) / 2.0))
                .append("\" y=\"")
                .append(H - 6)
                .append("\" text-anchor=\"middle\">")
                .append(Html.esc(title))
                .append("</text>");
    }

    /** Category labels under the x axis, thinned to about 10 so they stay readable. */
    private static void xLabels(StringBuilder sb, List<String> labels, IntToDoubleFunction centre) {
        int step = Math.max(1, (int) Math.ceil(labels.size() / 10.0));
        for (int i = 0; i < labels.size(); i += step) {
            sb.append("<text class=\"tick\" x=\"")
                    .append(f(centre.applyAsDouble(i)))
                    .append("\" y=\"")
                    .append(H - BOTTOM + 16)
                    .append("\" text-anchor=\"middle\">")
                    .append(Html.esc(labels.get(i)))
                    .append("</text>");
        }
    }

    /**
     * The top of an axis with four gridlines at round values: four times the smallest round step
     * (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten; whole numbers from 1 up) that reaches max.
     */
    static double niceMax(double max) {
        if (max <= 0) {
            return 1;
        }
        double quarter = max / 4;
        double mag = Math.pow(10, Math.floor(Math.log10(quarter)));
        for (double m : new double[] {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) {
            double step = m * mag;
            if (step >= quarter && (step >= 10 || step == Math.rint(step) || mag < 1)) {
                return 4 * step;
            }
        }
        return 40 * mag;
    }

    /** Grouped bars per category: for each category one bar per group, each bar stacked from its series. */
    static String stackedBars(
            String id,
            String title,
            List<String> categories,
            List<String> groups,
            List<List<Series>> stacks,
            String yTitle) {
        StringBuilder sb = open(id, title);
        double max = 0;
        for (int c = 0; c < categories.size(); c++) {
            for (List<Series> stack : stacks) {
                double sum = 0;
                for (Series s : stack) {
                    sum += s.values()[c] == null ? 0 : s.values()[c];
                }
                max = Math.max(max, sum);
            }
        }
        // At least 4, so the four gridlines of a count axis fall on whole numbers.
        max = Math.max(4, niceMax(max));
        yAxis(sb, 0, max, 4, Html::count, yTitle);
        double band = (W - LEFT - RIGHT) / (double) Math.max(1, categories.size());
        double barW = Math.max(1, band * 0.8 / groups.size());
        List<String> names = new ArrayList<>();
        List<String> colors = new ArrayList<>();
        for (int g = 0; g < stacks.size(); g++) {
            for (Series s : stacks.get(g)) {
                names.add(s.name());
                colors.add(s.color());
            }
        }
        legend(sb, names, colors);
        for (int c = 0; c < categories.size(); c++) {
            for (int g = 0; g < stacks.size(); g++) {
                double x = LEFT + c * band + band * 0.1 + g * barW;
                double base = 0;
                for (Series s : stacks.get(g)) {
                    double v = s.values()[c] == null ? 0 : s.values()[c];
                    if (v <= 0) {
                        continue;
                    }
                    double y0 = py(base, 0, max);
                    double y1 = py(base + v, 0, max);
                    sb.append("<rect class=\"mark\" x=\"")
                            .append(f(x))
                            .append("\" y=\"")
                            .append(f(y1))
                            .append("\" width=\"")
                            .append(f(barW))
                            .append("\" height=\"")
                            .append(f(Math.max(0.5, y0 - y1)))
                            .append("\" fill=\"")
                            .append(s.color())
                            .append("\">")
                            .append("<title>")
                            .append(Html.esc(s.name() + ", " + categories.get(c) + ": " + Html.count(v)))
                            .append("</title></rect>");
                    base += v;
                }
            }
        }
        xLabels(sb, categories, i -> LEFT + i * band + band / 2);
        return sb.append("</svg>").toString();
    }

    /** Lines over categories (days); a null value breaks the line. */
    static String lines(
            String id,
            String title,
            List<String> categories,
            List<Series> series,
            double yMin,
            Double yMax,
            DoubleFunction<String> yLabel,
            String yTitle) {
        StringBuilder sb = open(id, title);
        double max = 0;
        for (Series s : series) {
            for (Double v : s.values()) {
                if (v != null) {
                    max = Math.max(max, v);
                }
            }
        }
        max = yMax != null ? yMax : Math.max(4, niceMax(max));
        yAxis(sb, yMin, max, 4, yLabel, yTitle);
        legend(
                sb,
                series.stream().map(Series::name).toList(),
                series.stream().map(Series::color).toList());
        int n = categories.size();
        IntToDoubleFunction cx = i -> n == 1 ? (LEFT + W - RIGHT) / 2.0 : px(i, 0, n - 1);
        // The first series (the candidate) is drawn last, on top.
        List<Series> order = new ArrayList<>(series);
        Collections.reverse(order);
        for (Series s : order) {
            StringBuilder path = new StringBuilder();
            boolean pen = false;
            for (int i = 0; i < n; i++) {
                Double v = s.values()[i];
                if (v == null) {
                    pen = false;
                    continue;
                }
                path.append(pen ? " L" : " M")
                        .append(f(cx.applyAsDouble(i)))
                        .append(',')
                        .append(f(py(v, yMin, max)));
                pen = true;
                sb.append("<circle class=\"mark\" r=\"2.5\" cx=\"")
                        .append(f(cx.applyAsDouble(i)))
                        .append("\" cy=\"")
                        .append(f(py(v, yMin, max)))
                        .append("\" fill=\"")
                        .append(s.color())
                        .append("\"><title>")
                        .append(Html.esc(s.name() + ", " + categories.get(i) + ": " + yLabel.apply(v)))
                        .append("</title></circle>");
            }
            if (path.length() > 0) {
                sb.append("<path class=\"mark line\" fill=\"none\" stroke-width=\"2\" stroke=\"")
                        .append(s.color())
                        .append("\" d=\"")
                        .append(path.toString().trim())
                        .append("\"/>");
            }
        }
        xLabels(sb, categories, cx);
        return sb.append("</svg>").toString();
    }

    /** Precision (y) against recall (x), each curve a step from one threshold to the next. */
    static String precisionRecall(String id, String title, List<Curve> curves) {
        StringBuilder sb = open(id, title);
        yAxis(sb, 0, 1, 4, Html::percent0, "precision");
        for (int i = 0; i <= 4; i++) {
            double v = i / 4.0;
            sb.append("<text class=\"tick\" x=\"")
                    .append(f(px(v, 0, 1)))
                    .append("\" y=\"")
                    .append(H - BOTTOM + 16)
                    .append("\" text-anchor=\"middle\">")
                    .append(Html.percent0(v))
                    .append("</text>");
        }
        xTitle(sb, "recall (share of frauds flagged)");
        legend(
                sb,
                curves.stream().map(Curve::name).toList(),
                curves.stream().map(Curve::color).toList());
        // The first curve (the candidate) is drawn last, on top.
        List<Curve> order = new ArrayList<>(curves);
        Collections.reverse(order);
        for (Curve c : order) {
            if (c.x().length == 0) {
                continue;
            }
            StringBuilder path =
                    new StringBuilder("M").append(f(px(0, 0, 1))).append(',').append(f(py(c.y()[0], 0, 1)));
            for (int i = 0; i < c.x().length; i++) {
                // Recall grows, and precision steps at each threshold: the curve sklearn's AP sums.
                path.append(" L")
                        .append(f(px(c.x()[i], 0, 1)))
                        .append(',')
                        .append(f(py(i == 0 ? c.y()[0] : c.y()[i - 1], 0, 1)));
                path.append(" L").append(f(px(c.x()[i], 0, 1))).append(',').append(f(py(c.y()[i], 0, 1)));
            }
            sb.append("<path class=\"mark line\" fill=\"none\" stroke-width=\"")
                    .append(c.dashed() ? "2\" stroke-dasharray=\"6 4" : "2.5")
                    .append("\" stroke=\"")
                    .append(c.color())
                    .append("\" d=\"")
                    .append(path)
                    .append("\"><title>")
                    .append(Html.esc(c.name()))
                    .append("</title></path>");
        }
        return sb.append("</svg>").toString();
    }

    /**
     * Side-by-side bars per score bin of the share of each class in the bin, on a log scale from
     * 0.01% to 100% so the few frauds at high scores show next to the genuine mass at 0.
     */
    static String histogram(String id, String title, List<Summary.Bin> bins, String fraudColor, String genuineColor) {
        StringBuilder sb = open(id, title);
        double lo = -4;
        double hi = 0;
        yAxis(sb, lo, hi, 4, v -> Html.percentShort(Math.pow(10, v)), "share of the class (log scale)");
        legend(sb, List.of("frauds", "genuine payments"), List.of(fraudColor, genuineColor));
        int n = bins.size();
        double band = (W - LEFT - RIGHT) / (double) Math.max(1, n);
        for (int b = 0; b < n; b++) {
            Summary.Bin bin = bins.get(b);
            double[] shares = {bin.fraudShare(), bin.genuineShare()};
            long[] counts = {bin.frauds(), bin.genuine()};
            String[] colors = {fraudColor, genuineColor};
            String[] names = {"frauds", "genuine"};
            for (int k = 0; k < 2; k++) {
                if (shares[k] <= 0) {
                    continue;
                }
                double v = Math.max(lo, Math.log10(shares[k]));
                double x = LEFT + b * band + band * 0.1 + k * band * 0.4;
                double y = py(v, lo, hi);
                sb.append("<rect class=\"mark\" x=\"")
                        .append(f(x))
                        .append("\" y=\"")
                        .append(f(y))
                        .append("\" width=\"")
                        .append(f(band * 0.4))
                        .append("\" height=\"")
                        .append(f(Math.max(0.5, H - BOTTOM - y)))
                        .append("\" fill=\"")
                        .append(colors[k])
                        .append("\"><title>")
                        .append(Html.esc(names[k] + " scoring " + Html.num(bin.from()) + " to " + Html.num(bin.to())
                                + ": " + Html.count(counts[k]) + " (" + Html.percent(shares[k]) + ")"))
                        .append("</title></rect>");
            }
        }
        xLabels(sb, bins.stream().map(bin -> Html.num(bin.from())).toList(), i -> LEFT + i * band + band * 0.1);
        xTitle(sb, "score (bins start at)");
        return sb.append("</svg>").toString();
    }
}
