package io.veto.bench;

import io.veto.event.EventParser;
import io.veto.event.InvalidEventException;
import io.veto.event.PanPolicy;
import io.veto.event.PaymentEvent;
import io.veto.feature.Entity;
import io.veto.feature.EventWindow;
import io.veto.feature.FeatureSpec;
import io.veto.feature.FeatureValues;
import io.veto.feature.WindowNeeds;
import io.veto.generator.GeneratedEvent;
import io.veto.generator.GeneratorConfig;
import io.veto.generator.PaymentGenerator;
import io.veto.rule.CompiledRuleSet;
import io.veto.rule.Evaluation;
import io.veto.rule.RuleSet;
import io.veto.rule.RuleSetCompiler;
import io.veto.rule.RuleSetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The data every benchmark is built from, the same in every fork and every run: two days of
 * payments from {@link PaymentGenerator} with a fixed seed (10,000 cards, a payment every ~2 s, 1%
 * in fraud scenarios: {@link GeneratorConfig#defaults()}), parsed and tokenized as the job does.
 * Day 0 only fills the card windows; day 1 is what is measured, so every measured payment meets
 * its card's window as the job would hold it (typically a handful of the card's payments of the
 * last 24 hours, up to a few dozen for busy cards and fraud bursts).
 *
 * <p>Benchmarks that cycle through the measured day shift each cycle by whole days
 * ({@link #shifted}): event time keeps increasing and the hour of day stays the same, so windows
 * carry over from one cycle to the next exactly as from one day to the next.
 *
 * <p>The stream can be made denser or sparser for experiments: {@code -Dveto.bench.cards},
 * {@code -Dveto.bench.gap-micros}, {@code -Dveto.bench.fraud-rate}.
 */
final class BenchData {
    /** Payments in the samples the per-record benchmarks cycle through; a power of two. */
    static final int N = 4096;

    static final int MASK = N - 1;
    static final long DAY = 86_400_000L;

    static final long SEED = 20_261_128L;
    static final byte[] PAN_KEY = "veto-benchmark-pan-key-0123456789".getBytes(StandardCharsets.US_ASCII);
    /** Watermark bound, as the job's default {@code --max-out-of-orderness 2s}. */
    static final long OUT_OF_ORDERNESS_MILLIS = 2_000L;
    /** What PaymentsDeserializer passes as the record's source. */
    static final String SOURCE = "payments/0/123456";

    private BenchData() {}

    static GeneratorConfig config() {
        GeneratorConfig d = GeneratorConfig.defaults();
        return d.withSeed(SEED)
                .withCards(Integer.getInteger("veto.bench.cards", d.cards()))
                .withMeanGapMicros(Long.getLong("veto.bench.gap-micros", d.meanGapMicros()))
                .withFraudRate(
                        Double.parseDouble(System.getProperty("veto.bench.fraud-rate", String.valueOf(d.fraudRate()))));
    }

    /** The two days: {@code history} (day 0) and {@code day} (day 1, measured), PAYMENT records only. */
    record Days(List<GeneratedEvent> history, List<GeneratedEvent> day) {}

    private static Days days;
    private static PaymentEvent[] historyParsed;
    private static PaymentEvent[] dayParsed;

    /** Generated once per JVM (fork) and shared by its setups. */
    static synchronized Days days() {
        if (days == null) {
            days = generateDays();
        }
        return days;
    }

    /** Day 0 parsed, once per JVM; callers must not modify the array. */
    static synchronized PaymentEvent[] history() {
        if (historyParsed == null) {
            historyParsed = parse(days().history());
        }
        return historyParsed;
    }

    /** Day 1 parsed, once per JVM; callers must not modify the array. */
    static synchronized PaymentEvent[] day() {
        if (dayParsed == null) {
            dayParsed = parse(days().day());
        }
        return dayParsed;
    }

    private static Days generateDays() {
        GeneratorConfig c = config();
        long start = c.startTime().toEpochMilli();
        PaymentGenerator g = new PaymentGenerator(c);
        List<GeneratedEvent> history = new ArrayList<>();
        List<GeneratedEvent> day = new ArrayList<>();
        while (true) {
            GeneratedEvent e = g.next();
            long t = e.eventTimeMillis() - start;
            if (t >= 2 * DAY) {
                break;
            }
            if (e.isPayment()) {
                (t < DAY ? history : day).add(e);
            }
        }
        if (day.size() < N) {
            throw new IllegalStateException("only " + day.size() + " payments in a day; need at least " + N);
        }
        return new Days(history, day);
    }

    /** {@link #N} indexes spread evenly over the measured day, so every hour of it is represented. */
    static int[] sample(int daySize) {
        int[] idx = new int[N];
        for (int k = 0; k < N; k++) {
            idx[k] = (int) ((long) k * daySize / N);
        }
        return idx;
    }

    /** The JSON of the sample's payments (raw PANs). */
    static byte[][] sampleJson() {
        List<GeneratedEvent> day = days().day();
        int[] idx = sample(day.size());
        byte[][] json = new byte[N][];
        for (int k = 0; k < N; k++) {
            json[k] = day.get(idx[k]).json();
        }
        return json;
    }

    static EventParser parser() {
        return new EventParser(PanPolicy.TOKENIZE, PAN_KEY, EventParser.DEFAULT_MAX_BYTES);
    }

    static PaymentEvent[] parse(List<GeneratedEvent> events) {
        EventParser parser = parser();
        PaymentEvent[] out = new PaymentEvent[events.size()];
        for (int i = 0; i < out.length; i++) {
            try {
                out[i] = parser.parse(events.get(i).json(), SOURCE);
            } catch (InvalidEventException e) {
                throw new IllegalStateException("generated payment does not parse: " + e.getMessage(), e);
            }
        }
        return out;
    }

    /** The rule-set directory: {@code -Dveto.rules=DIR}, by default {@code rules/default} (run from the repo root). */
    static Path rulesDir() {
        Path dir = Path.of(System.getProperty("veto.rules", "rules/default"));
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("rule set directory " + dir.toAbsolutePath()
                    + " not found: run the benchmarks from the repository root or pass -Dveto.rules=DIR");
        }
        return dir;
    }

    static CompiledRuleSet rules() {
        return compile(RuleSet.fromDirectory(rulesDir()));
    }

    /** A rule set of one rules file, {@code rulesYaml}, with these thresholds. */
    static RuleSet ruleSet(String name, int review, int deny, String rulesYaml) {
        return new RuleSet(
                name,
                new TreeMap<>(Map.of(
                        RuleSet.MANIFEST,
                        "name: " + name + "\nthresholds:\n  review: " + review + "\n  deny: " + deny + "\n",
                        "rules.yaml",
                        rulesYaml)));
    }

    static CompiledRuleSet compile(RuleSet rs) {
        try {
            return RuleSetCompiler.forJob().compile(rs);
        } catch (RuleSetException e) {
            throw new IllegalStateException("rule set does not compile: " + e.getMessage(), e);
        }
    }

    static long watermarkFor(long eventTime) {
        return eventTime - OUT_OF_ORDERNESS_MILLIS;
    }

    /** The same payment {@code shift} milliseconds later. */
    static PaymentEvent shifted(PaymentEvent p, long shift) {
        return new PaymentEvent(
                p.eventId(),
                p.type(),
                p.paymentId(),
                p.eventTime() + shift,
                p.cardToken(),
                p.bin(),
                p.last4(),
                p.customerId(),
                p.merchantId(),
                p.mcc(),
                p.terminalId(),
                p.amount(),
                p.currency(),
                p.country(),
                p.ip(),
                p.deviceId(),
                p.channel(),
                p.lat(),
                p.lon(),
                p.source());
    }

    /**
     * Card windows as the job keeps them, one per card token, filled in event-time order with the
     * same calls {@code CardScorer.decide} makes: track, add, compute each card feature, expire.
     */
    static final class Windows {
        final Set<FeatureSpec> features;
        final WindowNeeds needs;
        final long horizon;
        final Map<String, EventWindow> byCard = new HashMap<>();

        Windows(CompiledRuleSet rules) {
            features = rules.features(Entity.CARD);
            needs = WindowNeeds.of(features);
            horizon = rules.maxHorizon(Entity.CARD);
        }

        EventWindow of(PaymentEvent p) {
            return byCard.computeIfAbsent(p.cardToken(), k -> new EventWindow());
        }

        /** Adds the payment to its card's window; returns the card features, or null when {@code values} is false. */
        FeatureValues add(PaymentEvent p, boolean values) {
            FeatureValues v = values ? new FeatureValues() : null;
            if (horizon <= 0) {
                return v;
            }
            EventWindow w = of(p);
            w.track(needs);
            w.add(p);
            if (values) {
                for (FeatureSpec s : features) {
                    v.put(s, w.compute(s, p));
                }
            }
            w.expire(Math.min(watermarkFor(p.eventTime()), p.eventTime()), horizon);
            return v;
        }
    }

    /** The sample of the measured day with each payment's card features, after replaying everything before it. */
    static final class Sample {
        final PaymentEvent[] payments = new PaymentEvent[N];
        final FeatureValues[] values = new FeatureValues[N];
        /** Payments of the card in its window just before each sampled payment. */
        final int[] windowBefore = new int[N];

        int fraud;
        int daySize;
        /** The next payment to measure: each benchmark state has its own sample, so its own cursor. */
        private int cursor;

        /** The index of the next payment, cycling through the sample. */
        int next() {
            int k = cursor;
            cursor = (k + 1) & MASK;
            return k;
        }

        /** The next payment evaluated by {@code rules} with its card features. */
        Evaluation evaluate(CompiledRuleSet rules) {
            int k = next();
            return rules.evaluate(payments[k], values[k]);
        }

        static Sample of(CompiledRuleSet rules) {
            Days d = days();
            Windows windows = new Windows(rules);
            for (PaymentEvent p : history()) {
                windows.add(p, false);
            }
            PaymentEvent[] day = day();
            int[] idx = sample(day.length);
            Sample s = new Sample();
            s.daySize = day.length;
            int k = 0;
            for (int i = 0; i < day.length; i++) {
                boolean sampled = k < N && idx[k] == i;
                if (sampled) {
                    s.payments[k] = day[i];
                    s.windowBefore[k] = windows.of(day[i]).size;
                    s.fraud += d.day().get(i).isFraud() ? 1 : 0;
                }
                FeatureValues v = windows.add(day[i], sampled);
                if (sampled) {
                    s.values[k++] = v;
                }
            }
            return s;
        }

        String profile() {
            int[] sizes = windowBefore.clone();
            Arrays.sort(sizes);
            return String.format(
                    Locale.ROOT,
                    "%d payments sampled from a day of %d (%d labelled fraud); card window before each: mean %.1f,"
                            + " median %d, p90 %d, max %d payments",
                    N,
                    daySize,
                    fraud,
                    Arrays.stream(sizes).average().orElse(0),
                    sizes[N / 2],
                    sizes[N * 9 / 10],
                    sizes[N - 1]);
        }
    }
}
