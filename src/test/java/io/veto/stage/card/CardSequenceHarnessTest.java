package io.veto.stage.card;

import static io.veto.testing.CardEvents.pay;
import static io.veto.testing.Payments.BEGINNING;
import static org.assertj.core.api.Assertions.assertThat;

import io.veto.card.CardInput;
import io.veto.decision.Decision;
import io.veto.decision.Outcome;
import io.veto.decision.Reason;
import io.veto.entity.EntityFeatures;
import io.veto.event.PaymentEvent;
import io.veto.feature.Entity;
import io.veto.rule.RuleSet;
import io.veto.rule.RuleSetCodec;
import io.veto.sequence.Alert;
import io.veto.stage.JobTags;
import io.veto.stage.RuleSetUpdate;
import io.veto.testing.Payments;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.heap.HeapKeyedStateBackend;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Sequence rules in the card stage: decisions, alerts, late events, state that ends, rule sets that change. */
class CardSequenceHarnessTest {
    private static final long MINUTE = 60_000L;
    private static final String CARD = "card-a";

    private static final String SEQUENCE = """
              - id: probe-then-cash
                within: 10m
                outcome: DENY
                alert: card-under-attack
                explain: "{amount} after small payments"
                steps:
                  - name: probe
                    where: amount < 2
                    times: 2+
                  - name: cashout
                    where: amount >= 200
            """;
    private static final String WINDOW_RULE = """
            rules:
              - id: velocity
                when: card.count_10m >= 10
                points: 10
            """;
    /** A card window rule (10-minute horizon) and the sequence. */
    private static final RuleSet RULES = Payments.ruleSet("seq", 40, 80, WINDOW_RULE + "sequences:\n" + SEQUENCE);
    /** The same window rule, no sequence at all. */
    private static final RuleSet WITHOUT_SEQUENCES = Payments.ruleSet("seq", 40, 80, WINDOW_RULE);
    /** The same window rule and another sequence rule instead. */
    private static final RuleSet OTHER_SEQUENCE = Payments.ruleSet("seq", 40, 80, WINDOW_RULE + """
            sequences:
              - id: two-large
                within: 10m
                points: 10
                steps:
                  - name: large
                    where: amount >= 1000
                    times: 2
            """);
    /** A rule on merchant features, so each payment waits for one entity answer, and the sequence. */
    private static final RuleSet MERCHANT_RULES = Payments.ruleSet("merchant", 40, 80, """
            rules:
              - id: busy-merchant
                when: merchant.count_1m >= 3
                points: 50
            sequences:
            """ + SEQUENCE);

    private KeyedBroadcastOperatorTestHarness<String, CardInput, RuleSetUpdate, Decision> harness;

    private void open(RuleSet rules) throws Exception {
        open(rules, null);
    }

