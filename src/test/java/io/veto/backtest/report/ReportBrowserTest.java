package io.veto.backtest.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens a report of a generated backtest in headless Chromium (Debian's {@code chromium}, which
 * {@code .ci/run} installs): every chart is laid out with marks of a size, and the page logs nothing
 * to the console (no error, no blocked fetch, as a page that opens offline must). Skipped, saying
 * why, where Chromium is not installed. {@code VETO_CHROMIUM} names another binary.
 */
class ReportBrowserTest {
    private static final Pattern CONSOLE = Pattern.compile(".*:CONSOLE[:(].*");

    private static Path chromium;

    @TempDir
    static Path dir;

    @BeforeAll
    static void findChromium() {
        String env = System.getenv("VETO_CHROMIUM");
        Path p = Path.of(env != null ? env : "/usr/bin/chromium");
        Assumptions.assumeTrue(
                Files.isExecutable(p),
                "skipped: no Chromium at " + p
                        + " (install Debian's package: apt-get install chromium, or set VETO_CHROMIUM)");
        chromium = p;
    }

    /** The DOM after load (the report's check script has run) and Chromium's log, with console messages. */
    record Page(String dom, String log) {
        List<String> console() {
            return log.lines().filter(l -> CONSOLE.matcher(l).matches()).toList();
        }
    }

    static Page open(Path html, Path profile, String... extra) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                chromium.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + profile,
                "--enable-logging=stderr",
                "--v=0"));
        cmd.addAll(List.of(extra));
        cmd.add(html.toUri().toString());
        Path out = profile.resolveSibling(profile.getFileName() + ".out");
        Path err = profile.resolveSibling(profile.getFileName() + ".err");
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("Chromium did not finish in 90 s: " + Files.readString(err));
        }
        assertThat(p.exitValue())
                .as("Chromium's exit code; its log:\n" + Files.readString(err))
                .isZero();
        return new Page(Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void shouldDrawEveryChartWithoutConsoleErrors() throws Exception {
        Path out = dir.resolve("backtest");
        Files.createDirectories(out);
        GeneratedBacktest.write(
                out, 4_000, 3, Path.of("rules/default"), GeneratedBacktest.withReview(Path.of("rules/default"), 60));
        BacktestReport.write(out, new ReportOptions("default", "review-60", 0.005));

        Page page = open(
                out.resolve(BacktestReport.HTML), dir.resolve("profile"), "--dump-dom", "--virtual-time-budget=5000");

        assertThat(page.console()).as("console messages").isEmpty();
        Matcher m = Pattern.compile("<body data-charts=\"(\\d+)/(\\d+)\"").matcher(page.dom());
        assertThat(m.find()).as("the report's check ran and marked the body").isTrue();
        int charts = Integer.parseInt(m.group(1));
        // Two score distributions, precision-recall, decisions per day, review workload, card precision@100.
        assertThat(charts).isEqualTo(6);
        assertThat(Integer.parseInt(m.group(2))).as("charts drawn").isEqualTo(charts);
        assertThat(page.dom()).doesNotContain("data-drawn=\"false\"");

        Page shot = open(
                out.resolve(BacktestReport.HTML),
                dir.resolve("shot-profile"),
                "--hide-scrollbars",
                "--window-size=1400,2000",
                "--screenshot=" + dir.resolve("report.png"));
        assertThat(shot.console()).isEmpty();
        assertThat(Files.size(dir.resolve("report.png"))).isGreaterThan(20_000);
    }

    @Test
    void shouldSeeAConsoleErrorWhenAPageHasOne() throws Exception {
        // The check above can fail: a page with a script error is caught.
        Path bad = dir.resolve("bad.html");
        Files.writeString(bad, "<!DOCTYPE html><html><body><script>notAFunction();</script></body></html>");
        assertThat(open(bad, dir.resolve("bad-profile"), "--dump-dom").console())
                .singleElement()
                .asString()
                .contains("Uncaught ReferenceError");
    }
}
