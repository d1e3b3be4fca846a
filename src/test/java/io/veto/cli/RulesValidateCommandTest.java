package io.veto.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RulesValidateCommandTest {
    /** Below the working directory, so the command names its files by relative path. */
    private Path work;

    @BeforeEach
    void createWorkDir() throws IOException {
        Files.createDirectories(Path.of("target"));
        work = Files.createTempDirectory(Path.of("target"), "rules-validate-");
    }

    @AfterEach
    void deleteWorkDir() throws IOException {
        try (Stream<Path> walk = Files.walk(work)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private Path ruleSet(String name, String rules) throws IOException {
        Path dir = Files.createDirectories(work.resolve(name));
        Files.writeString(dir.resolve("ruleset.yaml"), "name: " + name + "\nthresholds:\n  review: 40\n  deny: 80\n");
        Files.writeString(dir.resolve("rules.yaml"), rules);
        return dir;
    }

    @Test
    void shouldAcceptEveryShippedRuleSetUnderRules() {
        Cli.Run r = Cli.run("rules", "validate", "rules/");
        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.out())
                .matches(
                        "OK rules/default: default@[0-9a-f]{12}, \\d+ rules \\(\\d+ shadow\\), 3 lists \\(\\d+ values\\), \\d+ examples\\n");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void shouldValidateTheDefaultRuleSetWhenGivenNoDirectory() {
        Cli.Run r = Cli.run("rules", "validate");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("OK rules/default: default@");
    }

    @Test
    void shouldPrintEveryProblemAsFileLineColumnRelativeToTheWorkingDirectoryAndFail() throws IOException {
        Path dir = ruleSet("broken", """
                rules:
                  - id: r1
                    when: amont > 10
                    points: 10
                  - id: r1
                    when: >-
                      amount > 1
                        && card.cnt_10m > 1
                    points: 5
                """);
        Files.createDirectories(dir.resolve("lists"));
        Files.writeString(
                dir.resolve("lists/bins.yaml"), "id: bins\nkind: block\nentity: bin\nvalues: [400000-40009]\n");
        Cli.Run r = Cli.run("rules", "validate", dir.toString());
        String rel =
                Path.of("").toAbsolutePath().relativize(dir.toAbsolutePath()).toString();
        assertThat(r.exit()).isEqualTo(VetoCli.PROBLEM);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines())
                .containsExactly(
                        rel
                                + "/lists/bins.yaml:4:10: BIN range '400000-40009' must have the same number of digits on both ends (6 and 5)",
                        rel
                                + "/rules.yaml:3:11: undeclared reference to 'amont' (payment fields: amount, currency, country, mcc,"
                                + " channel, card_present, merchant_id, customer_id, terminal_id, device_id, ip_address, card_bin, card_last4, event_hour;"
                                + " features: <entity>.<feature> with entity one of card, customer, merchant, terminal, device, ip, bin)",
                        rel + "/rules.yaml:5:9: duplicate rule id 'r1' (first defined at rules.yaml:2)",
                        rel
                                + "/rules.yaml:8:16: unknown aggregate 'cnt' in 'card.cnt_10m'; known: count, sum, avg, max, min, stddev, distinct, chargeback_count, chargeback_rate, refund_count, refund_rate, amount_ratio, since_last",
                        rel + ": 4 problems");
    }

    @Test
    void shouldValidateEachDirectoryAndFailWhenAnyHasAProblem() throws IOException {
        Path good = ruleSet("good", "rules:\n  - id: r1\n    when: amount > 10\n    points: 10\n");
        Path bad = ruleSet("bad", "rules:\n  - id: r1\n    when: 'T(java.lang.Runtime).exec(\"x\")'\n    points: 10\n");
        Cli.Run r = Cli.run("rules", "validate", good.toString(), bad.toString());
        assertThat(r.exit()).isEqualTo(VetoCli.PROBLEM);
        assertThat(r.out())
                .startsWith("OK " + Path.of("").toAbsolutePath().relativize(good.toAbsolutePath()) + ": good@");
        assertThat(r.err()).contains("/bad/rules.yaml:3:").contains("undeclared reference");
    }

    @Test
    void shouldNameFilesByAbsolutePathOutsideTheWorkingDirectory(@TempDir Path elsewhere) throws IOException {
        Files.writeString(elsewhere.resolve("ruleset.yaml"), "name: x\nthresholds:\n  review: 40\n");
        Cli.Run r = Cli.run("rules", "validate", elsewhere.toString());
        assertThat(r.exit()).isEqualTo(VetoCli.PROBLEM);
        assertThat(r.err())
                .startsWith(elsewhere.toAbsolutePath() + "/ruleset.yaml:3:3: thresholds need both 'review' and 'deny'");
    }

    @Test
    void shouldFailOnADirectoryThatIsNoRuleSet() throws IOException {
        Cli.Run r = Cli.run(
                "rules", "validate", work.toString(), work.resolve("missing").toString());
        assertThat(r.exit()).isEqualTo(VetoCli.PROBLEM);
        String rel =
                Path.of("").toAbsolutePath().relativize(work.toAbsolutePath()).toString();
        assertThat(r.err().lines())
                .containsExactly(
                        rel + ": not a rule set (no ruleset.yaml) and holds none", rel + "/missing: no such directory");
    }
}
