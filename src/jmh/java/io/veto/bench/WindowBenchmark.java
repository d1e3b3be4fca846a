package io.veto.bench;

import io.veto.event.PaymentEvent;
import io.veto.feature.Entity;
import io.veto.feature.EventWindow;
import io.veto.feature.FeatureSpec;
import io.veto.feature.WindowNeeds;
import io.veto.rule.CompiledRuleSet;
import java.util.Arrays;
import java.util.Set;
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
 * One payment's window work in a card's {@link EventWindow}, with the calls
 * {@code CardScorer.decide} makes: track the rule set's needs, add the payment, compute every card
 * feature of the rule set ({@code rules/default}, or {@code -Dveto.rules=DIR}), expire what no
 * later payment can need. Payments arrive evenly spaced over the longest horizon, so the features
 * see exactly {@code windowSize} payments (the window holds one more until the watermark passes it).
 *
 * <p>The payments are the generated ones (amounts, fields) with synthetic times; every
 * {@link BenchData#N} payments the window is rebuilt from its {@code windowSize} predecessors, which
 * costs about {@code windowSize / N} of an operation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 3,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Thread)
public class WindowBenchmark {
    @Param({"1", "10", "100"})
    public int windowSize;

    /** Iterated as {@code CardScorer} does: the rule set's own (ordered, unmodifiable) set. */
    private Set<FeatureSpec> features;

    private WindowNeeds needs;
    private long horizon;
    /** The window's payments before the cycle, then the cycle's payments, times ascending. */
    private PaymentEvent[] prefill;

    private PaymentEvent[] cycle;
    private EventWindow window;
    private int i;

    @Setup(Level.Trial)
    public void setUp() {
        CompiledRuleSet rules = BenchData.rules();
        features = rules.features(Entity.CARD);
        needs = WindowNeeds.of(features);
        horizon = rules.maxHorizon(Entity.CARD);
        if (horizon <= 0) {
            throw new IllegalStateException("the rule set reads no card feature: nothing to benchmark");
        }
        long step = Math.max(1, horizon / windowSize);
        PaymentEvent[] sample = Arrays.copyOf(BenchData.day(), BenchData.N);
        long t0 = sample[0].eventTime() + windowSize * step;
        prefill = new PaymentEvent[windowSize];
        for (int k = 0; k < windowSize; k++) {
            PaymentEvent p = sample[BenchData.N - windowSize + k];
            prefill[k] = BenchData.shifted(p, t0 - (windowSize - k) * step - p.eventTime());
        }
        cycle = new PaymentEvent[BenchData.N];
        for (int k = 0; k < BenchData.N; k++) {
            cycle[k] = BenchData.shifted(sample[k], t0 + k * step - sample[k].eventTime());
        }
        rebuild();
        EventWindow w = window;
        update(cycle[0], null);
        if (w.size < windowSize || w.size > windowSize + 1) {
            throw new IllegalStateException("window holds " + w.size + " payments, expected " + windowSize);
        }
        rebuild();
    }

    @Benchmark
    public void trackAddComputeExpire(Blackhole bh) {
        int k = i;
        if (k == 0) {
            rebuild();
        }
        i = (k + 1) & BenchData.MASK;
        update(cycle[k], bh);
    }

    private void rebuild() {
        window = new EventWindow();
        for (PaymentEvent p : prefill) {
            update(p, null);
        }
    }

    private void update(PaymentEvent p, Blackhole bh) {
        EventWindow w = window;
        long ts = p.eventTime();
        w.track(needs);
        w.add(p);
        for (FeatureSpec s : features) {
            double v = w.compute(s, p);
            if (bh != null) {
                bh.consume(v);
            }
        }
        w.expire(Math.min(BenchData.watermarkFor(ts), ts), horizon);
    }
}
