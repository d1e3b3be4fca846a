package io.veto.rule;

import static org.assertj.core.api.Assertions.assertThat;

import io.veto.testing.Payments;
import java.nio.file.Path;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The static worst-case cost of conditions, and the limits a rule set must keep. */
class RuleSetLimitsTest {
    private final RuleSetCompiler compiler = RuleSetCompiler.forJob();

    @Test
    void shouldCountEveryNodeOnceOutsideLoops() {
        // amount, 100, >=: three nodes; && adds one and the other side's three.
        assertThat(RuleSetLimits.cost("amount >= 100")).isEqualTo(3);
        assertThat(RuleSetLimits.cost("amount >= 100 && mcc == \"7995\"")).isEqualTo(7);
        assertThat(RuleSetLimits.cost(null)).isZero();
        // A regular expression is compiled on every call: it counts as much as 300 nodes.
        assertThat(RuleSetLimits.cost("merchant_id.matches(\"^m-9\")")).isEqualTo(RuleSetLimits.MATCHES_COST + 2);
    }

    @Test
    void shouldMultiplyALoopBodyOfASequenceStepByItsRangeAndNestedLoopsByEachOther() {
        long one = RuleSetLimits.cost("[1,2,3,4,5,6,7,8,9,10].all(x, x > 0)");
        long nested = RuleSetLimits.cost("[1,2,3,4,5,6,7,8,9,10].all(x, [1,2,3,4,5,6,7,8,9,10].all(y, x + y > 0))");
        assertThat(one).isBetween(10L * 3, 10L * 10);
        assertThat(nested).isGreaterThan(10 * 10 * 3);
        // A range of unknown size (a feature map) counts as CEL's iteration cap.
        assertThat(RuleSetLimits.cost("card.exists(k, k == \"x\")"))
                .isGreaterThanOrEqualTo(RuleSetLimits.MAX_ITERATIONS);
    }

    @Test
    void shouldKeepTheDefaultRuleSetWellWithinEveryLimit() throws Exception {
        CompiledRuleSet defaults = compiler.compile(RuleSet.fromDirectory(Path.of("rules/default")));

        assertThat(RuleSetLimits.check(defaults)).isEmpty();
        assertThat(RuleSetLimits.paymentCost(defaults)).isLessThan(RuleSetLimits.MAX_PAYMENT_COST / 2);
    }

    @Test
    void shouldReportAConditionOverItsBudgetAndASetOverThePaymentBudgetWithLimitAndValue() throws Exception {
        // A step's loop in a loop over the events matched so far: the iteration cap squared.
        CompiledRuleSet costly = compiler.compile(Payments.ruleSet("t", 40, 80, """
                sequences:
                  - id: ordered
                    within: 15m
                    steps:
                      - name: rising
                        where: type == "PAYMENT" && matched.all(e, matched.all(f, e.amount <= f.amount + 1.0))
                        times: 2+
                      - name: last
                        where: type == "PAYMENT"
                    points: 10
                """));
        assertThat(RuleSetLimits.check(costly))
                .extracting(RuleProblem::toString)
                .anySatisfy(
                        p -> assertThat(p)
                                .matches(
                                        "rules\\.yaml:2:1: rule ordered: the step rising may evaluate \\d{7,} expression nodes on one payment \\(worst case\\); the limit is 10000"));

        // 70 rules each under the per-condition budget, together over the per-payment one.
        String sum = heavyCondition();
        assertThat(RuleSetLimits.cost(sum)).isBetween(360L, 1_000L);
        StringBuilder rules = new StringBuilder("rules:\n");
        for (int i = 0; i < 70; i++) {
            rules.append("  - id: r")
                    .append(i)
                    .append("\n    when: ")
                    .append(sum)
                    .append("\n    points: 1\n");
        }
        CompiledRuleSet many = compiler.compile(Payments.ruleSet("t", 40, 80, rules.toString()));
        assertThat(RuleSetLimits.check(many))
                .extracting(RuleProblem::toString)
                .singleElement()
                .satisfies(
                        p -> assertThat(p)
                                .matches(
                                        "ruleset\\.yaml:1:1: the rules may evaluate \\d+ expression nodes on one payment \\(worst case\\); the limit is 25000"));
    }

    /** Never true, and about 400 nodes in under 2,000 characters: a list of 4-digit hours. */
    static String heavyCondition() {
        StringBuilder list = new StringBuilder("event_hour in [1000");
        for (int h = 1001; list.length() < 1990; h++) {
            list.append(',').append(h);
        }
        return list.append(']').toString();
    }

    @Test
    void shouldReportAListOverItsSizeLimit() throws Exception {
        StringBuilder values = new StringBuilder("id: many-ips\nkind: block\nentity: ip\nvalues:\n");
        for (int i = 0; i <= RuleSetLimits.MAX_LIST_VALUES; i++) {
            values.append("  - 10.")
                    .append(i >> 16 & 255)
                    .append('.')
                    .append(i >> 8 & 255)
                    .append('.')
                    .append(i & 255)
                    .append('\n');
        }
        RuleSet rs = Payments.ruleSet("t", 40, 80, "rules:\n  - id: r\n    when: amount > 1.0\n    points: 1\n");
        TreeMap<String, String> files = new TreeMap<>(rs.files());
        files.put("lists/many-ips.yaml", values.toString());
        CompiledRuleSet big = compiler.compile(new RuleSet("t", files));

        assertThat(RuleSetLimits.check(big))
                .extracting(RuleProblem::toString)
                .containsExactly("lists/many-ips.yaml:1:1: list many-ips has 50001 values; the limit is 50000");
    }
}
