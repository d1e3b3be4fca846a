package io.veto.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.veto.rule.RuleSet;
import io.veto.rule.RuleSetCompiler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RulesTestCommandTest {

    @Test
    void shouldPassEveryExampleOfTheDefaultRuleSet() {
        Cli.Run r = Cli.run("rules", "test", "rules/default");
        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.out())
                .startsWith("rules/default (default@")
                .contains("  PASS  rules/default/velocity.yaml:")
                .contains("  PASS  rules/default/lists/blocked-bins.yaml:")
                .doesNotContain("FAIL");
        assertThat(r.out()).containsPattern("\\n(\\d+) examples: \\1 passed, 0 failed\\n$");
    }

    @Test
    void shouldCoverEveryRuleAndListOfTheDefaultRuleSetWithAnExampleWhereItFiresAndOneWhereItDoesNot()
            throws Exception {
        var rules = RuleSetCompiler.forJob().compile(RuleSet.fromDirectory(Path.of("rules/default")));
        var fires = rules.examples().stream()
                .flatMap(e -> e.expect().fires().stream())
                .toList();
        var silent = rules.examples().stream()
                .flatMap(e -> e.expect().doesNotFire().stream())
                .toList();
        for (String id : rules.ruleIds()) {
            assertThat(fires).as("an example where %s fires", id).contains(id);
            assertThat(silent).as("an example where %s does not fire", id).contains(id);
        }
        for (var list : rules.lists()) {
            assertThat(fires).as("an example where %s is hit", list.id()).contains(list.reasonId());
        }
    }

    @Test
    void shouldFailNamingTheExampleAndShowingTheActualDecisionWhenAnExpectationChanges(@TempDir Path tmp) {
        Path set = tmp.resolve("default");
        Cli.copy(Path.of("rules/default"), set);
        Cli.edit(set.resolve("velocity.yaml"), """
                  - name: a sixth payment in ten minutes goes to review
                    payments:
                      - {amount: 20, repeat: 6}
                    expect:
                      decision: REVIEW
                      score: 50
                """, """
                  - name: a sixth payment in ten minutes goes to review
                    payments:
                      - {amount: 20, repeat: 6}
                    expect:
                      decision: DENY
                      score: 50
                """);
        Cli.Run r = Cli.run("rules", "test", set.toString());
        assertThat(r.exit()).isEqualTo(VetoCli.PROBLEM);
        String velocity = set.toAbsolutePath().resolve("velocity.yaml").toString();
        assertThat(r.out())
                .contains("  FAIL  " + velocity + ":29  a sixth payment in ten minutes goes to review\n"
                        + "        expected decision DENY, got REVIEW\n"
                        + "        decision: REVIEW, score 50\n"
                        + "        reasons:  card-velocity-10m +50: 6 payments on this card in the last 10 minutes (card.count_10m=6)\n"
                        + "        shadow:   none\n");
        assertThat(r.out()).containsPattern("\\n(\\d+) examples: \\d+ passed, 1 failed\\n$");
    }

    @Test
    void shouldRunNoExampleOfARuleSetThatDoesNotCompile(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("ruleset.yaml"), "name: t\nthresholds:\n  review: 40\n  deny: 80\n");
        Files.writeString(tmp.resolve("rules.yaml"), """
                rules:
                  - id: r1
                    when: amount > 1
                    points: 10
                examples:
                  - name: fires
                    payments: [{amount: 5}]
                    expect: {decision: APPROVE, fires: [r2]}
                """);
        Cli.Run r = Cli.run("rules", "test", tmp.toString());
        assertThat(r.exit()).isEqualTo(VetoCli.PROBLEM);
        assertThat(r.out()).isEmpty();
        assertThat(r.err())
                .contains("rules.yaml:8:41: no rule or list 'r2' in this rule set")
                .contains("1 problem; no example was run");
    }

    @Test
    void shouldShowTheDecisionOfPassingExamplesWhenVerbose(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("ruleset.yaml"), "name: t\nthresholds:\n  review: 40\n  deny: 80\n");
        Files.writeString(tmp.resolve("rules.yaml"), """
                rules:
                  - id: big
                    when: amount >= 100
                    points: 40
                examples:
                  - name: a big payment goes to review
                    payments: [{amount: 150}]
                    expect: {decision: REVIEW, fires: [big]}
                """);
        Cli.Run r = Cli.run("rules", "test", "-v", tmp.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out())
                .contains("  PASS  " + tmp.toAbsolutePath().resolve("rules.yaml") + ":6  a big payment goes to review\n"
                        + "        decision: REVIEW, score 40\n"
                        + "        reasons:  big +40: big (amount=150 EUR)\n");
    }
}
