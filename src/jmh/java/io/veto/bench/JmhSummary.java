package io.veto.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Prints a compact table of a JMH JSON result ({@code -rf json}): benchmark, mode, score ± error
 * (JMH's 99.9% confidence half-width), the median of the measured iterations, units, and the
 * allocation per operation when the run used {@code -prof gc}; then, for every benchmark, its
 * ratio to each baseline of the same class and parameters measured in the same run. A baseline is
 * a benchmark method whose name starts with {@code baseline}.
 *
 * <pre>java -cp target/benchmarks.jar io.veto.bench.JmhSummary [target/jmh-result.json]</pre>
 */
public final class JmhSummary {
    private JmhSummary() {}

    record Row(
            String clazz,
            String method,
            String params,
            String mode,
            double score,
            double error,
            double median,
            String unit,
            double allocBytes) {
        String name() {
            return clazz + "." + method + params;
        }

        boolean baseline() {
            return method.startsWith("baseline");
        }
    }

    public static void main(String[] args) throws IOException {
        Path file = Path.of(args.length > 0 ? args[0] : "target/jmh-result.json");
        if (!Files.isRegularFile(file)) {
            System.err.println("no JMH result at " + file + " (run the benchmarks with -rf json -rff " + file + ")");
            System.exit(2);
        }
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        List<Row> rows = new ArrayList<>();
        for (JsonNode b : root) {
            String full = b.path("benchmark").asText();
            int dot = full.lastIndexOf('.');
            String clazz = full.substring(full.lastIndexOf('.', dot - 1) + 1, dot);
            String method = full.substring(dot + 1);
            Map<String, String> params = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = b.path("params").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> p = it.next();
                params.put(p.getKey(), p.getValue().asText());
            }
            String ps = params.isEmpty()
                    ? ""
                    : params.toString().replace('{', '[').replace('}', ']').replace(", ", ",");
            JsonNode pm = b.path("primaryMetric");
            double alloc = Double.NaN;
            for (Iterator<Map.Entry<String, JsonNode>> it =
                            b.path("secondaryMetrics").fields();
                    it.hasNext(); ) {
                Map.Entry<String, JsonNode> m = it.next();
                if (m.getKey().endsWith("gc.alloc.rate.norm")) {
                    alloc = m.getValue().path("score").asDouble(Double.NaN);
                }
            }
            rows.add(new Row(
                    clazz,
                    method,
                    ps,
                    b.path("mode").asText(),
                    pm.path("score").asDouble(Double.NaN),
                    pm.path("scoreError").asDouble(Double.NaN),
                    pm.path("scorePercentiles").path("50.0").asDouble(Double.NaN),
                    pm.path("scoreUnit").asText(),
                    alloc));
        }
        if (rows.isEmpty()) {
            System.out.println("(no benchmark results in " + file + ")");
            return;
        }

        int w = Math.max(
                "Benchmark".length(),
                rows.stream().mapToInt(r -> r.name().length()).max().orElse(0));
        boolean anyAlloc = rows.stream().anyMatch(r -> !Double.isNaN(r.allocBytes()));
        String head = String.format(
                Locale.ROOT,
                "%-" + w + "s  %-5s %12s   %-10s %10s  %-6s%s",
                "Benchmark",
                "Mode",
                "Score",
                "± Error",
                "Median",
                "Units",
                anyAlloc ? "  alloc B/op" : "");
        System.out.println(head);
        System.out.println("-".repeat(head.length()));
        for (Row r : rows) {
            System.out.println(String.format(
                    Locale.ROOT,
                    "%-" + w + "s  %-5s %12s   %-10s %10s  %-6s%s",
                    r.name(),
                    r.mode(),
                    num(r.score()),
                    "± " + num(r.error()),
                    num(r.median()),
                    r.unit(),
                    anyAlloc
                            ? String.format(
                                    Locale.ROOT,
                                    "  %11s",
                                    Double.isNaN(r.allocBytes())
                                            ? "-"
                                            : String.format(Locale.ROOT, "%.0f", r.allocBytes()))
                            : ""));
        }

        List<String> ratios = new ArrayList<>();
        for (Row base : rows) {
            if (!base.baseline()) {
                continue;
            }
            for (Row r : rows) {
                if (r.baseline()
                        || !r.clazz().equals(base.clazz())
                        || !(base.params().isEmpty() || base.params().equals(r.params()))
                        || !r.unit().equals(base.unit())) {
                    continue;
                }
                double ratio = r.score() / base.score();
                // Relative confidence half-widths combined in quadrature: an approximate error of the ratio.
                double rel = Math.sqrt(sq(r.error() / r.score()) + sq(base.error() / base.score()));
                ratios.add(String.format(
                        Locale.ROOT,
                        "  %-" + w + "s  %8.2fx ± %.2f   vs %s",
                        r.name(),
                        ratio,
                        Double.isNaN(rel) ? 0 : ratio * rel,
                        base.method() + base.params()));
            }
        }
        if (!ratios.isEmpty()) {
            System.out.println();
            System.out.println("Ratios to the baselines of the same class, same run (score / baseline score):");
            ratios.forEach(System.out::println);
        }
    }

    private static double sq(double x) {
        return x * x;
    }

    /** Three significant digits at least, no exponent for the usual µs/op range. */
    private static String num(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        double a = Math.abs(v);
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.3f", v);
        }
        if (a >= 0.001 || a == 0) {
            return String.format(Locale.ROOT, "%.4f", v);
        }
        return String.format(Locale.ROOT, "%.2e", v);
    }
}
