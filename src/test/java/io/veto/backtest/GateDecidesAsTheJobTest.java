package io.veto.backtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.veto.decision.Decision;
import io.veto.event.EventParser;
import io.veto.event.PanPolicy;
import io.veto.event.PaymentEvent;
import io.veto.generator.GeneratedEvent;
import io.veto.generator.GeneratorConfig;
import io.veto.generator.PaymentGenerator;
import io.veto.rule.CompiledRuleSet;
import io.veto.rule.Example;
import io.veto.rule.RuleSet;
import io.veto.rule.RuleSetCompiler;
import io.veto.scoring.ExampleRunner;
import io.veto.scoring.GateDecider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The job's rule-set gate decides a published set's examples in process ({@link GateDecider}),
 * since it cannot start a graph; everything else decides through the job's graph ({@link
 * GraphDecider}). Both must decide alike — outcome, score, reasons, shadow, features — payment for
 * payment: on every example of {@code rules/default}, on a generated history of a few thousand
 * events in event-time order, which the graph decides at parallelism 2, and on one whose events
 * share milliseconds and come out of order (within the watermark bound).
 */
class GateDecidesAsTheJobTest {
    private static RuleSet ruleSet;
    private static CompiledRuleSet rules;

    @BeforeAll
    static void load() throws Exception {
        ruleSet = RuleSet.fromDirectory(Path.of("rules/default"));
        rules = RuleSetCompiler.forJob().compile(ruleSet);
    }

    @Test
    void shouldDecideEveryExampleOfTheDefaultRuleSetAsTheJobDoes() throws Exception {
        List<Example> examples = rules.examples();
        List<List<Decision>> job = GraphExamples.decide(ruleSet, rules);
        List<String> differences = new ArrayList<>();
        int payments = 0;
        for (int i = 0; i < examples.size(); i++) {
            List<Decision> gate = ExampleRunner.decide(rules, examples.get(i));
            assertThat(job.get(i)).as(examples.get(i).location()).hasSameSizeAs(gate);
            for (int j = 0; j < gate.size(); j++) {
                payments++;
                compare(
                                examples.get(i).location() + " " + gate.get(j).paymentId(),
                                gate.get(j),
                                job.get(i).get(j))
                        .ifPresent(differences::add);
            }
        }
        assertThat(payments).isGreaterThan(examples.size());
        assertThat(differences)
                .as("payments the gate decides otherwise than the job")
                .isEmpty();
    }

    @Test
    void shouldDecideAGeneratedHistoryAsTheJobDoes() throws Exception {
        List<PaymentEvent> history = history(4_000);
        Map<String, Decision> gate = new LinkedHashMap<>();
        try (GateDecider decider = new GateDecider(rules)) {
            decider.decideAll(history).forEach(d -> gate.put(d.paymentId(), d));
        }
        Map<String, Decision> job = GraphDecider.decide(ruleSet, history, 2);

        assertThat(job.keySet()).isEqualTo(gate.keySet());
        List<String> differences = new ArrayList<>();
        gate.forEach((id, d) -> compare(id, d, job.get(id)).ifPresent(differences::add));
        assertThat(differences)
                .as("payments the gate decides otherwise than the job")
                .isEmpty();
        // A history that exercises the rules: some payments are not simply approved, some features are not 0.
        assertThat(gate.values()).anyMatch(d -> d.reasons().length > 0);
        assertThat(gate.values()).anyMatch(d -> d.reasons().length > 0 && d.reasons()[0].events() != null);
    }

    @Test
    void shouldDecideEventsOfOneMillisecondAndEventsOutOfOrderAsTheJobDoes() throws Exception {
        // Times cut to the minute (bursts and busy merchants share one), every three events reversed
        // (out of order by up to a few minutes, within the watermark bound both are given).
        List<PaymentEvent> history = history(3_000);
        List<PaymentEvent> shaken = new ArrayList<>(history.size());
        for (int i = 0; i < history.size(); i += 3) {
            List<PaymentEvent> block = new ArrayList<>(history.subList(i, Math.min(i + 3, history.size())));
            Collections.reverse(block);
            block.forEach(e -> shaken.add(at(e, e.eventTime() / 60_000 * 60_000)));
        }
        long disorder = GateDecider.disorder(shaken);
        assertThat(disorder).isPositive();
        Map<String, Decision> gate = new LinkedHashMap<>();
        try (GateDecider decider = new GateDecider(rules, disorder)) {
            decider.decideAll(shaken).forEach(d -> gate.put(d.paymentId(), d));
        }
        Map<String, Decision> job = GraphDecider.decide(ruleSet, shaken, 2);

        assertThat(job.keySet()).isEqualTo(gate.keySet());
        List<String> differences = new ArrayList<>();
        gate.forEach((id, d) -> compare(id, d, job.get(id)).ifPresent(differences::add));
        assertThat(differences)
                .as("payments the gate decides otherwise than the job")
                .isEmpty();
    }

