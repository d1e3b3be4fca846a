package io.veto.bench;

import io.veto.event.PaymentEvent;
import io.veto.event.PaymentEventSerializer;
import java.io.IOException;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A parsed payment crossing a network channel between operators (it crosses four or five on its
 * way to a decision, and waits in state): serialize then deserialize with
 * {@link PaymentEventSerializer}, against Flink's POJO serializer of the record.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 3,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Thread)
public class EventSerializationBenchmark {
    private PaymentEvent[] payments;
    private TypeSerializer<PaymentEvent> pojo;
    private final DataOutputSerializer out = new DataOutputSerializer(1024);
    private final DataInputDeserializer in = new DataInputDeserializer();
    private int i;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        PaymentEvent[] day = BenchData.day();
        int[] idx = BenchData.sample(day.length);
        payments = new PaymentEvent[BenchData.N];
        for (int k = 0; k < BenchData.N; k++) {
            payments[k] = day[idx[k]];
        }
        pojo = FlinkPojo.serializer(PaymentEvent.class);
        out.clear();
        PaymentEventSerializer.INSTANCE.serialize(payments[0], out);
        int own = out.length();
        out.clear();
        pojo.serialize(payments[0], out);
        System.out.printf(
                "%n[setup] a payment is %d bytes serialized (Flink's POJO serializer: %d)%n", own, out.length());
    }

    private PaymentEvent roundTrip(TypeSerializer<PaymentEvent> s) throws IOException {
        PaymentEvent p = payments[i];
        i = (i + 1) & BenchData.MASK;
        out.clear();
        s.serialize(p, out);
        in.setBuffer(out.getSharedBuffer(), 0, out.length());
        return s.deserialize(in);
    }

    @Benchmark
    public PaymentEvent writeAndRead() throws IOException {
        return roundTrip(PaymentEventSerializer.INSTANCE);
    }

    /** Baseline: Flink's POJO serializer of the record. */
    @Benchmark
    public PaymentEvent baselineFlinkPojo() throws IOException {
        return roundTrip(pojo);
    }
}
