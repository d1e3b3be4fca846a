package io.veto.rule;

import static io.veto.testing.Payments.BEGINNING;
import static io.veto.testing.Payments.payment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.veto.feature.Entity;
import io.veto.feature.FeatureSpec;
import io.veto.feature.FeatureValues;
import io.veto.testing.Payments;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RuleSetCompilerTest {
    private final RuleSetCompiler compiler = RuleSetCompiler.forJob();

    private static RuleSet oneRule(String when) {
        return Payments.ruleSet("t", 40, 80, "rules:\n  - id: r1\n    when: " + when + "\n    points: 10\n");
    }

    private RuleProblem onlyProblem(RuleSet rs) {
        RuleSetException e = catchThrowableOfType(RuleSetException.class, () -> compiler.compile(rs));
        assertThat(e).as("rule set should be rejected").isNotNull();
        assertThat(e.problems()).hasSize(1);
        return e.problems().get(0);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "syntax error|'amount >'|3|19|syntax error: mismatched input '<EOF>'",
        "type error|'amount > \"ten\"'|3|18|no matching overload",
        "unknown field|'amont > 10'|3|11|undeclared reference to 'amont'",
        "unknown aggregate|'card.cnt_10m > 1'|3|15|unknown aggregate 'cnt'",
        "not a feature|'card.velocity > 1'|3|15|not a feature",
        "uncomputed entity|'merchant.count_1m > 1'|3|19|not computed by this job",
        "too long horizon|'card.count_30d > 1'|3|15|longer than the 24h",
        "catastrophic regex|'merchant_id.matches(\"(a+)+$\")'|3|31|nests quantifiers",
        "dynamic regex|'merchant_id.matches(mcc)'|3|30|constant strings",
        "feature by index|'card[\"count_10m\"] > 1'|3|11|name features as card.<feature>",
    })
    void shouldRejectABadConditionWithFileLineAndColumn(String name, String when, int line, int col, String message) {
        RuleProblem p = onlyProblem(oneRule(when));
        assertThat(p.file()).isEqualTo("rules.yaml");
        assertThat(p.line()).isEqualTo(line);
        assertThat(p.column()).as(p.toString()).isEqualTo(col);
        assertThat(p.message()).contains(message);
    }

    @Test
    void shouldRejectCodeBearingStrings() {
        RuleSetException e = catchThrowableOfType(RuleSetException.class, () -> compiler.compile(oneRule("'T(java.lang.Runtime).exec(\"x\")'")));
        assertThat(e.problems()).isNotEmpty().allSatisfy(p -> assertThat(p.message()).startsWith("undeclared reference"));
        assertThat(e.problems().get(0).toString()).startsWith("rules.yaml:3:");
    }

    @Test
    void shouldReportDuplicateIdsAndMissingPartsAllAtOnce() {
        RuleSet rs = Payments.ruleSet("t", 40, 80, """
                rules:
                  - id: a
                    when: amount > 1
                    points: 1
                  - id: a
                    when: amount > 2
                  - id: b
                    points: 3
                    colour: red
                """);
        RuleSetException e = catchThrowableOfType(RuleSetException.class, () -> compiler.compile(rs));
        assertThat(e.problems()).extracting(RuleProblem::toString).containsExactlyInAnyOrder(
                "rules.yaml:5:9: duplicate rule id 'a' (first defined at rules.yaml:2)",
                "rules.yaml:5:5: rule 'a' needs 'points' or an 'outcome'",
                "rules.yaml:9:13: unknown key 'colour' in a rule; known keys: id, description, owner, when, points, outcome, mode, explain, validFrom, validUntil, tags",
                "rules.yaml:7:5: rule 'b' needs a 'when' condition");
    }

    @Test
    void shouldRejectBrokenYamlAndBadThresholds() {
        RuleSet rs = new RuleSet("t", new java.util.TreeMap<>(java.util.Map.of(
                RuleSet.MANIFEST, "name: t\nthresholds:\n  review: 90\n  deny: 80\n",
                "rules.yaml", "rules:\n  - id: a\n    when: [unclosed\n")));
        RuleSetException e = catchThrowableOfType(RuleSetException.class, () -> compiler.compile(rs));
        assertThat(e.problems()).hasSize(2);
        assertThat(e.getMessage()).contains("ruleset.yaml:3:3: thresholds must satisfy 0 < review < deny").contains("rules.yaml:4:1: YAML syntax");
    }

    @Test
    void shouldRejectAnOversizedExpression() {
        RuleProblem p = onlyProblem(oneRule("'" + "amount > 1 || ".repeat(200) + "amount > 2'"));
        assertThat(p.message()).contains("the limit is 2000");
    }

    @Test
    void shouldAddPointsMapThresholdsLetDirectOutcomesWinAndKeepShadowRulesApart() throws Exception {
        RuleSet rs = Payments.ruleSet("t", 40, 80, """
                rules:
                  - id: big
                    when: amount >= 100
                    points: 30
                  - id: velocity
                    when: card.count_10m > 2
                    points: 30
                  - id: huge
                    when: amount >= 10000
                    outcome: DENY
                  - id: watch
                    mode: shadow
                    when: amount >= 100
                    points: 50
                """);
        CompiledRuleSet rules = compiler.compile(rs);
        FeatureValues f = new FeatureValues();
        f.put(FeatureSpec.parse(Entity.CARD, "count_10m"), 3);

        Evaluation both = rules.evaluate(payment("p", "c", BEGINNING, "150.00"), f);
        assertThat(both.score()).isEqualTo(60);
        assertThat(both.outcome()).isEqualTo(Outcome.REVIEW);
        assertThat(both.reasons()).extracting(r -> r.ruleId()).containsExactly("big", "velocity");
        assertThat(both.shadowOutcome()).isEqualTo(Outcome.DENY);
        assertThat(both.shadowReasons()).singleElement().satisfies(r -> assertThat(r.ruleId()).isEqualTo("watch"));

        f.put(FeatureSpec.parse(Entity.CARD, "count_10m"), 1);
        Evaluation direct = rules.evaluate(payment("p", "c", BEGINNING, "10000"), f);
        assertThat(direct.score()).isEqualTo(30);
        assertThat(direct.outcome()).isEqualTo(Outcome.DENY);

        Evaluation none = rules.evaluate(payment("p", "c", BEGINNING, "5"), f);
        assertThat(none.outcome()).isEqualTo(Outcome.APPROVE);
        assertThat(none.reasons()).isEmpty();
        assertThat(none.shadowOutcome()).isNull();
    }

    @Test
    void shouldApplyARuleOnlyInsideItsValidityDates() throws Exception {
        RuleSet rs = Payments.ruleSet("t", 40, 80, """
                rules:
                  - id: promo
                    when: amount > 1
                    points: 50
                    validFrom: 2026-12-01
                """);
        CompiledRuleSet rules = compiler.compile(rs);
        assertThat(rules.evaluate(payment("p", "c", BEGINNING, "5"), new FeatureValues()).score()).isZero();
        long december = java.time.Instant.parse("2026-12-02T00:00:00Z").toEpochMilli();
        assertThat(rules.evaluate(payment("p", "c", december, "5"), new FeatureValues()).score()).isEqualTo(50);
    }

    @Test
    void shouldGiveTheSameVersionForTheSameContentAndANewOneForAnyChange() {
        assertThat(oneRule("amount > 1").version()).isEqualTo(oneRule("amount > 1").version());
        assertThat(oneRule("amount > 1").version()).isNotEqualTo(oneRule("amount > 2").version());
    }
}
