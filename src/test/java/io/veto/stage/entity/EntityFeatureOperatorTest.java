package io.veto.stage.entity;

import static io.veto.testing.Payments.BEGINNING;
import static io.veto.testing.Payments.ONE_MINUTE;
import static io.veto.testing.Payments.TEN_MINUTES;
import static io.veto.testing.Payments.payment;
import static org.assertj.core.api.Assertions.assertThat;

import io.veto.card.CardInput;
import io.veto.entity.EntityFeatures;
import io.veto.entity.EntityRequest;
import io.veto.event.CatchUp;
import io.veto.event.EventType;
import io.veto.event.PaymentEvent;
import io.veto.feature.Entity;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EntityFeatureOperatorTest {
    private static final String[] COUNT_10M = {"count_10m", "distinct_card_10m"};
    private KeyedOneInputStreamOperatorTestHarness<String, EntityRequest, CardInput> harness;

    @BeforeEach
    void setUp() throws Exception {
        harness = newHarness();
        harness.open();
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, EntityRequest, CardInput> newHarness()
            throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(
                new EntityFeatureOperator(Duration.ofSeconds(1)), EntityRequest::key, Types.STRING, 128, 1, 0);
    }

    @AfterEach
    void tearDown() throws Exception {
        harness.close();
    }

    private static EntityRequest atMerchant(String paymentId, String card, long ts) {
        return new EntityRequest(
                EntityRequest.keyOf(Entity.MERCHANT, "merch-1"),
                Entity.MERCHANT,
                payment(paymentId, card, ts, "10.00"),
                COUNT_10M);
    }

    private void send(EntityRequest r) throws Exception {
        harness.processElement(r, r.event().eventTime());
    }

    private List<EntityFeatures> answers() {
        return harness.extractOutputValues().stream().map(CardInput::answer).toList();
    }

    @Test
    void shouldAnswerInEventTimeOrderOnlyOnceTheWatermarkHasPassed() throws Exception {
        send(atMerchant("p2", "card-b", BEGINNING + 2 * ONE_MINUTE));
        send(atMerchant("p1", "card-a", BEGINNING));
        assertThat(answers()).isEmpty();

        harness.processWatermark(new Watermark(BEGINNING + 2 * ONE_MINUTE));

        // p1 is answered first and does not see p2, which is later in event time though it came first.
        assertThat(answers()).extracting(EntityFeatures::paymentId).containsExactly("p1", "p2");
        assertThat(answers().get(0).values()).containsExactly(1.0, 1.0);
        assertThat(answers().get(1).values()).containsExactly(2.0, 2.0);
        assertThat(answers().get(1).cardToken()).isEqualTo("card-b");
        assertThat(answers().get(1).names()).containsExactly(COUNT_10M);
        assertThat(answers()).noneMatch(EntityFeatures::partial);
    }

    @Test
    void shouldCountEveryPaymentOfTheSameMillisecondInEachOthersWindow() throws Exception {
        send(atMerchant("p1", "card-a", BEGINNING));
        send(atMerchant("p2", "card-b", BEGINNING));
        harness.processWatermark(new Watermark(BEGINNING));

        assertThat(answers()).extracting(a -> a.values()[0]).containsExactly(2.0, 2.0);
    }

    @Test
    void shouldAnswerALateRequestAtOnceWithWhatTheWindowHolds() throws Exception {
        send(atMerchant("p1", "card-a", BEGINNING));
        harness.processWatermark(new Watermark(BEGINNING + ONE_MINUTE));
        send(atMerchant("late", "card-b", BEGINNING + 30_000));

        assertThat(answers()).extracting(EntityFeatures::paymentId).containsExactly("p1", "late");
        assertThat(answers().get(1).values()).containsExactly(2.0, 2.0);
        assertThat(answers())
                .extracting(EntityFeatures::partial)
                .as("the late one may miss events")
                .containsExactly(false, true);
    }

    @Test
    void shouldCountFeedbackWithoutAnsweringIt() throws Exception {
        String[] chargebacks = {"chargeback_count_1h"};
        PaymentEvent p = payment("p1", "card-a", BEGINNING, "10.00");
        send(new EntityRequest("merchant:merch-1", Entity.MERCHANT, p, chargebacks));
        PaymentEvent cb = new PaymentEvent(
                "evt-cb",
                EventType.CHARGEBACK,
                "p1",
                BEGINNING + ONE_MINUTE,
                "card-a",
                "411111",
                "1111",
                "cust-1",
                "merch-1",
                "5411",
                null,
                p.amount(),
                "EUR",
                "DE",
                null,
                null,
                "ECOM",
                null,
                null,
                "test/0/1");
        send(new EntityRequest("merchant:merch-1", Entity.MERCHANT, cb, new String[0]));
        send(new EntityRequest(
                "merchant:merch-1",
                Entity.MERCHANT,
                payment("p2", "card-b", BEGINNING + 2 * ONE_MINUTE, "10.00"),
                chargebacks));
        harness.processWatermark(new Watermark(BEGINNING + 2 * ONE_MINUTE));

        assertThat(answers()).extracting(EntityFeatures::paymentId).containsExactly("p1", "p2");
        assertThat(answers().get(1).values()).containsExactly(1.0);
    }

    @Test
    void shouldLeaveNoStateOrTimerOnceTheEntityHasBeenQuietForItsHorizon() throws Exception {
        send(atMerchant("p1", "card-a", BEGINNING));
        send(new EntityRequest(
                "ip:10.0.0.1", Entity.IP, payment("p2", "card-a", BEGINNING + ONE_MINUTE, "5.00"), COUNT_10M));
        assertThat(harness.numKeyedStateEntries())
                .as("waiting requests are in memory, not in state")
                .isZero();
        assertThat(harness.numEventTimeTimers()).as("nor do they have timers").isZero();

        harness.processWatermark(new Watermark(BEGINNING + ONE_MINUTE));
        assertThat(answers()).hasSize(2);
        assertThat(harness.numKeyedStateEntries()).as("the windows").isEqualTo(2);
        assertThat(harness.numEventTimeTimers())
                .as("one cleanup timer per window")
                .isEqualTo(2);

        harness.processWatermark(new Watermark(BEGINNING + TEN_MINUTES + 3 * ONE_MINUTE));
        harness.setProcessingTime(10_000);
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    @Test
    void shouldAnswerAfterTheLongestWaitWhenTheWatermarkStopsInAQuietSpell() throws Exception {
        harness.setProcessingTime(0);
        send(atMerchant("p1", "card-a", BEGINNING));
        send(atMerchant("p2", "card-b", BEGINNING + 1));
        harness.setProcessingTime(999);
        assertThat(answers()).isEmpty();

        harness.setProcessingTime(1_100);

        assertThat(answers()).extracting(EntityFeatures::paymentId).containsExactly("p1", "p2");
        assertThat(answers().get(1).values()).containsExactly(2.0, 2.0);
        assertThat(answers())
                .as("answered before the watermark: may miss events")
                .allMatch(EntityFeatures::partial);
        // When the watermark comes at last, nothing is answered twice.
        harness.processWatermark(new Watermark(BEGINNING + ONE_MINUTE));
        assertThat(answers()).hasSize(2);
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    @Test
    void shouldNotAnswerBeforeAWatermarkThatMovesThoughSlowly() throws Exception {
        // A catch-up: the other source subtask is far behind in event time, so the watermark creeps.
        harness.setProcessingTime(0);
        send(atMerchant("p1", "card-a", BEGINNING + TEN_MINUTES));
        for (long t = 500; t <= 3_000; t += 500) {
            harness.processWatermark(new Watermark(BEGINNING + t));
            harness.setProcessingTime(t);
        }
        assertThat(answers()).as("waited 3 s, but the watermark kept moving").isEmpty();

        // Then it stops: a quiet spell.
        harness.setProcessingTime(4_100);
        assertThat(answers()).extracting(EntityFeatures::paymentId).containsExactly("p1");
    }

    @Test
    void shouldWaitOutAStallOfTheWatermarkInACatchUpUntilTheCatchUpWait() throws Exception {
        // Payments of a day ago (history being caught up on): a stall of the watermark is a
        // checkpoint alignment or backpressure, not a quiet spell, and answering would not be exact.
        long now = BEGINNING + 24 * 60 * ONE_MINUTE;
        harness.setProcessingTime(now);
        harness.processWatermark(new Watermark(BEGINNING - 1));
        send(atMerchant("p1", "card-a", BEGINNING));
        harness.setProcessingTime(now + 5_000);
        assertThat(answers()).as("a 5 s stall in a catch-up").isEmpty();

        harness.setProcessingTime(now + CatchUp.DEFAULT_WAIT.toMillis() + 200);

        assertThat(answers()).extracting(EntityFeatures::paymentId).containsExactly("p1");
        assertThat(answers()).allMatch(EntityFeatures::partial);
        harness.processWatermark(new Watermark(BEGINNING + ONE_MINUTE));
        assertThat(answers()).hasSize(1);
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    @Test
    void shouldAnswerAtOnceFromWhatHasArrivedWhenAskedToNotWaitForTheWatermark() throws Exception {
        harness.close();
        harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new EntityFeatureOperator(Duration.ofSeconds(1), CatchUp.of(CatchUp.DEFAULT_WAIT), false),
                EntityRequest::key,
                Types.STRING,
                128,
                1,
                0);
        harness.open();
        send(atMerchant("p2", "card-b", BEGINNING + 2 * ONE_MINUTE));
        assertThat(answers()).extracting(EntityFeatures::paymentId).containsExactly("p2");

        // An earlier payment arriving later: p2 was answered without it (approximate), p3 counts both.
        send(atMerchant("p1", "card-a", BEGINNING));
        send(atMerchant("p3", "card-c", BEGINNING + 3 * ONE_MINUTE));
        assertThat(answers()).extracting(a -> a.values()[0]).containsExactly(1.0, 1.0, 3.0);
    }

    @Test
    void shouldReadEachWindowOnceForAllTheRequestsAWatermarkPasses() throws Exception {
        for (int i = 0; i < 5; i++) {
            send(atMerchant("p" + i, "card-" + i, BEGINNING + i * 1_000));
        }
        harness.processWatermark(new Watermark(BEGINNING + 10_000));

        assertThat(answers()).extracting(EntityFeatures::paymentId).containsExactly("p0", "p1", "p2", "p3", "p4");
        assertThat(answers()).extracting(a -> a.values()[0]).containsExactly(1.0, 2.0, 3.0, 4.0, 5.0);
        assertThat(harness.numKeyedStateEntries()).as("one window").isEqualTo(1);
    }

    @Test
    void shouldAnswerTheRequestsWaitingAtACheckpointAfterARestore() throws Exception {
        send(atMerchant("p1", "card-a", BEGINNING));
        harness.processWatermark(new Watermark(BEGINNING));
        send(atMerchant("p2", "card-b", BEGINNING + ONE_MINUTE));
        send(new EntityRequest(
                "ip:10.0.0.1", Entity.IP, payment("p3", "card-b", BEGINNING + ONE_MINUTE, "5.00"), COUNT_10M));
        assertThat(answers()).extracting(EntityFeatures::paymentId).containsExactly("p1");

        var snapshot = harness.snapshot(1, 1);
        harness.close();
        harness = newHarness();
        harness.setup();
        harness.initializeState(snapshot);
        harness.open();
        harness.processWatermark(new Watermark(BEGINNING + ONE_MINUTE));

        // Restored with the window of p1, so p2 counts both.
        assertThat(answers()).extracting(EntityFeatures::paymentId).containsExactlyInAnyOrder("p2", "p3");
        assertThat(answers())
                .filteredOn(a -> a.paymentId().equals("p2"))
                .extracting(a -> a.values()[0])
                .containsExactly(2.0);
    }

    @Test
    void shouldWriteOnlyTheRequestsWaitingAtTheLatestCheckpoint() throws Exception {
        send(atMerchant("p1", "card-a", BEGINNING));
        harness.snapshot(1, 1);
        harness.processWatermark(new Watermark(BEGINNING));
        var second = harness.snapshot(2, 2);
        harness.close();
        harness = newHarness();
        harness.setup();
        harness.initializeState(second);
        harness.open();
        harness.processWatermark(new Watermark(BEGINNING + ONE_MINUTE));

        assertThat(answers())
                .as("p1 was answered before the second checkpoint: not again after the restore")
                .isEmpty();
    }

    @Test
    void shouldCountARestoreAsMovementAndLeaveNoStateOrTimerOnceTheRestoredRequestIsAnswered() throws Exception {
        harness.setProcessingTime(0);
        send(atMerchant("p1", "card-a", BEGINNING));
        var snapshot = harness.snapshot(1, 1);
        harness.close();
        harness = newHarness();
        harness.setProcessingTime(5_000);
        harness.setup();
        harness.initializeState(snapshot);
        harness.open();

        // Restored at 5,000 with no watermark since: it has waited since the restore, and the first
        // check, before any watermark tells live traffic from a catch-up, comes after the catch-up wait.
        harness.setProcessingTime(5_999);
        assertThat(answers()).isEmpty();
        long check = 5_000 + CatchUp.DEFAULT_WAIT.toMillis() + 100;
        harness.setProcessingTime(check - 1);
        assertThat(answers()).isEmpty();
        harness.setProcessingTime(check);
        assertThat(answers()).extracting(EntityFeatures::paymentId).containsExactly("p1");
        assertThat(answers()).allMatch(EntityFeatures::partial);

        // The next checkpoint drops the request from state; the window goes once quiet for its horizon.
        harness.snapshot(2, check + 1);
        assertThat(harness.numKeyedStateEntries()).as("the window only").isEqualTo(1);
        harness.processWatermark(new Watermark(BEGINNING + TEN_MINUTES + 3 * ONE_MINUTE));
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }
}
