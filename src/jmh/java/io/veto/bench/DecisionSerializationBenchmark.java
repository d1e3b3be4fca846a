package io.veto.bench;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.veto.decision.Decision;
import io.veto.decision.Reason;
import io.veto.decision.ShadowResult;
import io.veto.event.PaymentEvent;
import io.veto.kafka.DecisionJson;
import io.veto.rule.CompiledRuleSet;
import io.veto.scoring.CardScorer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
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
 * Writing one decision as the decisions topic's JSON: {@link DecisionJson#write} (streaming
 * generator) against a baseline of Jackson's {@code ObjectMapper.writeValueAsBytes} of an
 * equivalent, prebuilt {@code Map} (same fields and values, times already formatted).
 *
 * <p>The decisions are the ones {@link CardScorer} makes for a sample of the generated payments,
 * each given 0 to 3 reasons (evenly, seeded) drawn from the reasons the rule set really produced
 * on that day, so every shape of decision is exercised.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 3,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Thread)
public class DecisionSerializationBenchmark {
    private Decision[] decisions;
    private Map<?, ?>[] maps;
    private final ObjectMapper mapper = new ObjectMapper();
    private int i;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        CompiledRuleSet rules = BenchData.rules();
        CardScorer scorer = new CardScorer(rules);
        BenchData.Windows windows = new BenchData.Windows(rules);
        for (PaymentEvent p : BenchData.history()) {
            windows.add(p, false);
        }
        PaymentEvent[] day = BenchData.day();
        int[] idx = BenchData.sample(day.length);
        Decision[] scored = new Decision[BenchData.N];
        List<Reason> pool = new ArrayList<>();
        for (int k = 0, s = 0; k < day.length; k++) {
            PaymentEvent p = day[k];
            Decision d = scorer.decide(windows.of(p), p, BenchData.watermarkFor(p.eventTime()), p.eventTime() + 5);
            pool.addAll(List.of(d.reasons()));
            if (d.shadow() != null) {
                pool.addAll(List.of(d.shadow().reasons()));
            }
            if (s < BenchData.N && idx[s] == k) {
                scored[s++] = d;
            }
        }
        if (pool.isEmpty()) {
            pool.add(new Reason(
                    "card-velocity-10m",
                    50,
                    null,
                    "7 payments on this card in the last 10 minutes (card.count_10m=7)"));
        }

