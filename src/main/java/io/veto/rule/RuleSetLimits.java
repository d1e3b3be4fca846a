package io.veto.rule;

import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.ast.CelExpr;
import dev.cel.parser.CelParser;
import dev.cel.parser.CelParserFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * The limits a rule set must keep for the job to accept it, so that no published set, however
 * written, makes a payment's decision slow or the job's memory large: the number of rules,
 * sequences, lists, list values and examples, and a per-payment evaluation budget.
 *
 * <p>CEL's Java runtime (0.14) has no cost estimator (cel-go's is not ported), so the budget is a
 * static worst case of the parsed conditions, in expression nodes: every node evaluated once,
 * a regular-expression match as {@value #MATCHES_COST} nodes, except that a comprehension ({@code all}, {@code exists}, {@code map}, {@code filter}, which
 * sequence steps may use; rule conditions have no macros) costs its body once per element it may
 * iterate: the size of a literal list or map, or the runtime's iteration cap
 * ({@value #MAX_ITERATIONS}) for any other range; nested comprehensions multiply. A payment's cost
 * is the sum over every rule's condition and every sequence step's condition, all of which can run
 * on one payment. The JMH benchmark {@code RuleBudgetBenchmark} measures sets at the budget.
 */
public final class RuleSetLimits {
    public static final int MAX_RULES = 200;
    public static final int MAX_SEQUENCES = 16;
    public static final int MAX_LISTS = 50;
    public static final int MAX_LIST_VALUES = 50_000;
    public static final int MAX_EXAMPLES = 200;
    public static final int MAX_EXAMPLE_PAYMENTS = 20_000;
    /**
     * The worst-case cost of one condition, in evaluated nodes. A rule condition reaches about 1,000
     * within its 2,000 characters; a step's loop over the events matched so far costs its body
     * times the iteration cap (8,012 for the default card-testing step); a loop in a loop, a
     * million, is what this refuses.
     */
    public static final long MAX_CONDITION_COST = 10_000;
    /**
     * The worst-case cost of all conditions on one payment, in evaluated nodes: the default set
     * costs 8,233, nearly all of it the card-testing step's loop over the events matched so far.
     */
    public static final long MAX_PAYMENT_COST = 25_000;
    /**
     * What one {@code matches} call counts for, in nodes: CEL-Java compiles the regular expression
     * on every call, measured at about 15 µs for a 190-character one, as long as 300 other nodes.
     */
    static final long MATCHES_COST = 300;
    /** CEL's comprehension cap, as {@link RuleSetCompiler} sets it: a bound for ranges of unknown size. */
    static final int MAX_ITERATIONS = 1000;

    private static final CelParser PARSER = CelParserFactory.standardCelParserBuilder()
            .setStandardMacros(dev.cel.parser.CelStandardMacro.STANDARD_MACROS)
            .setOptions(CelOptions.current()
                    .maxExpressionCodePointSize(RuleSetCompiler.MAX_EXPRESSION_CHARS)
                    .maxParseRecursionDepth(64)
                    .build())
            .build();

    private RuleSetLimits() {}

    /** Every limit {@code rs} exceeds, each with the limit and the value; empty when it keeps them all. */
    public static List<RuleProblem> check(CompiledRuleSet rs) {
        List<RuleProblem> problems = new ArrayList<>();
        List<RuleDefinition> rules = rs.rules();
        String where = RuleSet.MANIFEST;
        if (rules.size() > MAX_RULES) {
            problems.add(new RuleProblem(
                    where, 1, 1, "the rule set has " + rules.size() + " rules; the limit is " + MAX_RULES));
        }
        long sequences = rules.stream().filter(RuleDefinition::isSequence).count();
        if (sequences > MAX_SEQUENCES) {
            problems.add(new RuleProblem(
                    where, 1, 1, "the rule set has " + sequences + " sequence rules; the limit is " + MAX_SEQUENCES));
        }
        if (rs.lists().size() > MAX_LISTS) {
            problems.add(new RuleProblem(
                    where, 1, 1, "the rule set has " + rs.lists().size() + " lists; the limit is " + MAX_LISTS));
        }
        for (EntityList l : rs.lists()) {
            if (l.entries().size() > MAX_LIST_VALUES) {
                problems.add(new RuleProblem(
                        l.file(),
                        l.line(),
                        1,
                        "list " + l.id() + " has " + l.entries().size() + " values; the limit is " + MAX_LIST_VALUES));
            }
        }
        if (rs.examples().size() > MAX_EXAMPLES) {
            problems.add(new RuleProblem(
                    where,
                    1,
                    1,
                    "the rule set has " + rs.examples().size() + " examples; the limit is " + MAX_EXAMPLES));
        }
        long examplePayments =
                rs.examples().stream().mapToLong(e -> e.events().size()).sum();
        if (examplePayments > MAX_EXAMPLE_PAYMENTS) {
            problems.add(new RuleProblem(
                    where,
                    1,
                    1,
                    "the examples have " + examplePayments + " payments in all; the limit is " + MAX_EXAMPLE_PAYMENTS));
        }
        long total = 0;
        for (RuleDefinition r : rules) {
            total += cost(r, r.when(), "condition", problems);
            if (r.sequence() != null) {
                for (SequenceStep s : r.sequence().steps()) {
                    total += cost(r, s.where(), "step " + s.name(), problems);
                    total += cost(r, s.until(), "step " + s.name() + " until", problems);
                }
            }
        }
        if (total > MAX_PAYMENT_COST) {
            problems.add(new RuleProblem(
                    where,
                    1,
                    1,
                    "the rules may evaluate " + total + " expression nodes on one payment (worst case); the limit is "
                            + MAX_PAYMENT_COST));
        }
        return problems;
    }

    /** The worst-case cost of the rule set on one payment, as {@link #check} adds it up. */
    public static long paymentCost(CompiledRuleSet rs) {
        long total = 0;
        for (RuleDefinition r : rs.rules()) {
            total += cost(r.when());
            if (r.sequence() != null) {
                for (SequenceStep s : r.sequence().steps()) {
                    total += cost(s.where()) + cost(s.until());
                }
            }
        }
        return total;
    }

    private static long cost(RuleDefinition r, String expr, String what, List<RuleProblem> problems) {
        long c = cost(expr);
        if (c > MAX_CONDITION_COST) {
            problems.add(new RuleProblem(
                    r.file(),
                    r.line(),
                    1,
                    "rule " + r.id() + ": the " + what + " may evaluate " + c
                            + " expression nodes on one payment (worst case); the limit is " + MAX_CONDITION_COST));
        }
        return c;
    }

    /** The worst-case number of nodes evaluating {@code expr} visits; 0 for none. */
    public static long cost(String expr) {
        if (expr == null || expr.isBlank()) {
            return 0;
        }
        try {
            return cost(PARSER.parse(expr).getAst().getExpr());
        } catch (CelValidationException e) {
            // The compiler reports the syntax error; a condition that does not parse never runs.
            return 0;
        }
    }

    private static long cost(CelExpr e) {
        return switch (e.getKind()) {
            case CONSTANT, IDENT, NOT_SET -> 1;
            case SELECT -> 1 + cost(e.select().operand());
            case CALL -> {
                long c = (e.call().function().equals("matches") ? MATCHES_COST : 1)
                        + e.call().target().map(RuleSetLimits::cost).orElse(0L);
                for (CelExpr a : e.call().args()) {
                    c += cost(a);
                }
                yield c;
            }
            case LIST -> {
                long c = 1;
                for (CelExpr a : e.list().elements()) {
                    c += cost(a);
                }
                yield c;
            }
            case MAP -> {
                long c = 1;
                for (CelExpr.CelMap.Entry en : e.map().entries()) {
                    c += cost(en.key()) + cost(en.value());
                }
                yield c;
            }
            case STRUCT -> {
                long c = 1;
                for (CelExpr.CelStruct.Entry en : e.struct().entries()) {
                    c += cost(en.value());
                }
                yield c;
            }
            case COMPREHENSION -> {
                CelExpr.CelComprehension k = e.comprehension();
                long body = cost(k.loopCondition()) + cost(k.loopStep());
                yield 1
                        + cost(k.iterRange())
                        + cost(k.accuInit())
                        + saturatingMultiply(iterations(k.iterRange()), body)
                        + cost(k.result());
            }
        };
    }

    /** How many elements a comprehension over {@code range} may iterate. */
    private static long iterations(CelExpr range) {
        return switch (range.getKind()) {
            case LIST -> range.list().elements().size();
            case MAP -> range.map().entries().size();
            default -> MAX_ITERATIONS;
        };
    }

    private static long saturatingMultiply(long a, long b) {
        long r = a * b;
        return (a != 0 && (r / a != b || r < 0)) ? Long.MAX_VALUE / 4 : r;
    }
}
