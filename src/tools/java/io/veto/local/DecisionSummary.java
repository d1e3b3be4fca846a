package io.veto.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.veto.decision.Decision;
import io.veto.decision.Outcome;
import io.veto.decision.Reason;
import io.veto.generator.GeneratorRunner;
import io.veto.kafka.DecisionJson;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Watches the decisions and DLQ topics (and the labels the generator put on the payments topic)
 * and prints one summary line every few seconds: counts per outcome, rate, decision latency, DLQ
 * count, and how much of the labelled fraud was flagged. Never prints a payment's body.
 */
final class DecisionSummary implements Runnable, AutoCloseable {
    private static final long PRINT_EVERY_MS = 5_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String decisionsTopic;
    private final String dlqTopic;
    private final GeneratorRunner generator;
    private final long started = System.currentTimeMillis();
    private final long[] outcomes = new long[Outcome.values().length];
    private final Histogram latency = new Histogram(3_600_000L, 2);
    private final Map<String, String> labelOf = new HashMap<>();
    private final Set<String> flagged = new HashSet<>();
    private final Map<String, int[]> byLabel = new TreeMap<>();
    private volatile boolean running = true;
    private volatile long lastRecordAt = System.currentTimeMillis();
    private long decided;
    private long dlq;
    private long lastPrintAt = System.currentTimeMillis();
    private long decidedAtLastPrint;
    private long lastExampleAt;
    private Decision example;

    private final LocalRun.FastClock clock;

    DecisionSummary(
            String bootstrapServers,
            String decisionsTopic,
            String dlqTopic,
            GeneratorRunner generator,
            String paymentsTopic,
            LocalRun.FastClock clock) {
        this.clock = clock;
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "veto-local-summary");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.consumer = new KafkaConsumer<>(p);
        this.consumer.subscribe(List.of(decisionsTopic, dlqTopic, paymentsTopic));
        this.decisionsTopic = decisionsTopic;
        this.dlqTopic = dlqTopic;
        this.generator = generator;
    }

    @Override
    public void run() {
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    lastRecordAt = System.currentTimeMillis();
                    if (r.topic().equals(decisionsTopic)) {
                        onDecision(DecisionJson.read(r.value()));
                    } else if (r.topic().equals(dlqTopic)) {
                        dlq++;
                    } else {
                        onPayment(r.value());
                    }
                }
                if (System.currentTimeMillis() - lastPrintAt >= PRINT_EVERY_MS) {
                    printLine();
                }
            }
        } catch (WakeupException | InterruptException e) {
            // closing
        } finally {
            printLine();
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void onDecision(Decision d) {
        decided++;
        outcomes[d.decision().ordinal()]++;
        // From when the payment was sent (its event time, mapped back to the wall clock) to its decision.
        long sentAt = clock.wallTimeOf(d.eventTime());
        latency.recordValue(Math.max(0, Math.min(d.decidedAt() - sentAt, latency.getHighestTrackableValue())));
        if (d.decision() != Outcome.APPROVE) {
            flagged.add(d.paymentId());
            String label = labelOf.get(d.paymentId());
            if (label != null) {
                byLabel.computeIfAbsent(label, l -> new int[2])[1]++;
            }
            if (d.decision() == Outcome.DENY && System.currentTimeMillis() - lastExampleAt > 20_000) {
                example = d;
            }
        }
    }

    private void onPayment(byte[] value) {
        try {
            JsonNode n = JSON.readTree(value);
            JsonNode label = n.get("fraudLabel");
            JsonNode id = n.get("paymentId");
            JsonNode type = n.get("type");
            if (label == null || label.isNull() || id == null || type == null || !"PAYMENT".equals(type.asText())) {
                return;
            }
            int[] c = byLabel.computeIfAbsent(label.asText(), l -> new int[2]);
            c[0]++;
            labelOf.put(id.asText(), label.asText());
            if (flagged.contains(id.asText())) {
                c[1]++;
            }
        } catch (Exception e) {
            // Malformed on purpose (the DLQ demo): nothing to learn from it here.
        }
    }

    private void printLine() {
        long now = System.currentTimeMillis();
        double rate = (decided - decidedAtLastPrint) * 1000.0 / Math.max(1, now - lastPrintAt);
        StringBuilder sb = new StringBuilder();
        long secs = (now - started) / 1000;
        sb.append(String.format("%02d:%02d:%02d  decided %,d  ", secs / 3600, secs / 60 % 60, secs % 60, decided));
        for (Outcome o : Outcome.values()) {
            sb.append(o.name())
                    .append(' ')
                    .append(String.format("%,d", outcomes[o.ordinal()]))
                    .append("  ");
        }
        sb.append(String.format(
                "| %.0f/s | latency p50 %d ms p99 %d ms | DLQ %,d",
                rate,
                latency.getTotalCount() == 0 ? 0 : latency.getValueAtPercentile(50),
                latency.getTotalCount() == 0 ? 0 : latency.getValueAtPercentile(99),
                dlq));
        if (!byLabel.isEmpty()) {
            sb.append(" | fraud flagged:");
            byLabel.forEach((label, c) -> sb.append(' ')
                    .append(label)
                    .append(' ')
                    .append(c[1])
                    .append('/')
                    .append(c[0]));
        }
        LocalRun.say(sb.toString());
        if (example != null) {
            Decision d = example;
            example = null;
            lastExampleAt = now;
            StringBuilder why = new StringBuilder("  e.g. DENY " + d.paymentId() + " (card " + d.cardBin() + "…"
                    + d.cardLast4() + ", score " + d.score() + "):");
            for (Reason r : d.reasons()) {
                why.append("\n        ")
                        .append(r.ruleId())
                        .append(r.outcome() != null ? " [" + r.outcome() + "]" : " +" + r.points())
                        .append(": ")
                        .append(r.detail());
            }
            LocalRun.say(why.toString());
        }
        if (generator.firstError() != null) {
            LocalRun.say("  generator error: " + generator.firstError().getMessage());
        }
        lastPrintAt = now;
        decidedAtLastPrint = decided;
    }

    /** Waits until no record arrived for {@code quiet}, at most {@code max}. */
    void awaitQuiet(Duration quiet, Duration max) throws InterruptedException {
        long deadline = System.currentTimeMillis() + max.toMillis();
        while (System.currentTimeMillis() < deadline && System.currentTimeMillis() - lastRecordAt < quiet.toMillis()) {
            Thread.sleep(100);
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
    }
}
