package io.veto.bench;

import io.veto.rule.CompiledRuleSet;
import io.veto.rule.Evaluation;
import io.veto.rule.RuleProblem;
import io.veto.rule.RuleSet;
import io.veto.rule.RuleSetLimits;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The worst a published rule set can make one payment's evaluation within {@link RuleSetLimits},
 * beside the default rule set in the same run: what the evaluation budget is worth in time. Each
 * worst case is checked to pass the limits (a set the job would accept) and fires every rule, so
 * each payment also pays for every rule's explanation.
 *
 * Rule conditions have no loops (no CEL macros), so their cost is their size; the largest nodes
 * count per character is a list literal, which CEL builds anew on every evaluation and {@code in}
 * scans to its end when the value is not in it.
 *
 * <ul>
 *   <li>{@link #maxRulesAtBudget}: {@value RuleSetLimits#MAX_RULES} rules, each
 *       {@code !(event_hour in [1000, ...])}, the lists as long as the per-payment budget allows;
 *   <li>{@link #largestConditionsAtBudget}: rules of the largest condition 2,000 characters hold
 *       (about 400 nodes), as many as the per-payment budget allows;
 *   <li>{@link #regexRulesAtBudget}: as many rules as the budget allows, each a 200-character regular
 *       expression (RE2) on the merchant id, which CEL compiles on every call.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 3,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Thread)
public class RuleBudgetBenchmark {
    private BenchData.Sample data;
    private CompiledRuleSet defaults;
    private CompiledRuleSet manyRules;
    private CompiledRuleSet largeConditions;
    private CompiledRuleSet regexes;

    @Setup(Level.Trial)
    public void setUp() {
        defaults = BenchData.rules();
        data = BenchData.Sample.of(defaults);

        // The longest list for which MAX_RULES such rules stay within the per-payment budget.
        int n = largest(k -> RuleSetLimits.MAX_RULES * RuleSetLimits.cost(notIn(k)) <= RuleSetLimits.MAX_PAYMENT_COST);
        manyRules = accepted(ruleSet("many-rules", RuleSetLimits.MAX_RULES, k -> notIn(n)));
        // The longest list a condition's 2,000 characters hold, in as many rules as the budget takes.
        int longest = largest(k -> notIn(k).length() <= 2000);
        int rules = (int) (RuleSetLimits.MAX_PAYMENT_COST / RuleSetLimits.cost(notIn(longest)));
        largeConditions = accepted(ruleSet("large-conditions", rules, k -> notIn(longest)));
        // An unanchored alternation of 200 characters: RE2 scans the whole merchant id against all of it.
        StringBuilder alternatives = new StringBuilder("(?:[0-9]+$");
        for (int k = 0; alternatives.length() < 190; k++) {
            alternatives.append("|zq").append(k < 10 ? "0" : "").append(k);
        }
        String regex = alternatives.append(')').toString();
        String match = "merchant_id.matches(\"" + regex + "\")";
        regexes = accepted(
                ruleSet("regexes", (int) (RuleSetLimits.MAX_PAYMENT_COST / RuleSetLimits.cost(match)), k -> match));
        for (CompiledRuleSet rs : List.of(defaults, manyRules, largeConditions, regexes)) {
            Evaluation ev = rs.evaluate(data.payments[0], data.values[0]);
            System.out.printf(
                    "%n[setup] %s: %d rules, worst-case cost %d of %d; on a payment: %d reasons, %d errors%n",
                    rs.version(),
                    rs.size(),
                    RuleSetLimits.paymentCost(rs),
                    RuleSetLimits.MAX_PAYMENT_COST,
                    ev.reasons().size(),
                    ev.errors());
        }
    }

    /** True for every payment, after scanning a list of {@code n} hours that are none. */
    private static String notIn(int n) {
        StringBuilder list = new StringBuilder("!(event_hour in [");
        for (int k = 0; k < n; k++) {
            list.append(k == 0 ? "" : ",").append(1000 + k);
        }
        return list.append("])").toString();
    }

    /** The largest n (from 1) for which {@code ok} holds, assuming it holds up to some n and not after. */
    private static int largest(IntPredicate ok) {
        int n = 1;
        while (ok.test(n + 1)) {
            if (++n > 100_000) {
                throw new IllegalStateException("no bound found");
            }
        }
        return n;
    }

    private static CompiledRuleSet accepted(RuleSet rs) {
        CompiledRuleSet c = BenchData.compile(rs);
        List<RuleProblem> problems = RuleSetLimits.check(c);
        if (!problems.isEmpty()) {
            throw new IllegalStateException(rs.name() + " is over the limits: " + problems);
        }
        return c;
    }

    private static RuleSet ruleSet(String name, int rules, IntFunction<String> when) {
        StringBuilder y = new StringBuilder("rules:\n");
        for (int k = 0; k < rules; k++) {
            y.append("  - id: r")
                    .append(k)
                    .append("\n    when: '")
                    .append(when.apply(k))
                    .append("'\n    points: 1\n");
        }
        return BenchData.ruleSet(name, 40000, 80000, y.toString());
    }

    /** The default rule set on one payment: the reference the worst cases compare with. */
    @Benchmark
    public Evaluation defaultRuleSet() {
        return data.evaluate(defaults);
    }

    @Benchmark
    public Evaluation maxRulesAtBudget() {
        return data.evaluate(manyRules);
    }

    @Benchmark
    public Evaluation largestConditionsAtBudget() {
        return data.evaluate(largeConditions);
    }

    @Benchmark
    public Evaluation regexRulesAtBudget() {
        return data.evaluate(regexes);
    }
}
