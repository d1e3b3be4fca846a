package io.veto.stage.customer;

import static io.veto.testing.Payments.BEGINNING;
import static org.assertj.core.api.Assertions.assertThat;

import io.veto.card.CardInput;
import io.veto.entity.EntityFeatures;
import io.veto.event.CatchUp;
import io.veto.event.EventType;
import io.veto.event.PaymentEvent;
import io.veto.rule.RuleSet;
import io.veto.sequence.CustomerEvent;
import io.veto.stage.JobTags;
import io.veto.stage.RuleSetUpdate;
import io.veto.testing.Payments;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.heap.HeapKeyedStateBackend;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The customer-sequence stage: events wait for the watermark and are taken in event-time order,
 * every payment is answered (with the matches it completes), the wall-clock fallback acts only in
 * a quiet spell, and a customer leaves no state and no timer behind.
 */
class CustomerSequenceFunctionTest {
    private static final long MINUTE = 60_000L;
    private static final Duration MAX_WAIT = Duration.ofSeconds(1);
    private static final RuleSet RULES = Payments.ruleSet("t", 40, 80, """
            sequences:
              - id: takeover
                key: customer
                within: 1h
                steps:
                  - name: reset
                    where: type == "PASSWORD_RESET"
                  - name: cashout
                    where: type == "PAYMENT" && amount >= 100
                outcome: REVIEW
            """);

    private KeyedBroadcastOperatorTestHarness<String, CustomerEvent, RuleSetUpdate, CardInput> harness;

    @BeforeEach
    void setUp() throws Exception {
        harness = newHarness();
        harness.open();
        harness.getTwoInputOperator().processWatermarkStatus2(WatermarkStatus.IDLE);
        harness.setProcessingTime(0);
    }

    private static KeyedBroadcastOperatorTestHarness<String, CustomerEvent, RuleSetUpdate, CardInput> newHarness()
            throws Exception {
        return new KeyedBroadcastOperatorTestHarness<>(
                new CoBroadcastWithKeyedOperator<>(
                        new CustomerSequenceFunction(RULES, MAX_WAIT), List.of(JobTags.RULES)),
                CustomerEvent::customerId,
                Types.STRING,
                1,
                1,
                0);
    }

    @AfterEach
    void tearDown() throws Exception {
        harness.close();
    }

    private static PaymentEvent event(String id, EventType type, long t, String amount) {
        return new PaymentEvent(
                "evt-" + id,
                type,
                type == EventType.PAYMENT ? id : null,
                t,
                type == EventType.PAYMENT ? "card-a" : null,
                "411111",
                "1111",
                "cust-1",
                "merch-1",
                "5411",
                null,
                amount == null ? null : new BigDecimal(amount),
                "EUR",
                "DE",
                null,
                null,
                "ECOM",
                null,
                null,
                "test/0/" + id);
    }

    private void send(PaymentEvent e) throws Exception {
        harness.processElement(new CustomerEvent("cust-1", e, null, e.type() == EventType.PAYMENT), e.eventTime());
    }

    private List<EntityFeatures> answers() {
        return harness.extractOutputValues().stream().map(CardInput::answer).toList();
    }

    private int keyedStateEntries() {
        return ((HeapKeyedStateBackend<?>) harness.getOperator().getKeyedStateBackend()).numKeyValueStateEntries();
    }

    @Test
    void shouldTakeEventsInEventTimeOrderAtTheWatermarkAndAnswerThePaymentWithItsMatch() throws Exception {
        // The payment arrives before the reset that precedes it in event time (another partition).
        send(event("pay", EventType.PAYMENT, BEGINNING + 2 * MINUTE, "500.00"));
        send(event("reset", EventType.PASSWORD_RESET, BEGINNING, null));
        assertThat(answers()).isEmpty();

        harness.processWatermark(new Watermark(BEGINNING + 2 * MINUTE));

        assertThat(answers()).singleElement().satisfies(a -> {
            assertThat(a.paymentId()).isEqualTo("pay");
            assertThat(a.partial()).isFalse();
            assertThat(a.matches())
                    .singleElement()
                    .satisfies(m -> assertThat(m.eventIds()).containsExactly("evt-reset", "evt-pay"));
        });
    }

    @Test
    void shouldNotTakeAnythingBeforeAWatermarkThatMovesThoughSlowly() throws Exception {
        send(event("reset", EventType.PASSWORD_RESET, BEGINNING, null));
        send(event("pay", EventType.PAYMENT, BEGINNING + 2 * MINUTE, "500.00"));
        for (long t = 500; t <= 5_000; t += 500) {
            // The watermark creeps on (a slow catch-up) but never reaches the payment.
            harness.processWatermark(new Watermark(BEGINNING + t));
            harness.setProcessingTime(t);
        }
        assertThat(answers()).as("the fallback waits while the watermark moves").isEmpty();

        harness.processWatermark(new Watermark(BEGINNING + 2 * MINUTE));
        assertThat(answers()).singleElement().satisfies(a -> {
            assertThat(a.partial()).isFalse();
            assertThat(a.matches()).hasSize(1);
        });
    }

