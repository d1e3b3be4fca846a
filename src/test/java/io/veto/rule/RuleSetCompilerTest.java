package io.veto.rule;

import static io.veto.testing.Payments.BEGINNING;
import static io.veto.testing.Payments.payment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.veto.decision.Outcome;
import io.veto.feature.Aggregate;
import io.veto.feature.Entity;
import io.veto.feature.FeatureSpec;
import io.veto.feature.FeatureValues;
import io.veto.testing.Payments;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

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
    @CsvSource(
            delimiter = '|',
            value = {
                "syntax error|'amount >'|3|19|syntax error: mismatched input '<EOF>'",
                "type error|'amount > \"ten\"'|3|18|no matching overload",
                "unknown field|'amont > 10'|3|11|undeclared reference to 'amont'",
                "unknown aggregate|'card.cnt_10m > 1'|3|15|unknown aggregate 'cnt'",
                "not a feature|'card.velocity > 1'|3|15|not a feature",
                "too long horizon|'card.count_400d > 1'|3|15|longer than the 120d",
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
        RuleSetException e = catchThrowableOfType(
                RuleSetException.class, () -> compiler.compile(oneRule("'T(java.lang.Runtime).exec(\"x\")'")));
        assertThat(e.problems())
                .isNotEmpty()
                .allSatisfy(p -> assertThat(p.message()).startsWith("undeclared reference"));
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
        assertThat(e.problems())
                .extracting(RuleProblem::toString)
                .containsExactlyInAnyOrder(
                        "rules.yaml:5:9: duplicate rule id 'a' (first defined at rules.yaml:2)",
                        "rules.yaml:5:5: rule 'a' needs 'points' or an 'outcome'",
                        "rules.yaml:9:13: unknown key 'colour' in a rule; known keys: id, description, owner, when, points, outcome, mode, explain, validFrom, validUntil, tags",
                        "rules.yaml:7:5: rule 'b' needs a 'when' condition");
    }

    @Test
    void shouldRejectBrokenYamlAndBadThresholds() {
        RuleSet rs = new RuleSet(
                "t",
                new TreeMap<>(Map.of(
                        RuleSet.MANIFEST,
                        "name: t\nthresholds:\n  review: 90\n  deny: 80\n",
                        "rules.yaml",
                        "rules:\n  - id: a\n    when: [unclosed\n")));
        RuleSetException e = catchThrowableOfType(RuleSetException.class, () -> compiler.compile(rs));
        assertThat(e.problems()).hasSize(2);
        assertThat(e.getMessage())
                .contains("ruleset.yaml:3:3: thresholds must satisfy 0 < review < deny")
                .contains("rules.yaml:4:1: YAML syntax");
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
        assertThat(both.shadowReasons())
                .singleElement()
                .satisfies(r -> assertThat(r.ruleId()).isEqualTo("watch"));

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
        assertThat(rules.evaluate(payment("p", "c", BEGINNING, "5"), new FeatureValues())
                        .score())
                .isZero();
        long december = Instant.parse("2026-12-02T00:00:00Z").toEpochMilli();
        assertThat(rules.evaluate(payment("p", "c", december, "5"), new FeatureValues())
                        .score())
                .isEqualTo(50);
    }

    @Test
    void shouldGiveTheSameVersionForTheSameContentAndANewOneForAnyChange() {
        assertThat(oneRule("amount > 1").version())
                .isEqualTo(oneRule("amount > 1").version());
        assertThat(oneRule("amount > 1").version())
                .isNotEqualTo(oneRule("amount > 2").version());
    }

    static Stream<Arguments> multiLineConditions() {
        // In each, the unknown name 'amont' is on the condition's second line: file line 5 for a block
        // scalar (its text starts below 'when: >-'), line 4 otherwise.
        return Stream.of(
                Arguments.of("folded block", ">-\n      card.count_10m > 1\n        && amont > 10", 5, 12),
                Arguments.of("folded block, clip", ">\n      card.count_10m > 1\n      && amont > 10", 5, 10),
                Arguments.of("literal block", "|\n      card.count_10m > 1\n      && amont > 10", 5, 10),
                Arguments.of("plain on two lines", "card.count_10m > 1\n      && amont > 10", 4, 10),
                Arguments.of("double-quoted, escaped", "\"card_bin != \\\"4\\\" &&\n      amont > 10\"", 4, 7));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("multiLineConditions")
    void shouldPointIntoAMultiLineConditionWhereTheAnalystWroteIt(String name, String when, int line, int col) {
        RuleProblem p = onlyProblem(oneRule(when));
        assertThat(p.message()).contains("undeclared reference to 'amont'");
        assertThat(p.line()).as(p.toString()).isEqualTo(line);
        assertThat(p.column()).as(p.toString()).isEqualTo(col);
    }

    @Test
    void shouldPointIntoAFoldedConditionAfterABlankLineAndAtAFeature() {
        RuleSet rs = Payments.ruleSet("t", 40, 80, """
                rules:
                  - id: r1
                    when: >-
                      amount > 1

                      && card.cnt_10m > 1
                    points: 10
                """);
        assertThat(onlyProblem(rs).toString()).startsWith("rules.yaml:6:14: unknown aggregate 'cnt'");
    }

    @Test
    void shouldDecideAPaymentEvenWhenARuleFailsOnIt() throws Exception {
        CompiledRuleSet rules = compiler.compile(Payments.ruleSet("t", 40, 80, """
                rules:
                  - id: divides-by-zero
                    when: 1 / (event_hour - event_hour) > 0
                    points: 90
                  - id: big
                    when: amount >= 100
                    points: 50
                """));
        for (int i = 0; i < 3; i++) {
            Evaluation e = rules.evaluate(payment("p" + i, "c", BEGINNING, "150"), new FeatureValues());
            assertThat(e.errors()).isEqualTo(1);
            // The failing rule shows in the decision as a reason of no points, for metrics and analysts.
            assertThat(e.reasons()).extracting(r -> r.ruleId()).containsExactly("error:divides-by-zero", "big");
            assertThat(e.reasons().get(0).points()).isZero();
            assertThat(e.reasons().get(0).detail())
                    .startsWith("could not be evaluated, so it did not fire: ")
                    .contains("/ by zero");
            assertThat(e.score()).isEqualTo(50);
            assertThat(e.outcome()).isEqualTo(Outcome.REVIEW);
        }
    }

    @Test
    void shouldAcceptFeaturesOfEveryEntityInTheJob() throws Exception {
        CompiledRuleSet rules =
                compiler.compile(oneRule("merchant.count_1m > 1 && ip.distinct_card_1h > 3 && device.count_10m > 0"));
        assertThat(rules.features(Entity.MERCHANT))
                .extracting(FeatureSpec::name)
                .containsExactly("count_1m");
        assertThat(rules.features(Entity.IP)).extracting(FeatureSpec::name).containsExactly("distinct_card_1h");
    }

    @Test
    void shouldRejectFeaturesOfAnEntityTheJobDoesNotCompute() {
        RuleSetCompiler cardOnly = new RuleSetCompiler(EnumSet.of(Entity.CARD));
        RuleSetException e =
                catchThrowableOfType(RuleSetException.class, () -> cardOnly.compile(oneRule("merchant.count_1m > 1")));
        assertThat(e.problems())
                .extracting(RuleProblem::toString)
                .containsExactly(
                        "rules.yaml:3:19: features of 'merchant' are not computed by this job; available: [card]");
    }

    @Test
    void shouldRejectAnExplanationNamingAnUnknownFieldOrFeature() {
        RuleSet rs = Payments.ruleSet("t", 40, 80, """
                rules:
                  - id: r1
                    when: amount > 1
                    points: 10
                    explain: "{amont} after {card.cnt_10m}, {card.count_1h} and {merchant.count_1h}"
                """);
        // A compiler for a job that computes card features only.
        RuleSetCompiler cardOnly = new RuleSetCompiler(EnumSet.of(Entity.CARD));
        RuleSetException e = catchThrowableOfType(RuleSetException.class, () -> cardOnly.compile(rs));
        assertThat(e.problems())
                .extracting(RuleProblem::toString)
                .containsExactly(
                        "rules.yaml:5:15: explain names {amont}, which is not a payment field (amount, currency, country, mcc, channel, card_present, "
                                + "merchant_id, customer_id, terminal_id, device_id, ip_address, card_bin, card_last4, event_hour)",
                        "rules.yaml:5:29: explain names {card.cnt_10m}: unknown aggregate 'cnt' in 'card.cnt_10m'; known: count, sum, avg, max, min, stddev, distinct, chargeback_count, chargeback_rate, refund_count, refund_rate, amount_ratio, since_last",
                        "rules.yaml:5:65: explain names {merchant.count_1h}: features of 'merchant' are not computed by this job");
    }

    @Test
    void shouldComputeAFeatureNamedOnlyInTheExplanation() throws Exception {
        CompiledRuleSet rules = compiler.compile(Payments.ruleSet("t", 40, 80, """
                rules:
                  - id: r1
                    when: amount > 1
                    points: 10
                    explain: "{amount} with {card.sum_amount_1h} this hour"
                """));
        FeatureValues f = new FeatureValues();
        f.put(FeatureSpec.parse(Entity.CARD, "sum_amount_1h"), 42.5);
        assertThat(rules.features(Entity.CARD)).containsExactly(FeatureSpec.parse(Entity.CARD, "sum_amount_1h"));
        assertThat(rules.evaluate(payment("p", "c", BEGINNING, "5"), f).reasons())
                .singleElement()
                .satisfies(r -> assertThat(r.detail())
                        .isEqualTo("5 EUR with 42.50 this hour (amount=5 EUR, card.sum_amount_1h=42.50)"));
    }

    @Test
    void shouldFireARuleWhoseFeatureIsWrittenInAnotherUnitThanItsCanonicalName() throws Exception {
        // card.count_24h is computed as count_1d; the rule must still read it by the name it wrote.
        CompiledRuleSet rules = compiler.compile(Payments.ruleSet("t", 40, 80, """
                rules:
                  - id: daily
                    when: card.count_24h >= 3 && card.sum_amount_60m > 100
                    points: 50
                """));
        FeatureValues f = new FeatureValues();
        for (FeatureSpec s : rules.features(Entity.CARD)) {
            f.put(s, s.aggregate() == Aggregate.COUNT ? 3 : 150);
        }
        Evaluation e = rules.evaluate(payment("p", "c", BEGINNING, "5"), f);
        assertThat(e.errors()).isZero();
        assertThat(e.outcome()).isEqualTo(Outcome.REVIEW);
        assertThat(e.reasons())
                .singleElement()
                .satisfies(r -> assertThat(r.detail()).endsWith("(card.count_24h=3, card.sum_amount_60m=150)"));
    }

    @Test
    void shouldNameARuleSetDirectoryAfterItsManifest(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(RuleSet.MANIFEST), "name: fraud-eu\nthresholds:\n  review: 40\n  deny: 80\n");
        RuleSet rs = RuleSet.fromDirectory(dir);
        assertThat(rs.name()).isEqualTo("fraud-eu");
        assertThat(rs.version()).startsWith("fraud-eu@");
    }

    @Test
    void shouldRejectARuleSetNameThatCannotKeyTheRulesTopic() {
        RuleSet rs = new RuleSet(
                "t",
                new TreeMap<>(Map.of(RuleSet.MANIFEST, "name: Fraud EU!\nthresholds:\n  review: 40\n  deny: 80\n")));
        RuleSetException e = catchThrowableOfType(RuleSetException.class, () -> compiler.compile(rs));
        assertThat(e.problems())
                .extracting(RuleProblem::toString)
                .containsExactly(
                        "ruleset.yaml:1:7: rule set name 'Fraud EU!' must be lower-case letters, digits, '-', '_' or '.', at most 64");
    }
}