    private void open(RuleSet rules, OperatorSubtaskState restore) throws Exception {
        harness = new KeyedBroadcastOperatorTestHarness<>(
                new CoBroadcastWithKeyedOperator<>(new CardDecisionFunction(rules), List.of(JobTags.RULES)),
                CardInput::cardToken,
                Types.STRING,
                1,
                1,
                0);
        if (restore != null) {
            harness.initializeState(restore);
        }
        harness.open();
        // As in the job: the rules input is idle, so the payments alone move event time.
        harness.getTwoInputOperator().processWatermarkStatus2(WatermarkStatus.IDLE);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    private void send(PaymentEvent e) throws Exception {
        harness.processElement(CardInput.event(e, 0, null), e.eventTime());
    }

    private static PaymentEvent probe(String id, long t) {
        return pay(id, t).amount("0.50").build();
    }

    private static PaymentEvent cashout(String id, long t) {
        return pay(id, t).amount("450").build();
    }

    private int keyedStateEntries() {
        return ((HeapKeyedStateBackend<?>) harness.getOperator().getKeyedStateBackend()).numKeyValueStateEntries();
    }

    private List<Decision> decisions() {
        return harness.extractOutputValues();
    }

    private Decision decisionOf(String paymentId) {
        return decisions().stream()
                .filter(d -> d.paymentId().equals(paymentId))
                .findFirst()
                .orElseThrow();
    }

    private List<Alert> alerts() {
        var out = harness.getSideOutput(JobTags.CARD_ALERTS);
        return out == null
                ? List.of()
                : out.stream().map(StreamRecord::getValue).toList();
    }

    private static Reason reason(Decision d, String ruleId) {
        return Arrays.stream(d.reasons())
                .filter(r -> r.ruleId().equals(ruleId))
                .findFirst()
                .orElse(null);
    }

    private static RuleSetUpdate publish(RuleSet rs, long offset) {
        return new RuleSetUpdate(RuleSetCodec.encode(rs), "rules/0/" + offset);
    }

    @Test
    void shouldPutTheMatchInTheCompletingPaymentsDecisionAndRaiseTheAlert() throws Exception {
        open(RULES);
        send(probe("p1", BEGINNING));
        send(probe("p2", BEGINNING + MINUTE));
        send(cashout("cash", BEGINNING + 2 * MINUTE));

        assertThat(decisions()).extracting(Decision::paymentId).containsExactly("p1", "p2", "cash");
        assertThat(decisionOf("p2").reasons()).isEmpty();
        Decision d = decisionOf("cash");
        assertThat(d.decision()).isEqualTo(Outcome.DENY);
        Reason r = reason(d, "probe-then-cash");
        assertThat(r).isNotNull();
        assertThat(r.outcome()).isEqualTo("DENY");
        assertThat(r.events()).containsExactly("evt-p1", "evt-p2", "evt-cash");
        assertThat(r.detail()).startsWith("450 EUR after small payments").contains("evt-p1 > evt-p2 > evt-cash");
        assertThat(alerts()).singleElement().satisfies(a -> {
            assertThat(a.alertId()).isEqualTo("probe-then-cash:evt-cash");
            assertThat(a.alert()).isEqualTo("card-under-attack");
            assertThat(a.ruleId()).isEqualTo("probe-then-cash");
            assertThat(a.entity()).isEqualTo("card");
            assertThat(a.entityKey()).isEqualTo(CARD);
            assertThat(a.eventIds()).containsExactly("evt-p1", "evt-p2", "evt-cash");
            assertThat(a.firstEventTime()).isEqualTo(BEGINNING);
            assertThat(a.lastEventTime()).isEqualTo(BEGINNING + 2 * MINUTE);
            assertThat(a.ruleSetVersion()).isEqualTo(RULES.version());
            assertThat(a.decidedPaymentId()).isEqualTo("cash");
        });
    }

    @Test
    void shouldLetALateEventJoinTheSequence() throws Exception {
        open(RULES);
        send(probe("p1", BEGINNING));
        send(probe("p3", BEGINNING + 3 * MINUTE));
        harness.processWatermark(new Watermark(BEGINNING + 4 * MINUTE));
        // Behind the watermark, and older than the card's last event.
        send(pay("p2", BEGINNING + MINUTE).amount("1.50").build());
        send(pay("cash", BEGINNING + 3 * MINUTE + 30_000).amount("450").build());

        assertThat(decisionOf("p2").late()).isTrue();
        Decision d = decisionOf("cash");
        assertThat(d.late()).isTrue();
        assertThat(reason(d, "probe-then-cash").events()).containsExactly("evt-p1", "evt-p3", "evt-p2", "evt-cash");
        assertThat(alerts())
                .singleElement()
                .satisfies(a -> assertThat(a.decidedPaymentId()).isEqualTo("cash"));
    }

    @Test
    void shouldLeaveNoStateNorTimerOnceTheSequenceAndTheWindowHaveTimedOut() throws Exception {
        open(RULES);
        send(probe("p1", BEGINNING));
        send(probe("p2", BEGINNING + MINUTE));
        // Not a probe: the partial matches skip it, the window keeps it.
        send(pay("mid", BEGINNING + 5 * MINUTE).amount("50").build());
        int withSequence = keyedStateEntries();
        assertThat(withSequence)
                .as("window plus the sequence's buffer, NFA state and clock")
                .isGreaterThan(1);
        // The first partial match ends at p1 + 10m; the window's first cleanup at p1 + 10m, rounded up to the minute.
        assertThat(harness.numEventTimeTimers()).isEqualTo(2);

        harness.processWatermark(new Watermark(BEGINNING + 10 * MINUTE));
        // p2's own partial match lives until p2 + 10m.
        assertThat(keyedStateEntries()).isEqualTo(withSequence);
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);
        harness.processWatermark(new Watermark(BEGINNING + 11 * MINUTE));
        assertThat(keyedStateEntries()).as("only the window").isEqualTo(1);
        assertThat(harness.numEventTimeTimers())
                .as("only the window's cleanup, re-armed for mid")
                .isEqualTo(1);

        harness.processWatermark(new Watermark(BEGINNING + 16 * MINUTE));
        assertThat(keyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(decisions()).hasSize(3);
        assertThat(alerts()).isEmpty();
    }

    @Test
    void shouldLeaveNoSequenceStateAfterAMatch() throws Exception {
        open(RULES);
        send(probe("p1", BEGINNING));
        send(probe("p2", BEGINNING + MINUTE));
        send(cashout("cash", BEGINNING + 2 * MINUTE));

        assertThat(keyedStateEntries()).as("only the window").isEqualTo(1);
        harness.processWatermark(new Watermark(BEGINNING + 20 * MINUTE));
        assertThat(keyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void shouldReleaseTheSequenceOnTheNextEventAfterARuleSetWithoutItIsPublished() throws Exception {
        open(RULES);
        send(probe("p1", BEGINNING));
        send(probe("p2", BEGINNING + MINUTE));
        harness.processBroadcastElement(publish(OTHER_SEQUENCE, 1), BEGINNING + MINUTE);

        send(cashout("cash", BEGINNING + 2 * MINUTE));
        assertThat(reason(decisionOf("cash"), "probe-then-cash")).isNull();
        assertThat(decisionOf("cash").ruleSetVersion()).isEqualTo(OTHER_SEQUENCE.version());
        assertThat(alerts()).isEmpty();
        assertThat(keyedStateEntries()).as("only the window").isEqualTo(1);

        harness.processWatermark(new Watermark(BEGINNING + 20 * MINUTE));
        assertThat(keyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void shouldReleaseTheSequenceOnTheNextEventAfterARuleSetWithNoSequencesIsPublished() throws Exception {
        open(RULES);
        send(probe("p1", BEGINNING));
        send(probe("p2", BEGINNING + MINUTE));
        harness.processBroadcastElement(publish(WITHOUT_SEQUENCES, 1), BEGINNING + MINUTE);

        send(cashout("cash", BEGINNING + 2 * MINUTE));
        assertThat(reason(decisionOf("cash"), "probe-then-cash")).isNull();
        assertThat(keyedStateEntries()).as("only the window").isEqualTo(1);
    }

    @Test
    void shouldReleaseTheSequenceOnTheNextTimerAfterARuleSetWithoutItIsPublished() throws Exception {
        open(RULES);
        send(probe("p1", BEGINNING));
        send(probe("p2", BEGINNING + MINUTE));
        harness.processBroadcastElement(publish(WITHOUT_SEQUENCES, 1), BEGINNING + MINUTE);

        // The sequence's timer (p1 + 10m) comes; p2's partial match, which time alone would keep
        // until p2 + 10m, goes with it.
        harness.processWatermark(new Watermark(BEGINNING + 10 * MINUTE));
        assertThat(keyedStateEntries()).as("only the window").isEqualTo(1);
        assertThat(harness.numEventTimeTimers()).as("only the window's cleanup").isEqualTo(1);
        harness.processWatermark(new Watermark(BEGINNING + 12 * MINUTE));
        assertThat(keyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void shouldKeepThePartialMatchAcrossARestore() throws Exception {
        open(RULES);
        send(probe("p1", BEGINNING));
        send(probe("p2", BEGINNING + MINUTE));
        OperatorSubtaskState snapshot = harness.snapshot(1L, BEGINNING + MINUTE);
        harness.close();

        open(RULES, snapshot);
        send(cashout("cash", BEGINNING + 2 * MINUTE));

        assertThat(decisions())
                .singleElement()
                .satisfies(d -> assertThat(reason(d, "probe-then-cash").events())
                        .containsExactly("evt-p1", "evt-p2", "evt-cash"));
        assertThat(alerts()).hasSize(1);
    }

    private static CardInput answer(String paymentId, long t, double merchantCount) {
        return CardInput.answer(new EntityFeatures(
                CARD, paymentId, t, Entity.MERCHANT, new String[] {"count_1m"}, new double[] {merchantCount}));
    }

    private void sendWaiting(PaymentEvent e) throws Exception {
        harness.processElement(CardInput.event(e, 1, MERCHANT_RULES.version()), e.eventTime());
    }

    @Test
    void shouldCarryTheMatchIntoTheDecisionOfAPaymentThatWaitedForEntityAnswers() throws Exception {
        open(MERCHANT_RULES);
        sendWaiting(probe("p1", BEGINNING));
        harness.processElement(answer("p1", BEGINNING, 1), BEGINNING);
        sendWaiting(probe("p2", BEGINNING + MINUTE));
        harness.processElement(answer("p2", BEGINNING + MINUTE, 1), BEGINNING + MINUTE);
        sendWaiting(cashout("cash", BEGINNING + 2 * MINUTE));
        assertThat(decisions()).extracting(Decision::paymentId).containsExactly("p1", "p2");
        // The alert does not wait for the decision.
        assertThat(alerts())
                .singleElement()
                .satisfies(a -> assertThat(a.decidedPaymentId()).isEqualTo("cash"));

        harness.processElement(answer("cash", BEGINNING + 2 * MINUTE, 3), BEGINNING + 2 * MINUTE);

        Decision d = decisionOf("cash");
        assertThat(d.decision()).isEqualTo(Outcome.DENY);
        assertThat(d.score()).isEqualTo(50);
        assertThat(Arrays.stream(d.reasons()).map(Reason::ruleId))
                .containsExactlyInAnyOrder("busy-merchant", "probe-then-cash");
        assertThat(reason(d, "probe-then-cash").events()).containsExactly("evt-p1", "evt-p2", "evt-cash");
    }

    @Test
    void shouldCarryTheMatchOfAWaitingPaymentAcrossARestore() throws Exception {
        open(MERCHANT_RULES);
        sendWaiting(probe("p1", BEGINNING));
        harness.processElement(answer("p1", BEGINNING, 1), BEGINNING);
        sendWaiting(probe("p2", BEGINNING + MINUTE));
        harness.processElement(answer("p2", BEGINNING + MINUTE, 1), BEGINNING + MINUTE);
        sendWaiting(cashout("cash", BEGINNING + 2 * MINUTE));
        OperatorSubtaskState snapshot = harness.snapshot(1L, BEGINNING + 2 * MINUTE);
        harness.close();

        open(MERCHANT_RULES, snapshot);
        harness.processElement(answer("cash", BEGINNING + 2 * MINUTE, 0), BEGINNING + 2 * MINUTE);

        assertThat(decisions()).singleElement().satisfies(d -> {
            assertThat(d.paymentId()).isEqualTo("cash");
            assertThat(d.decision()).isEqualTo(Outcome.DENY);
            assertThat(reason(d, "probe-then-cash").events()).containsExactly("evt-p1", "evt-p2", "evt-cash");
        });
    }
}
