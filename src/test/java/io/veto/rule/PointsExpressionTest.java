package io.veto.rule;

import static io.veto.testing.Payments.BEGINNING;
import static io.veto.testing.Payments.payment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.veto.decision.Outcome;
import io.veto.feature.Entity;
import io.veto.feature.FeatureSpec;
import io.veto.feature.FeatureValues;
import io.veto.testing.Payments;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code points:} written as a CEL expression: validated like a condition, evaluated when the rule fires, bounded. */
class PointsExpressionTest {
    private final RuleSetCompiler compiler = RuleSetCompiler.forJob();

    private static RuleSet pointsRule(String points) {
        return Payments.ruleSet(
                "t", 40, 80, "rules:\n  - id: ratio\n    when: amount > 1\n    points: " + points + "\n");
    }

    private static FeatureValues ratio(double v) {
        FeatureValues f = new FeatureValues();
        f.put(FeatureSpec.parse(Entity.CARD, "amount_ratio_30d"), v);
        return f;
    }

    @Test
    void shouldScoreARuleByItsPointsExpressionAndShowTheValue() throws Exception {
        CompiledRuleSet rules = compiler.compile(Payments.ruleSet("t", 40, 80, """
                rules:
                  - id: ratio
                    when: card.amount_ratio_30d > 2.0
                    points: min(60.0, 12.0 * card.amount_ratio_30d)
                  - id: watch
                    mode: shadow
                    when: amount > 1
                    points: 2.0 * card.count_1h
                """));
        // The features the points read are computed with the rule set's, whether or not 'when' reads them.
        assertThat(rules.features(Entity.CARD))
                .containsExactlyInAnyOrder(
                        FeatureSpec.parse(Entity.CARD, "amount_ratio_30d"), FeatureSpec.parse(Entity.CARD, "count_1h"));
        FeatureValues f = ratio(3.2);
        f.put(FeatureSpec.parse(Entity.CARD, "count_1h"), 4);

        Evaluation e = rules.evaluate(payment("p", "c", BEGINNING, "50"), f);
        // 12 x 3.2 = 38.4 rounds to 38: under the review threshold of 40.
        assertThat(e.score()).isEqualTo(38);
        assertThat(e.outcome()).isEqualTo(Outcome.APPROVE);
        assertThat(e.reasons()).singleElement().satisfies(r -> {
            assertThat(r.points()).isEqualTo(38);
            assertThat(r.detail()).endsWith("(card.amount_ratio_30d=3.20)");
        });
        assertThat(e.shadowReasons()).singleElement().satisfies(r -> {
            assertThat(r.points()).isEqualTo(8);
            assertThat(r.detail()).contains("card.count_1h=4");
        });
        assertThat(e.shadowOutcome()).isEqualTo(Outcome.REVIEW);

        Evaluation capped = rules.evaluate(payment("p", "c", BEGINNING, "50"), ratio(9.0));
        assertThat(capped.score()).isEqualTo(60);
        assertThat(capped.outcome()).isEqualTo(Outcome.REVIEW);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "'12.5'|13",
                "'12.4999'|12",
                "'100000.0 * card.amount_ratio_30d'|1000",
                "'-5.0 * card.amount_ratio_30d'|0",
                "'card.amount_ratio_30d / 0.0 - card.amount_ratio_30d / 0.0'|0",
                "'max(3, 7)'|7",
            })
    void shouldRoundAndClampThePointsToTheDocumentedRange(String points, int expected) throws Exception {
        CompiledRuleSet rules = compiler.compile(pointsRule(points));
        Evaluation e = rules.evaluate(payment("p", "c", BEGINNING, "50"), ratio(2.0));
        assertThat(e.errors()).isZero();
        assertThat(e.score()).isEqualTo(expected);
        assertThat(e.reasons())
                .singleElement()
                .satisfies(r -> assertThat(r.points()).isEqualTo(expected));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "a string|'mcc'|4|13|points must be a number or a numeric expression",
                "a condition|'amount > 10'|4|13|points must be a number or a numeric expression",
                "unknown feature|'12.0 * card.ratio_30d'|4|24|unknown aggregate 'ratio'",
                "mixed int and double|'min(60, 12.0 * card.amount_ratio_30d)'|4|16|found no matching overload for 'min'",
                "syntax error|'12.0 *'|4|19|syntax error",
            })
    void shouldRejectABadPointsExpressionWithFileLineAndColumn(
            String name, String points, int line, int col, String message) {
        RuleSetException e = catchThrowableOfType(RuleSetException.class, () -> compiler.compile(pointsRule(points)));
        assertThat(e).as("rule set should be rejected").isNotNull();
        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.file()).isEqualTo("rules.yaml");
            assertThat(p.line()).isEqualTo(line);
            assertThat(p.column()).as(p.toString()).isEqualTo(col);
            assertThat(p.message()).contains(message);
        });
    }

    @Test
    void shouldKeepTheExpressionInTheRuleDefinitionForDiffs() throws Exception {
        CompiledRuleSet rules = compiler.compile(pointsRule("min(60.0,   12.0 * card.amount_ratio_30d)"));
        assertThat(rules.rules()).singleElement().satisfies(r -> {
            assertThat(r.pointsExpression()).isEqualTo("min(60.0,   12.0 * card.amount_ratio_30d)");
            assertThat(r.pointsText()).isEqualTo("min(60.0, 12.0 * card.amount_ratio_30d)");
        });
        assertThat(compiler.compile(pointsRule("25")).rules().get(0).pointsText())
                .isEqualTo("25");
    }
}
