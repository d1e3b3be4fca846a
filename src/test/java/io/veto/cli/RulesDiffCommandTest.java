package io.veto.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RulesDiffCommandTest {

    private static Path ruleSet(Path dir, int review, String rules, String list) throws IOException {
        Files.createDirectories(dir.resolve("lists"));
        Files.writeString(dir.resolve("ruleset.yaml"), "name: t\nthresholds:\n  review: " + review + "\n  deny: 80\n");
        Files.writeString(dir.resolve("rules.yaml"), rules);
        Files.writeString(dir.resolve("lists/bins.yaml"), list);
        return dir;
    }

    @Test
    void shouldListChangedThresholdsRulesListValuesAndExamples(@TempDir Path tmp) throws IOException {
        Path a = ruleSet(
                tmp.resolve("a"), 40, """
                rules:
                  - id: velocity
                    when: card.count_10m > 5
                    points: 50
                  - id: large
                    when: amount >= 2500
                    points: 25
                examples:
                  - name: burst
                    payments: [{repeat: 6}]
                    expect: {decision: REVIEW}
                """, "id: bins\nkind: block\nentity: bin\nvalues: [400000-400099, \"5356\"]\n");
        Path b = ruleSet(
                tmp.resolve("b"),
                45,
                """
                rules:
                  - id: velocity
                    when: >-
                      card.count_10m >
                        6
                    points: 60
                    mode: shadow
                  - id: night
                    when: event_hour < 5
                    outcome: REVIEW
                examples:
                  - name: burst
                    payments: [{repeat: 6}]
                    expect: {decision: APPROVE}
                """,
                "id: bins\nkind: block\nentity: bin\nvalues:\n  - 400000-400099\n  - value: \"4111\"\n    note: FR-9\n");
        Cli.Run r = Cli.run("rules", "diff", a.toString(), b.toString());
        assertThat(r.exit()).as(r.all()).isEqualTo(DiffCommand.DIFFERENT);
        assertThat(r.out().lines().skip(2))
                .containsExactly(
                        "thresholds: review 40 -> 45",
                        "- rule large (rules.yaml:5)",
                        "+ rule night (rules.yaml:8): outcome REVIEW when event_hour < 5",
                        "~ rule velocity:",
                        "    condition: card.count_10m > 5 -> card.count_10m > 6",
                        "    points: 50 -> 60",
                        "    mode: active -> shadow",
                        "~ list bins:",
                        "    values added: 4111",
                        "    values removed: 5356",
                        "~ example \"burst\": expect: REVIEW -> APPROVE");
        assertThat(r.out().lines().limit(2))
                .satisfiesExactly(
                        l -> assertThat(l).matches("--- .*/a  t@[0-9a-f]{12}"),
                        l -> assertThat(l).matches("\\+\\+\\+ .*/b  t@[0-9a-f]{12}"));
    }

    @Test
    void shouldCompareTheDefaultSetWithSequenceRulesAndAPointsExpression(@TempDir Path tmp) {
        // Sequence rules may have no 'when'; points may be an expression: both must diff, not fail.
        Path next = tmp.resolve("next");
        Cli.copy(Path.of("rules/default"), next);
        Cli.edit(next.resolve("velocity.yaml"), "points: min(75.0, 10.0 * card.count_10m - 10.0)", "points: 55");
        Cli.Run r = Cli.run("rules", "diff", "rules/default", next.toString());
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isEqualTo(VetoCli.PROBLEM);
        assertThat(r.out())
                .contains("~ rule card-velocity-10m:\n    points: min(75.0, 10.0 * card.count_10m - 10.0) -> 55\n");
    }

    @Test
    void shouldSayWhenOnlyCommentsOrFormattingChanged(@TempDir Path tmp) throws IOException {
        String list = "id: bins\nkind: block\nentity: bin\nvalues: []\n";
        Path a = ruleSet(tmp.resolve("a"), 40, "rules:\n  - id: r\n    when: amount > 1\n    points: 1\n", list);
        Path b = ruleSet(
                tmp.resolve("b"),
                40,
                "# why r exists\nrules:\n  - id: r\n    when: amount   >   1\n    points: 1\n",
                list);
        Cli.Run r = Cli.run("rules", "diff", a.toString(), b.toString());
        assertThat(r.exit()).isEqualTo(DiffCommand.DIFFERENT);
        assertThat(r.out())
                .endsWith("no change to thresholds, rules, lists or examples (comments or formatting only)\n");
    }

    @Test
    void shouldReportNoDifferenceBetweenASetAndItsCopy(@TempDir Path tmp) {
        Cli.copy(Path.of("rules/default"), tmp.resolve("copy"));
        Cli.Run r =
                Cli.run("rules", "diff", "rules/default", tmp.resolve("copy").toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out()).matches("same rule set: default@[0-9a-f]{12}\\n");
    }

    @Test
    void shouldRefuseToCompareABrokenSet(@TempDir Path tmp) throws IOException {
        Path a = ruleSet(
                tmp.resolve("a"),
                40,
                "rules:\n  - id: r\n    when: amount >\n    points: 1\n",
                "id: bins\nkind: block\nentity: bin\nvalues: []\n");
        Cli.Run r = Cli.run("rules", "diff", a.toString(), "rules/default");
        assertThat(r.exit()).isEqualTo(VetoCli.PROBLEM);
        assertThat(r.err())
                .contains("rules.yaml:3:19: syntax error")
                .endsWith("cannot compare: fix the problems above first\n");
    }
}