    private static PaymentEvent at(PaymentEvent e, long time) {
        return new PaymentEvent(
                e.eventId(),
                e.type(),
                e.paymentId(),
                time,
                e.cardToken(),
                e.bin(),
                e.last4(),
                e.customerId(),
                e.merchantId(),
                e.mcc(),
                e.terminalId(),
                e.amount(),
                e.currency(),
                e.country(),
                e.ip(),
                e.deviceId(),
                e.channel(),
                e.lat(),
                e.lon(),
                e.source());
    }

    /** Generator events in event-time order (it never goes back), each payment id once. */
    private static List<PaymentEvent> history(int events) throws Exception {
        GeneratorConfig cfg = GeneratorConfig.defaults()
                .withCards(300)
                .withFraudRate(0.05)
                // About three days: 24-hour windows turn over, 30-day ones reach into the hour tier.
                .withMeanGapMicros(3 * 86_400_000_000L / events)
                .withStartTime(Instant.parse("2026-11-02T00:00:00Z"));
        EventParser parser = new EventParser(
                PanPolicy.TOKENIZE,
                "gate-test-key-0123456789".getBytes(StandardCharsets.UTF_8),
                EventParser.DEFAULT_MAX_BYTES);
        PaymentGenerator gen = new PaymentGenerator(cfg);
        List<PaymentEvent> out = new ArrayList<>(events);
        Set<String> payments = new HashSet<>();
        long previous = Long.MIN_VALUE;
        for (int i = 0; i < events && gen.hasNext(); i++) {
            GeneratedEvent g = gen.next();
            PaymentEvent e = parser.parse(g.json(), "generated");
            assertThat(e.eventTime()).isGreaterThanOrEqualTo(previous);
            previous = e.eventTime();
            if (!e.needsDecision() || payments.add(e.paymentId())) {
                out.add(e);
            }
        }
        return out;
    }

    /** What differs between the gate's decision and the job's; empty when nothing. */
    private static Optional<String> compare(String what, Decision gate, Decision job) {
        if (job == null) {
            return Optional.of(what + ": the job made no decision");
        }
        List<String> d = new ArrayList<>();
        if (gate.decision() != job.decision() || gate.score() != job.score()) {
            d.add("decision " + gate.decision() + "/" + gate.score() + " vs job " + job.decision() + "/" + job.score());
        }
        String gr = ExampleRunner.describe(gate).toString();
        String jr = ExampleRunner.describe(job).toString();
        if (!gr.equals(jr)) {
            d.add("reasons " + gr + " vs job " + jr);
        }
        for (int i = 0; i < Math.min(gate.reasons().length, job.reasons().length); i++) {
            if (!Arrays.equals(gate.reasons()[i].events(), job.reasons()[i].events())) {
                d.add("events of reason " + gate.reasons()[i].ruleId());
            }
        }
        if (!features(gate).equals(features(job))) {
            d.add("features " + features(gate) + " vs job " + features(job));
        }
        if (gate.late() != job.late() || gate.eventTime() != job.eventTime()) {
            d.add("late/eventTime " + gate.late() + "/" + gate.eventTime() + " vs job " + job.late() + "/"
                    + job.eventTime());
        }
        if (!Objects.equals(gate.ruleSetVersion(), job.ruleSetVersion())
                || !Objects.equals(gate.cardToken(), job.cardToken())) {
            d.add("version/card " + gate.ruleSetVersion() + "/" + gate.cardToken() + " vs job " + job.ruleSetVersion()
                    + "/" + job.cardToken());
        }
        return d.isEmpty() ? Optional.empty() : Optional.of(what + ": " + String.join("; ", d));
    }

    private static Map<String, Double> features(Decision d) {
        Map<String, Double> m = new TreeMap<>();
        for (int i = 0; i < d.featureNames().length; i++) {
            m.put(d.featureNames()[i], d.featureValues()[i]);
        }
        return m;
    }
}
