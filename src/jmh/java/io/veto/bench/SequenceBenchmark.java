package io.veto.bench;

import io.veto.event.PaymentEvent;
import io.veto.rule.CompiledRuleSet;
import io.veto.rule.CompiledSequence;
import io.veto.rule.SequenceDefinition;
import io.veto.rule.SequenceMatch;
import io.veto.sequence.InMemoryKeyedStateStore;
import io.veto.sequence.SequenceHost;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-payment cost of the default sequence rules: each payment of a generated day, in event
 * time order, through {@link SequenceHost} with the card sequences of {@code rules/default}
 * (flink-cep NFAs, CEL step conditions, the shared buffer), on heap state as {@code rules test}
 * uses it, so the figure is the matching work without RocksDB's (de)serialization. Baseline: the
 * same loop with no sequence active — the key switch and the clock lookup every payment pays.
 * The day repeats with its times shifted a day on, so partial matches keep expiring as they would.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 3,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Thread)
public class SequenceBenchmark {
    private PaymentEvent[] day;
    private List<CompiledSequence> cardSequences;
    private InMemoryKeyedStateStore state;
    private SequenceHost host;
    private int i;
    private long shift;
    private long matches;

    @Setup(Level.Trial)
    public void setUp() {
        CompiledRuleSet rules = BenchData.rules();
        cardSequences = rules.sequences(SequenceDefinition.SequenceKey.CARD);
        day = BenchData.day();
        state = new InMemoryKeyedStateStore();
        host = new SequenceHost(
                state, TypeInformation.of(PaymentEvent.class).createSerializer(new SerializerConfigImpl()), null);
        System.out.printf(
                "%n[setup] %d card sequence rules %s over %d payments a day%n",
                cardSequences.size(),
                cardSequences.stream().map(CompiledSequence::ruleId).toList(),
                day.length);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        System.out.printf("%n[teardown] %d matches; %d state entries held%n", matches, state.entries());
        host.close();
    }

    private PaymentEvent next() {
        if (i == day.length) {
            i = 0;
            shift += BenchData.DAY;
        }
        PaymentEvent p = day[i++];
        return shift == 0 ? p : BenchData.shifted(p, shift);
    }

    @Benchmark
    public List<SequenceMatch> cardSequences() throws Exception {
        PaymentEvent p = next();
        state.setCurrentKey(p.cardToken());
        List<SequenceMatch> m = host.onEvent(p, cardSequences, t -> {});
        matches += m.size();
        return m;
    }

    @Benchmark
    public List<SequenceMatch> baselineNoSequences() throws Exception {
        PaymentEvent p = next();
        state.setCurrentKey(p.cardToken());
        return host.onEvent(p, List.of(), t -> {});
    }
}