        SplittableRandom rnd = new SplittableRandom(BenchData.SEED);
        decisions = new Decision[BenchData.N];
        maps = new Map<?, ?>[BenchData.N];
        long bytes = 0;
        int[] shapes = new int[4];
        for (int k = 0; k < BenchData.N; k++) {
            Decision d = scored[k];
            int n = rnd.nextInt(4);
            shapes[n]++;
            Reason[] reasons = new Reason[n];
            int score = 0;
            for (int r = 0; r < n; r++) {
                reasons[r] = pool.get(rnd.nextInt(pool.size()));
                score += reasons[r].points();
            }
            decisions[k] = new Decision(
                    d.paymentId(),
                    d.eventId(),
                    rules.outcomeFor(score),
                    score,
                    reasons,
                    d.ruleSetVersion(),
                    d.shadow(),
                    d.eventTime(),
                    d.decidedAt(),
                    d.late(),
                    d.cardToken(),
                    d.cardBin(),
                    d.cardLast4(),
                    d.featureNames(),
                    d.featureValues());
            maps[k] = asMap(decisions[k]);
            byte[] streamed = DecisionJson.write(decisions[k]);
            byte[] viaMap = mapper.writeValueAsBytes(maps[k]);
            if (!mapper.readTree(streamed).equals(mapper.readTree(viaMap))) {
                throw new IllegalStateException("the baseline map does not match DecisionJson for " + d.paymentId()
                        + ":\n" + new String(streamed) + "\n" + new String(viaMap));
            }
            bytes += streamed.length;
        }
        System.out.printf(
                "%n[setup] %d decisions with 0/1/2/3 reasons: %d/%d/%d/%d; %d distinct real reasons; mean %d bytes of JSON%n",
                BenchData.N,
                shapes[0],
                shapes[1],
                shapes[2],
                shapes[3],
                pool.stream().distinct().count(),
                bytes / BenchData.N);
    }

    @Benchmark
    public byte[] decisionJson() {
        Decision d = decisions[i];
        i = (i + 1) & BenchData.MASK;
        return DecisionJson.write(d);
    }

    /**
     * Baseline: DecisionJson as it was before its fast paths (a generator per decision,
     * {@code Instant.toString}, Jackson's double formatting): the same text.
     */
    @Benchmark
    public byte[] baselineGeneratorPerDecision() throws IOException {
        Decision d = decisions[i];
        i = (i + 1) & BenchData.MASK;
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = PLAIN.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("paymentId", d.paymentId());
            g.writeStringField("eventId", d.eventId());
            g.writeStringField("decision", d.decision().name());
            g.writeNumberField("score", d.score());
            plainReasons(g, d.reasons());
            g.writeStringField("ruleSetVersion", d.ruleSetVersion());
            if (d.shadow() == null) {
                g.writeNullField("shadow");
            } else {
                g.writeObjectFieldStart("shadow");
                g.writeStringField("decision", d.shadow().decision());
                g.writeNumberField("score", d.shadow().score());
                plainReasons(g, d.shadow().reasons());
                g.writeEndObject();
            }
            g.writeStringField("eventTime", Instant.ofEpochMilli(d.eventTime()).toString());
            g.writeStringField("decidedAt", Instant.ofEpochMilli(d.decidedAt()).toString());
            g.writeBooleanField("late", d.late());
            if (d.cardToken() != null) {
                g.writeStringField("cardToken", d.cardToken());
            }
            if (d.cardBin() != null) {
                g.writeStringField("cardBin", d.cardBin());
            }
            if (d.cardLast4() != null) {
                g.writeStringField("cardLast4", d.cardLast4());
            }
            g.writeObjectFieldStart("features");
            for (int k = 0; k < d.featureNames().length; k++) {
                g.writeNumberField(d.featureNames()[k], d.featureValues()[k]);
            }
            g.writeEndObject();
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    private static final JsonFactory PLAIN = new JsonFactory();

    private static void plainReasons(JsonGenerator g, Reason[] reasons) throws IOException {
        g.writeArrayFieldStart("reasons");
        for (Reason r : reasons) {
            g.writeStartObject();
            g.writeStringField("ruleId", r.ruleId());
            g.writeNumberField("points", r.points());
            if (r.outcome() != null) {
                g.writeStringField("outcome", r.outcome());
            }
            g.writeStringField("detail", r.detail());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /** Baseline: Jackson data binding of the same decision as a prebuilt {@code Map}. */
    @Benchmark
    public byte[] baselineJacksonMap() throws JsonProcessingException {
        Map<?, ?> m = maps[i];
        i = (i + 1) & BenchData.MASK;
        return mapper.writeValueAsBytes(m);
    }

    /** The decision as the field-for-field map DecisionJson writes (see the README's decisions table). */
    private static Map<String, Object> asMap(Decision d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("paymentId", d.paymentId());
        m.put("eventId", d.eventId());
        m.put("decision", d.decision().name());
        m.put("score", d.score());
        m.put("reasons", reasons(d.reasons()));
        m.put("ruleSetVersion", d.ruleSetVersion());
        ShadowResult s = d.shadow();
        if (s == null) {
            m.put("shadow", null);
        } else {
            Map<String, Object> sm = new LinkedHashMap<>();
            sm.put("decision", s.decision());
            sm.put("score", s.score());
            sm.put("reasons", reasons(s.reasons()));
            m.put("shadow", sm);
        }
        m.put("eventTime", Instant.ofEpochMilli(d.eventTime()).toString());
        m.put("decidedAt", Instant.ofEpochMilli(d.decidedAt()).toString());
        m.put("late", d.late());
        if (d.cardToken() != null) {
            m.put("cardToken", d.cardToken());
        }
        if (d.cardBin() != null) {
            m.put("cardBin", d.cardBin());
        }
        if (d.cardLast4() != null) {
            m.put("cardLast4", d.cardLast4());
        }
        Map<String, Object> features = new LinkedHashMap<>();
        for (int i = 0; i < d.featureNames().length; i++) {
            features.put(d.featureNames()[i], d.featureValues()[i]);
        }
        m.put("features", features);
        return m;
    }

    private static List<Map<String, Object>> reasons(Reason[] reasons) {
        List<Map<String, Object>> out = new ArrayList<>(reasons.length);
        for (Reason r : reasons) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("ruleId", r.ruleId());
            m.put("points", r.points());
            if (r.outcome() != null) {
                m.put("outcome", r.outcome());
            }
            m.put("detail", r.detail());
            out.add(m);
        }
        return out;
    }
}