    @Test
    void shouldWaitOutAStallOfTheWatermarkInACatchUpUntilTheCatchUpWait() throws Exception {
        // Events of a day ago: the watermark stalls (a checkpoint alignment, backpressure), it is no quiet spell.
        long now = BEGINNING + 24 * 60 * MINUTE;
        harness.setProcessingTime(now);
        harness.processWatermark(new Watermark(BEGINNING - 1));
        send(event("reset", EventType.PASSWORD_RESET, BEGINNING, null));
        send(event("pay", EventType.PAYMENT, BEGINNING + 2 * MINUTE, "500.00"));
        harness.setProcessingTime(now + 5_000);
        assertThat(answers()).as("a 5 s stall in a catch-up").isEmpty();

        harness.setProcessingTime(now + CatchUp.DEFAULT_WAIT.toMillis() + 200);

        assertThat(answers()).singleElement().satisfies(a -> {
            assertThat(a.partial()).isTrue();
            assertThat(a.matches()).hasSize(1);
        });
    }

    @Test
    void shouldTakeWhatWaitsInAQuietSpellAndSaySo() throws Exception {
        send(event("reset", EventType.PASSWORD_RESET, BEGINNING, null));
        send(event("pay", EventType.PAYMENT, BEGINNING + 2 * MINUTE, "500.00"));
        harness.setProcessingTime(MAX_WAIT.toMillis() - 1);
        assertThat(answers()).isEmpty();

        harness.setProcessingTime(MAX_WAIT.toMillis() + 200);

        assertThat(answers()).singleElement().satisfies(a -> {
            assertThat(a.partial())
                    .as("taken before the watermark: events may still be on their way")
                    .isTrue();
            assertThat(a.matches()).hasSize(1);
        });
        // When the watermark comes at last, nothing is answered twice.
        harness.processWatermark(new Watermark(BEGINNING + 2 * MINUTE));
        assertThat(answers()).hasSize(1);
    }

    @Test
    void shouldAnswerALateEventAtOnceAsPartial() throws Exception {
        harness.processWatermark(new Watermark(BEGINNING + MINUTE));
        send(event("pay", EventType.PAYMENT, BEGINNING, "50.00"));

        assertThat(answers()).singleElement().satisfies(a -> {
            assertThat(a.partial()).isTrue();
            assertThat(a.matches()).isNullOrEmpty();
        });
    }

    @Test
    void shouldLeaveNoStateNorTimerOnceTheCustomerIsQuietForTheLongestWithin() throws Exception {
        send(event("reset", EventType.PASSWORD_RESET, BEGINNING, null));
        send(event("small", EventType.PAYMENT, BEGINNING + MINUTE, "5.00"));
        harness.processWatermark(new Watermark(BEGINNING + MINUTE));
        assertThat(answers()).extracting(EntityFeatures::paymentId).containsExactly("small");
        assertThat(keyedStateEntries()).as("the partial match from the reset").isPositive();

        harness.processWatermark(new Watermark(BEGINNING + 61 * MINUTE));
        harness.setProcessingTime(10 * MAX_WAIT.toMillis());

        assertThat(keyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    @Test
    void shouldCountARestoreAsMovementAndLeaveNoStateNorTimerOnceTheRestoredEventsAreTaken() throws Exception {
        send(event("reset", EventType.PASSWORD_RESET, BEGINNING, null));
        send(event("pay", EventType.PAYMENT, BEGINNING + 2 * MINUTE, "500.00"));
        var snapshot = harness.snapshot(1, 1);
        harness.close();
        harness = newHarness();
        harness.setProcessingTime(0);
        harness.setup();
        harness.initializeState(snapshot);
        harness.open();
        harness.getTwoInputOperator().processWatermarkStatus2(WatermarkStatus.IDLE);

        // The restored wall-clock timers come due at once; the restart counts as movement of the watermark.
        harness.setProcessingTime(MAX_WAIT.toMillis() + 100);
        assertThat(answers()).as("a restart is no quiet spell").isEmpty();
        harness.setProcessingTime(2 * MAX_WAIT.toMillis() + 200);
        assertThat(answers()).singleElement().satisfies(a -> {
            assertThat(a.partial()).isTrue();
            assertThat(a.matches()).hasSize(1);
        });

        // The restored event-time timers find nothing left to take; then nothing is left at all.
        harness.processWatermark(new Watermark(BEGINNING + 2 * MINUTE));
        assertThat(answers()).as("nothing answered twice").hasSize(1);
        harness.processWatermark(new Watermark(BEGINNING + 63 * MINUTE));
        harness.setProcessingTime(100 * MAX_WAIT.toMillis());
        assertThat(keyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }
}
