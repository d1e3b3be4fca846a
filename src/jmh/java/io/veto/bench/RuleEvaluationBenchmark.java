package io.veto.bench;

import dev.cel.common.CelOptions;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.veto.decision.Decision;
import io.veto.decision.Outcome;
import io.veto.event.PaymentEvent;
import io.veto.feature.Entity;
import io.veto.feature.EventWindow;
import io.veto.rule.CompiledRuleSet;
import io.veto.rule.Evaluation;
import io.veto.rule.PaymentVariables;
import io.veto.scoring.CardScorer;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
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
 * Deciding one payment without Flink: the rule set alone ({@link CompiledRuleSet#evaluate}: CEL
 * conditions, lists, explanations of the rules that fire) on a sample of payments with their card
 * features, and the whole per-payment decision ({@link CardScorer#decide}: window add, card
 * features, expire, rules, the {@link Decision}) over a day of payments with live card windows.
 * Baseline: one trivial CEL condition ({@code amount > 100.0}) evaluated with the same variable
 * resolver, the cost of a single rule; {@link #evaluateOneRuleSet} is that condition as a whole
 * rule set, so evaluate()'s fixed cost shows. The rule set is {@code rules/default}, or
 * {@code -Dveto.rules=DIR}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 3,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Thread)
public class RuleEvaluationBenchmark {
    private BenchData.Sample data;
    private CompiledRuleSet rules;
    private CompiledRuleSet oneRule;
    private CelRuntime.Program trivial;
    private final PaymentVariables vars = new PaymentVariables();

    // cardScorerDecide: the whole measured day in event-time order, each payment with its card's window.
    private CardScorer scorer;
    private PaymentEvent[] day;
    private EventWindow[] windowOf;
    private int d;
    private long shift;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        rules = BenchData.rules();
        data = BenchData.Sample.of(rules);

        // The card windows at the start of the measured day, then the day cycled through day after day.
        scorer = new CardScorer(rules);
        BenchData.Windows windows = new BenchData.Windows(rules);
        for (PaymentEvent p : BenchData.history()) {
            windows.add(p, false);
        }
        day = BenchData.day();
        windowOf = new EventWindow[day.length];
        for (int k = 0; k < day.length; k++) {
            windowOf[k] = windows.of(day[k]);
        }

        // The same condition as a one-rule set, to separate evaluate()'s fixed cost from the rules'.
        oneRule = BenchData.compile(BenchData.ruleSet(
                "one-rule", 40, 80, "rules:\n  - id: trivial\n    when: amount > 100.0\n    points: 10\n"));

        // The trivial condition with the job's variable declarations and CEL options (as RuleSetCompiler).
        CelOptions options = CelOptions.current()
                .enableHeterogeneousNumericComparisons(true)
                .maxExpressionCodePointSize(2000)
                .maxParseRecursionDepth(64)
                .comprehensionMaxIterations(1000)
                .maxRegexProgramSize(1000)
                .build();
        var builder = CelCompilerFactory.standardCelCompilerBuilder()
                .setOptions(options)
                .setResultType(SimpleType.BOOL);
        PaymentVariables.FIELDS.forEach(builder::addVar);
        for (Entity e : Entity.values()) {
            builder.addVar(e.ruleName(), PaymentVariables.FEATURE_MAP);
        }
        CelCompiler compiler = builder.build();
        CelRuntime runtime = CelRuntimeFactory.standardCelRuntimeBuilder()
                .setOptions(options)
                .build();
        trivial = runtime.createProgram(compiler.compile("amount > 100.0").getAst());

        // What the measured payments make the rules say, so the figures can be read against it.
        EnumMap<Outcome, Integer> outcomes = new EnumMap<>(Outcome.class);
        Map<String, Integer> firedBy = new TreeMap<>();
        int fired = 0;
        int failing = 0;
        int trivialTrue = 0;
        for (int k = 0; k < BenchData.N; k++) {
            Evaluation ev = rules.evaluate(data.payments[k], data.values[k]);
            outcomes.merge(ev.outcome(), 1, Integer::sum);
            fired += ev.reasons().isEmpty() && ev.shadowReasons().isEmpty() ? 0 : 1;
            ev.reasons().forEach(r -> firedBy.merge(r.ruleId(), 1, Integer::sum));
            ev.shadowReasons().forEach(r -> firedBy.merge(r.ruleId() + "(shadow)", 1, Integer::sum));
            failing += ev.errors() > 0 ? 1 : 0;
            vars.reset(data.payments[k], data.values[k]);
            trivialTrue += Boolean.TRUE.equals(trivial.eval(vars)) ? 1 : 0;
        }
        System.out.printf(
                "%n[setup] rule set %s, %d rules, card features %s%n[setup] %s%n"
                        + "[setup] outcomes %s; %d payments with a rule firing, by rule %s; 'amount > 100.0' true for %d%n",
                rules.version(),
                rules.size(),
                rules.features(Entity.CARD).stream().map(s -> s.qualifiedName()).toList(),
                data.profile(),
                outcomes,
                fired,
                firedBy,
                trivialTrue);
        if (failing > 0) {
            System.out.printf(
                    "[setup] WARNING: %d of %d payments have rules that cannot be evaluated (exception per rule and"
                            + " payment, logged at WARN by the job): the figures include that error path%n",
                    failing, BenchData.N);
        }
    }

    /** The default rule set on one payment and its card features: all conditions, explanations of those that fire. */
    @Benchmark
    public Evaluation evaluateRuleSet() {
        return data.evaluate(rules);
    }

    /**
     * The whole decision of one payment with its card's window, as the operator makes it: window
     * add, card features, expire, rules, the Decision. The day's payments come in event-time order
     * and each pass is shifted by a day, so windows carry over as in the job (heap state, no
     * serialization); the shifted copy of the payment costs {@link #controlShiftedCopy}.
     */
    @Benchmark
    public Decision cardScorerDecide() {
        int k = d;
        PaymentEvent p = BenchData.shifted(day[k], shift);
        EventWindow w = windowOf[k];
        if (++k == day.length) {
            k = 0;
            shift += BenchData.DAY;
        }
        d = k;
        long ts = p.eventTime();
        return scorer.decide(w, p, BenchData.watermarkFor(ts), ts + 5);
    }

    /** Control for {@link #cardScorerDecide}: only its per-payment shifted copy of the event. */
    @Benchmark
    public PaymentEvent controlShiftedCopy() {
        return BenchData.shifted(data.payments[data.next()], shift);
    }

    /** A rule set holding only {@code amount > 100.0}: evaluate()'s fixed cost plus one rule (and its explanation when it fires). */
    @Benchmark
    public Evaluation evaluateOneRuleSet() {
        return data.evaluate(oneRule);
    }

    /** Baseline: one CEL program, {@code amount > 100.0}, with the same variable resolver: the cost of one rule. */
    @Benchmark
    public Object baselineSingleCelProgram() throws CelEvaluationException {
        int k = data.next();
        return trivial.eval(vars.reset(data.payments[k], data.values[k]));
    }
}
