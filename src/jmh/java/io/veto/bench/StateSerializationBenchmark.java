package io.veto.bench;

import io.veto.event.PaymentEvent;
import io.veto.feature.Entity;
import io.veto.feature.EventWindow;
import io.veto.feature.EventWindowSerializer;
import io.veto.feature.FeatureSpec;
import io.veto.feature.WindowNeeds;
import io.veto.rule.CompiledRuleSet;
import java.io.IOException;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
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

/**
 * Reading and writing a window as RocksDB state does on every event: serialize then deserialize
 * with {@link EventWindowSerializer}, against Flink's POJO serializer of the same class (what the
 * job used before). {@code card}: the card windows of a day of generated payments with the
 * default rules (a handful of payments each); {@code merchant}: a merchant window of 150 payments
 * with the default rules' merchant features (distinct cards: a value hash per payment).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 3,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Thread)
public class StateSerializationBenchmark {
    @Param({"card", "merchant"})
    public String window;

    private EventWindow[] windows;
    private final TypeSerializer<EventWindow> own = EventWindowSerializer.INSTANCE;
    private TypeSerializer<EventWindow> pojo;
    private final DataOutputSerializer out = new DataOutputSerializer(4096);
    private final DataInputDeserializer in = new DataInputDeserializer();
    private int i;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        pojo = FlinkPojo.serializer(EventWindow.class);
        CompiledRuleSet rules = BenchData.rules();
        windows = new EventWindow[BenchData.N];
        if (window.equals("card")) {
            BenchData.Windows w = new BenchData.Windows(rules);
            for (PaymentEvent p : BenchData.history()) {
                w.add(p, false);
            }
            PaymentEvent[] day = BenchData.day();
            int[] idx = BenchData.sample(day.length);
            for (int k = 0; k < BenchData.N; k++) {
                windows[k] = w.of(day[idx[k]]);
            }
        } else {
            Set<FeatureSpec> specs = rules.features(Entity.MERCHANT);
            WindowNeeds needs = WindowNeeds.of(specs);
            long horizon = rules.maxHorizon(Entity.MERCHANT);
            PaymentEvent[] day = BenchData.day();
            EventWindow w = new EventWindow();
            long t0 = day[0].eventTime();
            for (int k = 0; k < day.length && k < BenchData.N + 150; k++) {
                PaymentEvent p = BenchData.shifted(day[k], t0 + k * (horizon / 150) - day[k].eventTime());
                w.track(needs);
                w.add(p);
                w.expire(p.eventTime() - BenchData.OUT_OF_ORDERNESS_MILLIS, horizon);
                if (k >= 150) {
                    windows[k - 150] = EventWindowSerializer.INSTANCE.copy(w);
                }
            }
        }
        long ownBytes = 0;
        long pojoBytes = 0;
        for (EventWindow w : windows) {
            ownBytes += size(own, w);
            pojoBytes += size(pojo, w);
        }
        System.out.printf(
                "%n[setup] %s windows: mean %.0f payments, %d bytes serialized (Flink's POJO serializer: %d)%n",
                window,
                Arrays.stream(windows).mapToInt(x -> x.size).average().orElse(0),
                ownBytes / BenchData.N,
                pojoBytes / BenchData.N);
    }

    private int size(TypeSerializer<EventWindow> s, EventWindow w) throws IOException {
        out.clear();
        s.serialize(w, out);
        return out.length();
    }

    private EventWindow roundTrip(TypeSerializer<EventWindow> s) throws IOException {
        EventWindow w = windows[i];
        i = (i + 1) & BenchData.MASK;
        out.clear();
        s.serialize(w, out);
        in.setBuffer(out.getSharedBuffer(), 0, out.length());
        return s.deserialize(in);
    }

    /** Write and read back one window with Veto's serializer. */
    @Benchmark
    public EventWindow writeAndRead() throws IOException {
        return roundTrip(own);
    }

    /** Baseline: the same with Flink's POJO serializer. */
    @Benchmark
    public EventWindow baselineFlinkPojo() throws IOException {
        return roundTrip(pojo);
    }
}
