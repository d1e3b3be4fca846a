package io.veto.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.veto.event.CardTokenizer;
import io.veto.event.EventParser;
import io.veto.event.InvalidEventException;
import io.veto.event.PaymentEvent;
import java.io.IOException;
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
 * Parsing one payments-topic record: {@link EventParser#parse} (JSON tree with exact decimals,
 * validation, raw PAN → HMAC-SHA256 token) against a bare Jackson {@code readTree} of the same
 * bytes, and the tokenization alone, so parse cost can be quoted as a multiple of a JSON parse.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 3,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Thread)
public class ParseBenchmark {
    private byte[][] json;
    private String[] pans;
    private EventParser parser;
    private CardTokenizer tokenizer;
    private final ObjectMapper plainMapper = new ObjectMapper();
    private int i;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        json = BenchData.sampleJson();
        parser = BenchData.parser();
        tokenizer = new CardTokenizer(BenchData.PAN_KEY);
        pans = new String[BenchData.N];
        long bytes = 0;
        for (int k = 0; k < BenchData.N; k++) {
            pans[k] = plainMapper.readTree(json[k]).get("pan").asText();
            bytes += json[k].length;
        }
        System.out.printf("%n[setup] %d payment records, mean %d bytes%n", BenchData.N, bytes / BenchData.N);
    }

    /** The job's parse: validated {@link PaymentEvent} with the PAN tokenized. */
    @Benchmark
    public PaymentEvent parse() throws InvalidEventException {
        byte[] b = json[i];
        i = (i + 1) & BenchData.MASK;
        return parser.parse(b, BenchData.SOURCE);
    }

    /** Baseline: a plain {@code new ObjectMapper().readTree} of the same bytes, nothing else. */
    @Benchmark
    public JsonNode baselineJacksonReadTree() throws IOException {
        byte[] b = json[i];
        i = (i + 1) & BenchData.MASK;
        return plainMapper.readTree(b);
    }

    /** The HMAC-SHA256 tokenization part of {@link #parse()} alone. */
    @Benchmark
    public String tokenizePan() {
        String pan = pans[i];
        i = (i + 1) & BenchData.MASK;
        return tokenizer.token(pan);
    }
}
