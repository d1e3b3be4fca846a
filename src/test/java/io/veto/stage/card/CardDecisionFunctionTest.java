package io.veto.stage.card;

import static io.veto.testing.Payments.BEGINNING;
import static io.veto.testing.Payments.ONE_MINUTE;
import static io.veto.testing.Payments.TEN_MINUTES;
import static io.veto.testing.Payments.payment;
import static io.veto.testing.Payments.refund;
import static org.assertj.core.api.Assertions.assertThat;

import io.veto.card.CardInput;
import io.veto.decision.Decision;
import io.veto.decision.Outcome;
import io.veto.entity.EntityFeatures;
import io.veto.event.PaymentEvent;
import io.veto.feature.Entity;
import io.veto.rule.RuleSet;
import io.veto.rule.RuleSetCodec;
import io.veto.stage.JobTags;
import io.veto.stage.RuleAck;
import io.veto.stage.RuleSetUpdate;
import io.veto.testing.Payments;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.heap.HeapKeyedStateBackend;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CardDecisionFunctionTest {
    private static final RuleSet RULES = Payments.ruleSet("test", 40, 80, """
                    rules:
                      - id: velocity
                        when: card.count_10m >= 3
                        points: 50
                        explain: "{card.count_10m} payments in 10 minutes"
                      - id: spend
                        when: card.sum_amount_10m > 1000
                        points: 40
                    """);

    private KeyedBroadcastOperatorTestHarness<String, CardInput, RuleSetUpdate, Decision> harness;

    @BeforeEach
    void setUp() throws Exception {
        harness = newHarness();
        harness.open();
        rulesInputIdle();
    }

    private static KeyedBroadcastOperatorTestHarness<String, CardInput, RuleSetUpdate, Decision> newHarness()
            throws Exception {
        // Not opened yet, so that a test can restore state into it first.
        return new KeyedBroadcastOperatorTestHarness<>(
                new CoBroadcastWithKeyedOperator<>(new CardDecisionFunction(RULES), List.of(JobTags.RULES)),
                CardInput::cardToken,
                Types.STRING,
                1,
                1,
                0);
    }

    /** A card event as the fan-out sends it when the rules read card features only. */
    private static CardInput in(PaymentEvent e) {
        return CardInput.event(e, 0, null);
    }

    /** As in the job: the rules input is idle, so the payments alone move event time. */
    private void rulesInputIdle() throws Exception {
        harness.getTwoInputOperator().processWatermarkStatus2(WatermarkStatus.IDLE);
    }

    private int keyedStateEntries() {
        return ((HeapKeyedStateBackend<?>) harness.getOperator().getKeyedStateBackend()).numKeyValueStateEntries();
    }

    private static RuleSetUpdate publish(RuleSet rs, long offset) {
        return new RuleSetUpdate(RuleSetCodec.encode(rs), "rules/0/" + offset);
    }

    private List<RuleAck> acks() {
        return harness.getSideOutput(JobTags.RULE_ACKS) == null
                ? List.of()
                : harness.getSideOutput(JobTags.RULE_ACKS).stream()
                        .map(r -> r.getValue())
                        .toList();
    }

    @AfterEach
    void tearDown() throws Exception {
        harness.close();
    }

    private List<Decision> decisions() {
        return harness.extractOutputValues();
    }

    @Test
    void shouldDecideEveryPaymentExactlyOnceIncludingItselfInTheWindow() throws Exception {
        harness.processElement(in(payment("p1", "card-a", BEGINNING, "10.00")), BEGINNING);
        harness.processElement(in(payment("p2", "card-a", BEGINNING + ONE_MINUTE, "10.00")), BEGINNING + ONE_MINUTE);
        harness.processElement(
                in(payment("p3", "card-a", BEGINNING + 2 * ONE_MINUTE, "10.00")), BEGINNING + 2 * ONE_MINUTE);

        assertThat(decisions()).extracting(Decision::paymentId).containsExactly("p1", "p2", "p3");
        assertThat(decisions())
                .extracting(Decision::decision)
                .containsExactly(Outcome.APPROVE, Outcome.APPROVE, Outcome.REVIEW);
        Decision third = decisions().get(2);
        assertThat(third.score()).isEqualTo(50);
        assertThat(third.reasons()).singleElement().satisfies(r -> {
            assertThat(r.ruleId()).isEqualTo("velocity");
            assertThat(r.detail()).startsWith("3 payments in 10 minutes").contains("card.count_10m=3");
        });
        assertThat(third.ruleSetVersion()).isEqualTo(RULES.version());
    }

    @Test
    void shouldExcludeAPaymentExactlyOneHorizonOld() throws Exception {
        harness.processElement(in(payment("p1", "card-a", BEGINNING, "1.00")), BEGINNING);
        harness.processElement(in(payment("p2", "card-a", BEGINNING + 1, "1.00")), BEGINNING + 1);
        // (t - 10m, t]: p1 at exactly t - 10m is out, p2 one millisecond later is in.
        harness.processElement(in(payment("p3", "card-a", BEGINNING + TEN_MINUTES, "1.00")), BEGINNING + TEN_MINUTES);
        harness.processElement(
                in(payment("p4", "card-a", BEGINNING + TEN_MINUTES + 1, "1.00")), BEGINNING + TEN_MINUTES + 1);

        assertThat(decisions())
                .extracting(Decision::decision)
                .containsExactly(Outcome.APPROVE, Outcome.APPROVE, Outcome.APPROVE, Outcome.APPROVE);
        harness.processElement(
                in(payment("p5", "card-a", BEGINNING + TEN_MINUTES + 2, "1.00")), BEGINNING + TEN_MINUTES + 2);
        // p3, p4, p5 are within 10 minutes of p5; p2 (t - 10m + 1) is exactly on the edge and out.
        assertThat(decisions().get(4).decision()).isEqualTo(Outcome.REVIEW);
        assertThat(decisions().get(4).reasons()[0].detail()).contains("card.count_10m=3");
    }

    @Test
    void shouldCountOutOfOrderPaymentsInsideTheWatermarkBound() throws Exception {
        harness.processWatermark(new Watermark(BEGINNING - ONE_MINUTE));
        harness.processElement(
                in(payment("p2", "card-a", BEGINNING + 2 * ONE_MINUTE, "600.00")), BEGINNING + 2 * ONE_MINUTE);
        harness.processElement(in(payment("p1", "card-a", BEGINNING, "600.00")), BEGINNING);
        harness.processElement(in(payment("p3", "card-a", BEGINNING + ONE_MINUTE, "1.00")), BEGINNING + ONE_MINUTE);

        // p1 arrives after p2 but is earlier: its window (t-10m, t] holds only itself.
        assertThat(decisions().get(1).score()).isZero();
        // p3 sees p1 (earlier) but not p2 (later event time): sum 601, count 2.
        assertThat(decisions().get(2).score()).isZero();
        harness.processElement(
                in(payment("p4", "card-a", BEGINNING + 3 * ONE_MINUTE, "1.00")), BEGINNING + 3 * ONE_MINUTE);
        assertThat(decisions().get(3).decision()).isEqualTo(Outcome.DENY);
        assertThat(decisions().get(3).score()).isEqualTo(90);
        assertThat(decisions()).noneMatch(Decision::late);
    }

    @Test
    void shouldDecideALatePaymentAndFlagIt() throws Exception {
        harness.processElement(in(payment("p1", "card-a", BEGINNING, "1.00")), BEGINNING);
        harness.processWatermark(new Watermark(BEGINNING + TEN_MINUTES));
        harness.processElement(in(payment("late", "card-a", BEGINNING + ONE_MINUTE, "1.00")), BEGINNING + ONE_MINUTE);

        assertThat(decisions()).extracting(Decision::paymentId).containsExactly("p1", "late");
        assertThat(decisions().get(1).late()).isTrue();
    }

    @Test
    void shouldNotDecideOrCountRefunds() throws Exception {
        harness.processElement(in(payment("p1", "card-a", BEGINNING, "1.00")), BEGINNING);
        harness.processElement(in(refund("p1", "card-a", BEGINNING + 1, "1.00")), BEGINNING + 1);
        harness.processElement(in(refund("p1", "card-a", BEGINNING + 2, "1.00")), BEGINNING + 2);
        harness.processElement(in(payment("p2", "card-a", BEGINNING + 3, "1.00")), BEGINNING + 3);

        assertThat(decisions()).extracting(Decision::paymentId).containsExactly("p1", "p2");
        assertThat(decisions().get(1).reasons()).isEmpty();
    }

    @Test
    void shouldClearStateAndTimersOnceTheWindowHasPassed() throws Exception {
        harness.processElement(in(payment("p1", "card-a", BEGINNING, "1.00")), BEGINNING);
        harness.processElement(in(payment("p2", "card-b", BEGINNING + ONE_MINUTE, "1.00")), BEGINNING + ONE_MINUTE);
        harness.processElement(
                in(payment("p3", "card-a", BEGINNING + 5 * ONE_MINUTE, "1.00")), BEGINNING + 5 * ONE_MINUTE);
        assertThat(keyedStateEntries()).isEqualTo(2);
        assertThat(harness.numEventTimeTimers()).isEqualTo(2);

        // card-b's payment has left its 10-minute window; card-a's latest (t+5m) has not.
        harness.processWatermark(new Watermark(BEGINNING + 13 * ONE_MINUTE));
        assertThat(keyedStateEntries()).isEqualTo(1);
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);

        harness.processWatermark(new Watermark(BEGINNING + 17 * ONE_MINUTE));
        assertThat(keyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(decisions()).hasSize(3);
    }

    @Test
    void shouldKeepTheCleanupTimerAheadOfAnEventAtTheEndOfTime() throws Exception {
        // Event times are bounded at parsing; this is the second line: time + horizon saturates
        // instead of wrapping into the past, where the timer would fire at once and re-arm forever.
        long end = Long.MAX_VALUE - 1_000;
        harness.processElement(in(payment("p1", "card-a", end, "1.00")), end);
        assertThat(decisions()).extracting(Decision::paymentId).containsExactly("p1");
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);

        harness.processWatermark(new Watermark(end));
        assertThat(keyedStateEntries()).isEqualTo(1);
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);

        harness.processWatermark(new Watermark(Long.MAX_VALUE));
        assertThat(keyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    private static final RuleSet STRICTER = Payments.ruleSet("test", 40, 80, """
                    rules:
                      - id: second-payment
                        when: card.count_10m >= 2
                        points: 90
                    """);

    @Test
    void shouldSwitchToAPublishedRuleSetBetweenTwoPaymentsAndAcknowledgeIt() throws Exception {
        harness.processElement(in(payment("p1", "card-a", BEGINNING, "1.00")), BEGINNING);
        harness.processBroadcastElement(publish(STRICTER, 7), BEGINNING);
        harness.processElement(in(payment("p2", "card-a", BEGINNING + 1, "1.00")), BEGINNING + 1);

        assertThat(decisions())
                .extracting(Decision::ruleSetVersion)
                .containsExactly(RULES.version(), STRICTER.version());
        assertThat(decisions().get(1).decision()).isEqualTo(Outcome.DENY);
        assertThat(acks()).singleElement().satisfies(a -> {
            assertThat(a.applied()).isTrue();
            assertThat(a.version()).isEqualTo(STRICTER.version());
            assertThat(a.origin()).isEqualTo("rules/0/7");
        });
    }

    @Test
    void shouldRejectABrokenRuleSetAndKeepDecidingWithThePreviousOne() throws Exception {
        RuleSet broken = Payments.ruleSet("test", 40, 80, "rules:\n  - id: bad\n    when: amount >\n    points: 1\n");
        harness.processBroadcastElement(publish(broken, 1), BEGINNING);
        harness.processBroadcastElement(
                new RuleSetUpdate("not json".getBytes(StandardCharsets.UTF_8), "rules/0/2"), BEGINNING);
        harness.processElement(in(payment("p1", "card-a", BEGINNING, "1.00")), BEGINNING);

        assertThat(decisions()).extracting(Decision::ruleSetVersion).containsExactly(RULES.version());
        assertThat(acks()).hasSize(2).noneMatch(RuleAck::applied);
        assertThat(acks().get(0).problems())
                .singleElement()
                .asString()
                .startsWith("rules.yaml:3:")
                .contains("syntax error");
        assertThat(acks().get(1).problems()).singleElement().asString().contains("must be JSON");
    }

    @Test
    void shouldAnswerASetTheRulesSourceRefusedWithItsProblemsAndKeepNoTraceOfIt() throws Exception {
        harness.processBroadcastElement(
                new RuleSetUpdate(new byte[0], "rules/0/4", "test", "test@0123456789ab", new String[] {
                    "<published>:1:1: the rule set is not signed"
                }),
                BEGINNING);
        harness.processElement(in(payment("p1", "card-a", BEGINNING, "1.00")), BEGINNING);

        assertThat(decisions()).extracting(Decision::ruleSetVersion).containsExactly(RULES.version());
        assertThat(acks()).singleElement().satisfies(a -> {
            assertThat(a.applied()).isFalse();
            assertThat(a.name()).isEqualTo("test");
            assertThat(a.version()).isEqualTo("test@0123456789ab");
            assertThat(a.problems()).containsExactly("<published>:1:1: the rule set is not signed");
            assertThat(a.origin()).isEqualTo("rules/0/4");
        });
        // Nothing of the refused set is kept: the broadcast state still holds no published set.
        assertThat(harness.getOperator()
                        .getOperatorStateBackend()
                        .getBroadcastState(JobTags.RULES)
                        .get("active"))
                .isNull();
    }

    @Test
    void shouldResumeWithThePublishedRuleSetAndTheWindowsAfterARestore() throws Exception {
        harness.processBroadcastElement(publish(STRICTER, 3), BEGINNING);
        harness.processElement(in(payment("p1", "card-a", BEGINNING, "1.00")), BEGINNING);
        OperatorSubtaskState snapshot = harness.snapshot(1L, BEGINNING);
        harness.close();

        harness = newHarness();
        harness.initializeState(snapshot);
        harness.open();
        rulesInputIdle();
        harness.processElement(in(payment("p2", "card-a", BEGINNING + 1, "1.00")), BEGINNING + 1);

        // p2 is DENY only if both the rule set and p1 in the card's window survived the restore.
        assertThat(decisions()).singleElement().satisfies(d -> {
            assertThat(d.ruleSetVersion()).isEqualTo(STRICTER.version());
            assertThat(d.decision()).isEqualTo(Outcome.DENY);
        });
        assertThat(keyedStateEntries()).isEqualTo(1);
    }

    private static final RuleSet MERCHANT_RULES = Payments.ruleSet("merchant", 40, 80, """
                    rules:
                      - id: busy-merchant
                        when: merchant.count_1m >= 3 && card.count_10m >= 1
                        points: 50
                    """);

    private KeyedBroadcastOperatorTestHarness<String, CardInput, RuleSetUpdate, Decision> merchantHarness()
            throws Exception {
        harness.close();
        harness = new KeyedBroadcastOperatorTestHarness<>(
                new CoBroadcastWithKeyedOperator<>(new CardDecisionFunction(MERCHANT_RULES), List.of(JobTags.RULES)),
                CardInput::cardToken,
                Types.STRING,
                1,
                1,
                0);
        harness.open();
        rulesInputIdle();
        return harness;
    }

    private static CardInput answer(String paymentId, String card, double merchantCount) {
        return CardInput.answer(new EntityFeatures(
                card, paymentId, BEGINNING, Entity.MERCHANT, new String[] {"count_1m"}, new double[] {merchantCount}));
    }

    @Test
    void shouldWaitForTheEntityAnswersThenDecideWithThem() throws Exception {
        merchantHarness();
        harness.processElement(
                CardInput.event(payment("p1", "card-a", BEGINNING, "1.00"), 1, MERCHANT_RULES.version()), BEGINNING);
        assertThat(decisions()).isEmpty();
        assertThat(keyedStateEntries()).as("window and the waiting payment").isEqualTo(2);

        harness.processElement(answer("p1", "card-a", 3), BEGINNING);

        assertThat(decisions()).singleElement().satisfies(d -> {
            assertThat(d.decision()).isEqualTo(Outcome.REVIEW);
            assertThat(d.reasons()[0].detail()).contains("merchant.count_1m=3").contains("card.count_10m=1");
            assertThat(d.late())
                    .as("exact: every window answered at its watermark")
                    .isFalse();
        });
        assertThat(keyedStateEntries()).as("only the window").isEqualTo(1);
    }

    @Test
    void shouldDecideLateWhenAnEntityAnsweredFromAWindowThatMayMissEvents() throws Exception {
        merchantHarness();
        harness.processElement(
                CardInput.event(payment("p1", "card-a", BEGINNING, "1.00"), 1, MERCHANT_RULES.version()), BEGINNING);
        harness.processElement(
                CardInput.answer(new EntityFeatures(
                        "card-a",
                        "p1",
                        BEGINNING,
                        Entity.MERCHANT,
                        new String[] {"count_1m"},
                        new double[] {3},
                        null,
                        true)),
                BEGINNING);

        assertThat(decisions()).singleElement().satisfies(d -> {
            assertThat(d.decision()).isEqualTo(Outcome.REVIEW);
            assertThat(d.late()).isTrue();
        });
    }

    @Test
    void shouldDecideWithoutAnAnswerThatNeverComesOnceTheWatermarkIsFarPast() throws Exception {
        merchantHarness();
        harness.processElement(
                CardInput.event(payment("p1", "card-a", BEGINNING, "1.00"), 1, MERCHANT_RULES.version()), BEGINNING);
        harness.processWatermark(new Watermark(BEGINNING + CardDecisionFunction.ANSWER_TIMEOUT_MILLIS));

        assertThat(decisions()).singleElement().satisfies(d -> {
            assertThat(d.decision()).isEqualTo(Outcome.APPROVE);
            assertThat(d.late()).as("decided without the merchant's features").isTrue();
        });
        // The answer that finally arrives finds nothing to complete and decides nothing twice.
        harness.processElement(answer("p1", "card-a", 3), BEGINNING);
        assertThat(decisions()).hasSize(1);

        harness.processWatermark(new Watermark(BEGINNING + 2 * TEN_MINUTES));
        assertThat(keyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void shouldKeepSeveralWaitingPaymentsOfOneCardApartAndLeaveNothingOnceAllAreDecided() throws Exception {
        merchantHarness();
        harness.processElement(
                CardInput.event(payment("p1", "card-a", BEGINNING, "1.00"), 1, MERCHANT_RULES.version()), BEGINNING);
        harness.processElement(
                CardInput.event(payment("p2", "card-a", BEGINNING + 1, "1.00"), 1, MERCHANT_RULES.version()),
                BEGINNING + 1);
        harness.processElement(answer("p3", "card-a", 0), BEGINNING + 2);
        assertThat(keyedStateEntries())
                .as("the window and the card's waiting payments, in one value")
                .isEqualTo(2);

        harness.processElement(answer("p2", "card-a", 3), BEGINNING);
        assertThat(decisions()).extracting(Decision::paymentId).containsExactly("p2");
        harness.processElement(answer("p1", "card-a", 0), BEGINNING);
        assertThat(decisions()).extracting(Decision::paymentId).containsExactly("p2", "p1");
        assertThat(decisions()).extracting(Decision::decision).containsExactly(Outcome.REVIEW, Outcome.APPROVE);

        // p3's answer waits for its payment, which never comes: the timeout drops it.
        harness.processWatermark(new Watermark(BEGINNING + 2 * TEN_MINUTES));
        assertThat(decisions()).hasSize(2);
        assertThat(keyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void shouldKeepAnAnswerThatOvertookItsPaymentAndDecideWhenThePaymentArrives() throws Exception {
        merchantHarness();
        harness.processElement(answer("p1", "card-a", 3), BEGINNING);
        assertThat(decisions()).isEmpty();
        harness.processElement(
                CardInput.event(payment("p1", "card-a", BEGINNING, "1.00"), 1, MERCHANT_RULES.version()), BEGINNING);

        assertThat(decisions())
                .singleElement()
                .satisfies(d -> assertThat(d.decision()).isEqualTo(Outcome.REVIEW));
        assertThat(keyedStateEntries()).as("only the window").isEqualTo(1);
    }
}
