package io.veto.bench;

import io.veto.event.PaymentEvent;
import io.veto.feature.Aggregate;
import io.veto.feature.Entity;
import io.veto.feature.EventWindow;
import io.veto.feature.FeatureSpec;
import io.veto.feature.WindowNeeds;
import io.veto.rule.CompiledRuleSet;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * One entity request's window work in the entity stage ({@code EntityFeatureOperator}): track the
 * rule set's needs, add the payment, compute every feature the rule set reads of that entity
 * ({@code rules/default}: distinct cards per merchant, device and IP, the merchant's largest
 * amount), expire. Payments come evenly spaced over the longest horizon so the window holds
 * {@code windowSize} of them: a device or IP holds a few; a merchant at 5,000 payments/s over 20,000
 * merchants holds about 150 in its 10 minutes, a popular one more. The distinct counts are over
 * the generated payments' real card tokens.
 *
 * <p>Baseline: the same window kept for a plain {@code count} over the same horizon (no value
 * hashes, no distinct set), so the ratio is what counting distinct cards costs.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 3,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Thread)
public class EntityWindowBenchmark {
    @Param({"merchant", "device", "ip"})
    public String entity;

    @Param({"10", "300"})
    public int windowSize;

    private Updater features;
    private Updater countOnly;

    /** A window, the features computed on it, and the payments it cycles through. */
    private static final class Updater {
        final FeatureSpec[] specs;
        final WindowNeeds needs;
        final long horizon;
        final PaymentEvent[] prefill;
        final PaymentEvent[] cycle;
        EventWindow window;
        int i;

        Updater(FeatureSpec[] specs, PaymentEvent[] prefill, PaymentEvent[] cycle) {
            this.specs = specs;
            this.needs = WindowNeeds.of(Arrays.asList(specs));
            this.horizon = needs.horizon();
            this.prefill = prefill;
            this.cycle = cycle;
            rebuild();
        }

        void rebuild() {
            window = new EventWindow();
            for (PaymentEvent p : prefill) {
                update(p, null);
            }
        }

        void next(Blackhole bh) {
            int k = i;
            if (k == 0) {
                rebuild();
            }
            i = (k + 1) & BenchData.MASK;
            update(cycle[k], bh);
        }

        void update(PaymentEvent p, Blackhole bh) {
            EventWindow w = window;
            long ts = p.eventTime();
            w.track(needs);
            w.add(p);
            for (FeatureSpec s : specs) {
                double v = w.compute(s, p);
                if (bh != null) {
                    bh.consume(v);
                }
            }
            w.expire(Math.min(BenchData.watermarkFor(ts), ts), horizon);
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        CompiledRuleSet rules = BenchData.rules();
        Entity e = Entity.fromRuleName(entity);
        FeatureSpec[] specs = rules.features(e).toArray(new FeatureSpec[0]);
        if (specs.length == 0) {
            throw new IllegalStateException("the rule set reads no " + entity + " feature: nothing to benchmark");
        }
        long horizon = rules.maxHorizon(e);
        long step = Math.max(1, horizon / windowSize);
        PaymentEvent[] sample = Arrays.copyOf(BenchData.day(), BenchData.N);
        long t0 = sample[0].eventTime() + windowSize * step;
        PaymentEvent[] prefill = new PaymentEvent[windowSize];
        for (int k = 0; k < windowSize; k++) {
            PaymentEvent p = sample[BenchData.N - windowSize + k];
            prefill[k] = BenchData.shifted(p, t0 - (windowSize - k) * step - p.eventTime());
        }
        PaymentEvent[] cycle = new PaymentEvent[BenchData.N];
        for (int k = 0; k < BenchData.N; k++) {
            cycle[k] = BenchData.shifted(sample[k], t0 + k * step - sample[k].eventTime());
        }
        features = new Updater(specs, prefill, cycle);
        countOnly = new Updater(new FeatureSpec[] {new FeatureSpec(e, Aggregate.COUNT, null, horizon)}, prefill, cycle);
        features.update(cycle[0], null);
        if (features.window.size < windowSize || features.window.size > windowSize + 1) {
            throw new IllegalStateException(
                    "window holds " + features.window.size + " payments, expected " + windowSize);
        }
        features.rebuild();
        System.out.printf(
                "%n[setup] %s features %s over %d payments%n",
                entity, Arrays.stream(specs).map(FeatureSpec::qualifiedName).toList(), windowSize);
    }

    /** The rule set's features of the entity, as the entity stage computes them for one request. */
    @Benchmark
    public void trackAddComputeExpire(Blackhole bh) {
        features.next(bh);
    }

    /** Baseline: the same window for a plain count. */
    @Benchmark
    public void baselineCountOnly(Blackhole bh) {
        countOnly.next(bh);
    }
}
