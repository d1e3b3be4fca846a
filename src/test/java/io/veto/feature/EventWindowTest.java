package io.veto.feature;

import static io.veto.feature.TestEvents.DAY;
import static io.veto.feature.TestEvents.HOUR;
import static io.veto.feature.TestEvents.MINUTE;
import static io.veto.feature.TestEvents.T0;
import static io.veto.feature.TestEvents.event;
import static io.veto.feature.TestEvents.feedback;
import static io.veto.feature.TestEvents.payment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.veto.event.EventType;
import io.veto.event.PaymentEvent;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class EventWindowTest {

    private static FeatureSpec card(String name) {
        return FeatureSpec.parse(Entity.CARD, name);
    }

    /** A window tracking {@code names}, fed {@code events} in order, never expired. */
    private static EventWindow window(Set<FeatureSpec> specs, PaymentEvent... events) {
        EventWindow w = new EventWindow();
        w.track(specs);
        for (PaymentEvent e : events) {
            w.add(e);
        }
        return w;
    }

    private static Set<FeatureSpec> specs(String... names) {
        Set<FeatureSpec> s = new LinkedHashSet<>();
        for (String n : names) {
            s.add(card(n));
        }
        return s;
    }

    private static double value(EventWindow w, String name, PaymentEvent current) {
        return w.compute(card(name), current);
    }

    // ------------------------------------------------------------------ a hot key's cap

    @Test
    void shouldFoldAHotKeysOldestPaymentsIntoTheHourTierBeyondTheCapAndNeverCountMoreThanTheTruth() {
        int n = EventWindow.MAX_EXACT_EVENTS + 5_000;
        for (Set<FeatureSpec> s : List.of(
                specs("count_10m", "sum_amount_10m", "distinct_country_10m"),
                specs("count_10m", "sum_amount_10m", "distinct_country_10m", "count_7d", "sum_amount_7d"))) {
            EventWindow w = new EventWindow();
            w.track(s);
            PaymentEvent last = null;
            int maxSize = 0;
            // A carding bot: a payment every 10 ms on one card, 25,000 of them inside ten minutes.
            for (int i = 0; i < n; i++) {
                last = payment(T0 + 30 * MINUTE + i * 10L, "1.00", i % 2 == 0 ? "FR" : "DE");
                w.add(last);
                maxSize = Math.max(maxSize, w.size);
            }

            assertThat(maxSize).isLessThanOrEqualTo(EventWindow.MAX_EXACT_EVENTS);
            assertThat(w.buckets).as("the oldest payments, folded").isNotNull();
            assertThat(value(w, "count_10m", last)).isBetween(0.75 * EventWindow.MAX_EXACT_EVENTS, (double) n);
            assertThat(value(w, "sum_amount_10m", last)).isBetween(0.75 * EventWindow.MAX_EXACT_EVENTS, (double) n);
            assertThat(value(w, "distinct_country_10m", last)).isEqualTo(2.0);
            if (s.contains(card("count_7d"))) {
                assertThat(value(w, "count_7d", last))
                        .as("long windows stay exact")
                        .isEqualTo(n);
                assertThat(value(w, "sum_amount_7d", last)).isEqualTo(n);
            }
        }
    }

    @Test
    void shouldCountTheHourTierInAShortWindowWhenItsHoursStartInsideIt() {
        EventWindow w = new EventWindow();
        w.track(specs("count_2h"));
        long hourStart = Math.floorDiv(T0, HOUR) * HOUR + HOUR;
        int n = EventWindow.MAX_EXACT_EVENTS + 1;
        PaymentEvent last = null;
        for (int i = 0; i < n; i++) {
            last = payment(hourStart + i * 10L, "1.00");
            w.add(last);
        }
        // Every folded payment is in an hour that starts inside the two hours: all are counted.
        assertThat(value(w, "count_2h", last)).isEqualTo(n);
    }

    // ------------------------------------------------------------------ exact window edges

    @Test
    void shouldLeaveOutAnEventExactlyOneHorizonOldAndKeepOneAMillisecondYounger() {
        PaymentEvent onEdge = payment(T0, "100.00", "FR");
        PaymentEvent justIn = payment(T0 + 1, "2.00", "DE");
        PaymentEvent current = payment(T0 + 10 * MINUTE, "5.00", "IT");
        Set<FeatureSpec> s = specs(
                "count_10m",
                "sum_amount_10m",
                "avg_amount_10m",
                "max_amount_10m",
                "min_amount_10m",
                "stddev_amount_10m",
                "distinct_country_10m",
                "amount_ratio_10m");
        EventWindow w = window(s, onEdge, justIn, current);

        assertThat(value(w, "count_10m", current)).isEqualTo(2.0);
        assertThat(value(w, "sum_amount_10m", current)).isEqualTo(7.0);
        assertThat(value(w, "avg_amount_10m", current)).isEqualTo(3.5);
        assertThat(value(w, "max_amount_10m", current)).isEqualTo(5.0);
        assertThat(value(w, "min_amount_10m", current)).isEqualTo(2.0);
        assertThat(value(w, "stddev_amount_10m", current)).isCloseTo(1.5, within(1e-12));
        assertThat(value(w, "distinct_country_10m", current)).isEqualTo(2.0);
        assertThat(value(w, "amount_ratio_10m", current)).isEqualTo(2.5);
    }

    @Test
    void shouldIncludeThePaymentItselfAndNothingLaterInEventTime() {
        PaymentEvent later = payment(T0 + 5 * MINUTE, "50.00", "FR");
        PaymentEvent current = payment(T0, "10.00", "DE");
        // The later payment arrives first: the current one's window must not see it.
        EventWindow w = window(specs("count_10m", "sum_amount_10m", "distinct_country_10m"), later, current);

        assertThat(value(w, "count_10m", current)).isEqualTo(1.0);
        assertThat(value(w, "sum_amount_10m", current)).isEqualTo(10.0);
        assertThat(value(w, "distinct_country_10m", current)).isEqualTo(1.0);
        assertThat(value(w, "count_10m", later)).isEqualTo(2.0);
        assertThat(value(w, "distinct_country_10m", later)).isEqualTo(2.0);
    }

    @Test
    void shouldCountOutOfOrderPaymentsForLaterOnes() {
        PaymentEvent p3 = payment(T0 + 3 * MINUTE, "3.00");
        PaymentEvent p1 = payment(T0 + MINUTE, "1.00");
        PaymentEvent p2 = payment(T0 + 2 * MINUTE, "2.00");
        PaymentEvent p4 = payment(T0 + 4 * MINUTE, "4.00");
        EventWindow w = window(specs("count_10m", "min_amount_10m", "max_amount_10m"), p3, p1, p2, p4);

        assertThat(w.times).startsWith(T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE, T0 + 4 * MINUTE);
        assertThat(value(w, "count_10m", p2)).isEqualTo(2.0);
        assertThat(value(w, "count_10m", p4)).isEqualTo(4.0);
        assertThat(value(w, "min_amount_10m", p4)).isEqualTo(1.0);
        assertThat(value(w, "max_amount_10m", p2)).isEqualTo(2.0);
    }

    @Test
    void shouldGiveZeroOrTheSentinelWhenNothingElseIsInTheWindow() {
        PaymentEvent only = payment(T0, "42.00");
        EventWindow w = window(
                specs(
                        "count_1h",
                        "stddev_amount_1h",
                        "amount_ratio_1h",
                        "chargeback_rate_1h",
                        "refund_count_1h",
                        "distinct_device_1h",
                        "since_last"),
                only);

        assertThat(value(w, "count_1h", only)).isEqualTo(1.0);
        assertThat(value(w, "max_amount_1h", only)).isEqualTo(42.0);
        assertThat(value(w, "stddev_amount_1h", only)).isZero();
        assertThat(value(w, "amount_ratio_1h", only)).isZero();
        assertThat(value(w, "chargeback_rate_1h", only)).isZero();
        assertThat(value(w, "refund_count_1h", only)).isZero();
        assertThat(value(w, "distinct_device_1h", only)).isEqualTo(1.0);
        assertThat(value(w, "since_last", only)).isEqualTo(FeatureSpec.SINCE_LAST_NONE);

        EventWindow empty = new EventWindow();
        for (String name : List.of(
                "count_1h",
                "sum_amount_1h",
                "avg_amount_1h",
                "max_amount_1h",
                "min_amount_1h",
                "stddev_amount_1h",
                "distinct_country_1h",
                "chargeback_rate_30d",
                "refund_rate_1h")) {
            assertThat(empty.compute(card(name), T0)).as(name).isZero();
        }
        assertThat(empty.isEmpty()).isTrue();
        assertThat(empty.latestTime()).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void shouldNotCountAFieldThePaymentLacksAsADistinctValue() {
        PaymentEvent noDevice = event(EventType.PAYMENT, "p1", T0, "1.00", "card-1", "m-1", null, "DE");
        PaymentEvent withDevice = event(EventType.PAYMENT, "p2", T0 + 1, "1.00", "card-1", "m-1", "dev-9", "DE");
        EventWindow w = window(specs("distinct_device_1h", "distinct_terminal_1h"), noDevice, withDevice);

        assertThat(value(w, "distinct_device_1h", noDevice)).isZero();
        assertThat(value(w, "distinct_device_1h", withDevice)).isEqualTo(1.0);
        assertThat(value(w, "distinct_terminal_1h", withDevice)).isEqualTo(1.0);
    }

    // ------------------------------------------------------------------ since_last and amount_ratio

    @Test
    void shouldMeasureTheTimeSinceThePreviousPaymentInEventTime() {
        PaymentEvent first = payment(T0, "1.00");
        PaymentEvent third = payment(T0 + 10 * MINUTE, "3.00");
        PaymentEvent second = payment(T0 + 4 * MINUTE, "2.00");
        PaymentEvent twin = payment(T0 + 10 * MINUTE, "9.00");
        EventWindow w = window(specs("since_last"), first, third, second);

        assertThat(value(w, "since_last", third)).isEqualTo(6 * MINUTE);
        assertThat(value(w, "since_last", second)).isEqualTo(4 * MINUTE);
        assertThat(value(w, "since_last", first)).isEqualTo(FeatureSpec.SINCE_LAST_NONE);
        w.add(twin);
        assertThat(value(w, "since_last", twin)).isZero();
    }

    @Test
    void shouldForgetAPreviousPaymentOlderThanThirtyDaysAndRememberOneThatWasFolded() {
        PaymentEvent old = payment(T0, "1.00");
        PaymentEvent tooLate = payment(T0 + 30 * DAY, "1.00");
        PaymentEvent inReach = payment(T0 + 30 * DAY - 1, "1.00");

        EventWindow w = window(specs("since_last"), old, tooLate);
        assertThat(value(w, "since_last", tooLate)).isEqualTo(FeatureSpec.SINCE_LAST_NONE);

        EventWindow folded = window(specs("since_last"), old);
        folded.expire(T0 + 29 * DAY, FeatureSpec.SINCE_LAST_HORIZON_MILLIS);
        assertThat(folded.size).isZero();
        assertThat(folded.lastFoldedPayment).isEqualTo(T0);
        folded.add(inReach);
        assertThat(value(folded, "since_last", inReach)).isEqualTo(30 * DAY - 1);
    }

    @Test
    void shouldCompareTheAmountWithTheAverageOfTheOtherPayments() {
        PaymentEvent a = payment(T0, "10.00");
        PaymentEvent b = payment(T0 + MINUTE, "30.00");
        PaymentEvent big = payment(T0 + 2 * MINUTE, "200.00");
        EventWindow w = window(specs("amount_ratio_1h"), a, b, big);

        assertThat(value(w, "amount_ratio_1h", big)).isEqualTo(10.0);
        assertThatThrownBy(() -> w.compute(card("amount_ratio_1h"), T0)).isInstanceOf(IllegalArgumentException.class);
        EventWindow zeros = window(specs("amount_ratio_1h"), payment(T0, "0"), payment(T0 + 1, "5.00"));
        assertThat(zeros.compute(card("amount_ratio_1h"), payment(T0 + 1, "5.00")))
                .isZero();
    }

    // ------------------------------------------------------------------ feedback

    @Test
    void shouldCountChargebacksAndRefundsAtTheirOwnTimeAndNeverAsPayments() {
        Set<FeatureSpec> s = specs(
                "count_1h",
                "sum_amount_1h",
                "chargeback_count_1h",
                "chargeback_rate_1h",
                "refund_count_1h",
                "refund_rate_1h");
        PaymentEvent p1 = payment(T0, "10.00");
        PaymentEvent p2 = payment(T0 + MINUTE, "20.00");
        EventWindow w = window(
                s,
                p1,
                p2,
                feedback(EventType.CHARGEBACK, p1.paymentId(), T0 + 2 * MINUTE),
                feedback(EventType.REFUND, p2.paymentId(), T0 + 3 * MINUTE),
                feedback(EventType.REVERSAL, p2.paymentId(), T0 + 4 * MINUTE),
                feedback(EventType.LOGIN, "x", T0 + 4 * MINUTE));
        PaymentEvent p3 = payment(T0 + 5 * MINUTE, "30.00");
        w.add(p3);

        assertThat(value(w, "count_1h", p3)).isEqualTo(3.0);
        assertThat(value(w, "sum_amount_1h", p3)).isEqualTo(60.0);
        assertThat(value(w, "chargeback_count_1h", p3)).isEqualTo(1.0);
        assertThat(value(w, "chargeback_rate_1h", p3)).isEqualTo(1.0 / 3);
        assertThat(value(w, "refund_count_1h", p3)).isEqualTo(2.0);
        assertThat(value(w, "refund_rate_1h", p3)).isEqualTo(2.0 / 3);
        // p2's window closes before the feedback was reported.
        assertThat(value(w, "chargeback_count_1h", p2)).isZero();
    }

    @Test
    void shouldLeaveOutFeedbackExactlyOneHorizonOldAndCountFeedbackAtThePaymentsOwnTime() {
        EventWindow w = window(
                specs("chargeback_count_1h", "refund_count_1h"),
                feedback(EventType.CHARGEBACK, "a", T0),
                feedback(EventType.CHARGEBACK, "b", T0 + 1),
                feedback(EventType.REFUND, "c", T0 + HOUR),
                feedback(EventType.REFUND, "d", T0 + HOUR + 1));
        PaymentEvent current = payment(T0 + HOUR, "1.00");
        w.add(current);

        assertThat(value(w, "chargeback_count_1h", current)).isEqualTo(1.0);
        assertThat(value(w, "refund_count_1h", current)).isEqualTo(1.0);
    }

    @Test
    void shouldIgnoreFeedbackWhenNoFeatureReadsIt() {
        EventWindow w = window(specs("count_1h"), payment(T0, "1.00"));

        assertThat(w.add(feedback(EventType.CHARGEBACK, "p", T0 + 1))).isFalse();
        assertThat(w.feedbackTimes).isNull();
    }

    @Test
    void shouldKeepChargebacksBeyondADayInHourBuckets() {
        Set<FeatureSpec> s = specs("chargeback_count_28d", "chargeback_rate_28d", "count_28d");
        EventWindow w = window(
                s,
                payment(T0, "1.00"),
                feedback(EventType.CHARGEBACK, "p", T0 + HOUR + 5),
                feedback(EventType.REFUND, "p", T0 + HOUR + 6));
        w.expire(T0 + 3 * DAY, 28 * DAY);
        assertThat(w.size).isZero();
        assertThat(w.feedbackSize).isZero();
        PaymentEvent now = payment(T0 + 3 * DAY + 1, "1.00");
        w.add(now);

        assertThat(value(w, "chargeback_count_28d", now)).isEqualTo(1.0);
        assertThat(value(w, "count_28d", now)).isEqualTo(2.0);
        assertThat(value(w, "chargeback_rate_28d", now)).isEqualTo(0.5);
    }

    // ------------------------------------------------------------------ long horizons: the documented bound

    @Test
    void shouldStartAWindowOverADayOnTheFirstWholeHourAfterTheHorizon() {
        Set<FeatureSpec> s = specs("count_30d", "sum_amount_30d");
        long t = T0 + 30 * DAY + 20 * MINUTE; // t - 30d = T0 + 20m, in the hour starting at T0
        PaymentEvent partialHour = payment(T0 + 25 * MINUTE, "1.00"); // after t - 30d, in that partial hour: out
        PaymentEvent lastOfHour = payment(T0 + HOUR - 1, "2.00"); // out
        PaymentEvent wholeHour = payment(T0 + HOUR, "4.00"); // the first whole hour: in
        PaymentEvent current = payment(t, "8.00");

        EventWindow unfolded = window(s, partialHour, lastOfHour, wholeHour, current);
        EventWindow folded = window(s, partialHour, lastOfHour, wholeHour);
        folded.expire(T0 + 29 * DAY, 30 * DAY);
        assertThat(folded.size).isZero();
        assertThat(folded.buckets).isNotNull();
        folded.add(current);

        for (EventWindow w : List.of(unfolded, folded)) {
            assertThat(value(w, "count_30d", current)).isEqualTo(2.0);
            assertThat(value(w, "sum_amount_30d", current)).isEqualTo(12.0);
        }
        // At t' = t + 40m, t' - 30d = T0 + 1h exactly: the hour starting there is out, and the window
        // starts at the next hour. Short horizons stay exact to the millisecond meanwhile.
        PaymentEvent later = payment(T0 + 30 * DAY + HOUR, "16.00");
        folded.add(later);
        assertThat(value(folded, "count_30d", later)).isEqualTo(2.0);
        assertThat(EventWindow.windowStart(T0 + 30 * DAY + HOUR, 30 * DAY)).isEqualTo(T0 + 2 * HOUR - 1);
        assertThat(EventWindow.windowStart(T0 + 30 * DAY + 20 * MINUTE, 24 * HOUR))
                .isEqualTo(T0 + 29 * DAY + 20 * MINUTE);
    }

    @Test
    void shouldFoldOnlyWhatNoOnTimePaymentsDayCanReach() {
        Set<FeatureSpec> s = specs("count_24h", "count_30d");
        EventWindow w = window(s, payment(T0, "1.00"), payment(T0 + 1, "1.00"));
        // Watermark T0 + 24h - 1: the next on-time payment may be at T0 + 24h, whose day (T0, T0 + 24h]
        // holds the payment at T0 + 1 to the millisecond, so the exact tier must keep it.
        w.expire(T0 + DAY - 1, 30 * DAY);
        assertThat(w.size).isEqualTo(2);
        PaymentEvent next = payment(T0 + DAY, "1.00");
        w.add(next);
        assertThat(value(w, "count_24h", next)).isEqualTo(2.0);

        // Watermark T0 + 24h + 1: no on-time payment's day reaches T0 + 1 any more; both are folded.
        w.expire(T0 + DAY + 1, 30 * DAY);
        assertThat(w.size).isEqualTo(1);
        assertThat(w.lastFoldedPayment).isEqualTo(T0 + 1);
        PaymentEvent later = payment(T0 + DAY + 2, "1.00");
        w.add(later);
        assertThat(value(w, "count_24h", later)).isEqualTo(2.0);
        assertThat(value(w, "count_30d", later)).isEqualTo(4.0);
    }

    @Test
    void shouldReadTheHourTierOnlyUpToALatePaymentsOwnTime() {
        Set<FeatureSpec> s = specs("count_30d", "sum_amount_30d", "chargeback_count_30d");
        EventWindow w = window(
                s,
                payment(T0 + HOUR, "1.00"),
                payment(T0 + 5 * HOUR, "2.00"),
                feedback(EventType.CHARGEBACK, "p", T0 + 6 * HOUR));
        w.expire(T0 + 3 * DAY, 30 * DAY);
        assertThat(w.size).isZero();
        // Two days behind the watermark: its window ends before the folded hours of T0 + 5h and T0 + 6h.
        PaymentEvent late = payment(T0 + 2 * HOUR, "4.00");
        w.add(late);

        assertThat(value(w, "count_30d", late)).isEqualTo(2.0);
        assertThat(value(w, "sum_amount_30d", late)).isEqualTo(5.0);
        assertThat(value(w, "chargeback_count_30d", late)).isZero();
    }

    @Test
    void shouldComputeMaxMinAndStddevOverFoldedHoursAsOverThePayments() {
        Set<FeatureSpec> s =
                specs("max_amount_7d", "min_amount_7d", "stddev_amount_7d", "avg_amount_7d", "amount_ratio_7d");
        List<PaymentEvent> history = new ArrayList<>();
        String[] amounts = {"12.50", "0.99", "300.00", "47.1234", "47.1234", "5.00", "1999.99", "0"};
        for (int i = 0; i < amounts.length; i++) {
            // Two or three payments per hour, so that buckets hold several.
            history.add(payment(T0 + i * 25 * MINUTE, amounts[i]));
        }
        EventWindow w = window(s, history.toArray(PaymentEvent[]::new));
        w.expire(T0 + 3 * DAY, 7 * DAY);
        assertThat(w.size).isZero();
        PaymentEvent current = payment(T0 + 3 * DAY + 1, "100.00");
        w.add(current);

        double[] all = {12.5, 0.99, 300, 47.1234, 47.1234, 5, 1999.99, 0, 100};
        double mean = 0;
        for (double a : all) {
            mean += a / all.length;
        }
        double m2 = 0;
        for (double a : all) {
            m2 += (a - mean) * (a - mean);
        }
        assertThat(value(w, "max_amount_7d", current)).isEqualTo(1999.99);
        assertThat(value(w, "min_amount_7d", current)).isZero();
        assertThat(value(w, "avg_amount_7d", current)).isCloseTo(mean, within(1e-9));
        assertThat(value(w, "stddev_amount_7d", current)).isCloseTo(Math.sqrt(m2 / all.length), within(1e-9));
        assertThat(value(w, "amount_ratio_7d", current)).isCloseTo(100 / ((mean * all.length - 100) / 8), within(1e-9));
    }

    @Test
    void shouldRememberDistinctValuesOfFoldedHoursUntilTheyLeaveTheWindow() {
        Set<FeatureSpec> s = specs("distinct_country_30d", "distinct_country_24h");
        EventWindow w = window(
                s, payment(T0, "1.00", "FR"), payment(T0 + 2 * DAY, "1.00", "DE"), payment(T0 + 3 * DAY, "1.00", "FR"));
        w.expire(T0 + 10 * DAY, 30 * DAY);
        assertThat(w.size).isZero();
        assertThat(w.valueCount).isEqualTo(2);

        PaymentEvent now = payment(T0 + 10 * DAY + 1, "1.00", "IT");
        w.add(now);
        assertThat(value(w, "distinct_country_30d", now)).isEqualTo(3.0);
        assertThat(value(w, "distinct_country_24h", now)).isEqualTo(1.0);

        // 31.5 days after T0: the first FR left the window; DE and the second FR are still in it.
        PaymentEvent later = payment(T0 + 31 * DAY + 12 * HOUR, "1.00", "IT");
        w.add(later);
        assertThat(value(w, "distinct_country_30d", later)).isEqualTo(3.0);
        PaymentEvent muchLater = payment(T0 + 33 * DAY + HOUR, "1.00", "IT");
        w.add(muchLater);
        assertThat(value(w, "distinct_country_30d", muchLater)).isEqualTo(1.0);
    }

    @Test
    void shouldCountAtLeastTheCapAndNeverMoreThanTheTruthWhenAFieldHasTooManyValues() {
        int devices = EventWindow.MAX_REMEMBERED_VALUES + 300;
        EventWindow w = new EventWindow();
        w.track(specs("distinct_device_30d", "distinct_device_7d"));
        for (int i = 0; i < devices; i++) {
            w.add(event(EventType.PAYMENT, "p" + i, T0 + i * MINUTE, "1.00", "card-1", "m-1", "dev-" + i, "DE"));
        }
        w.expire(T0 + 5 * DAY, 30 * DAY);
        PaymentEvent now = payment(T0 + 5 * DAY + 1, "1.00");
        w.add(now);

        assertThat(w.valueCount).isEqualTo(EventWindow.MAX_REMEMBERED_VALUES);
        double count = value(w, "distinct_device_30d", now);
        assertThat(count).isBetween((double) EventWindow.MAX_REMEMBERED_VALUES, (double) devices);
        // The 300 values dropped are the oldest, those of hours 0-4: a window starting after them is exact.
        PaymentEvent week = payment(T0 + 7 * DAY + 9 * HOUR + 30 * MINUTE, "1.00");
        w.add(week);
        long oldestHourIn = Math.floorDiv(week.eventTime() - 7 * DAY, HOUR) + 1;
        long expected = 0;
        for (int i = 0; i < devices; i++) {
            if (Math.floorDiv(T0 + i * MINUTE, HOUR) >= oldestHourIn) {
                expected++;
            }
        }
        // ... plus dev-1 of the two newest payments.
        assertThat(expected).isEqualTo(devices - 600);
        assertThat(value(w, "distinct_device_7d", week)).isEqualTo(expected + 1);
    }

    // ------------------------------------------------------------------ eviction and size

    @Test
    void shouldBeEmptyOnceTheLongestHorizonHasPassed() {
        Set<FeatureSpec> s =
                specs("count_10m", "avg_amount_30d", "distinct_country_30d", "chargeback_count_28d", "since_last");
        long horizon = WindowNeeds.of(s).horizon();
        EventWindow w = window(
                s,
                payment(T0, "1.00", "FR"),
                payment(T0 + DAY, "2.00", "DE"),
                feedback(EventType.CHARGEBACK, "p", T0 + 2 * DAY));
        w.expire(T0 + 10 * DAY, horizon);
        assertThat(w.size).isZero();
        assertThat(w.isEmpty()).isFalse();

        // The chargeback's hour is reachable by a payment up to 30 days after the hour's start.
        w.expire(T0 + 32 * DAY - 1, horizon);
        assertThat(w.isEmpty()).isFalse();
        w.expire(T0 + 32 * DAY, horizon);
        assertThat(w.isEmpty()).isTrue();
        assertThat(w.buckets).isNull();
        assertThat(w.values).isNull();
        assertThat(w.lastFoldedPayment).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void shouldBeEmptyAfterEvictingUpToItsLatestTimeAsTheCleanupTimerDoes() {
        Set<FeatureSpec> s = specs("count_10m", "avg_amount_30d", "distinct_country_30d", "chargeback_count_28d");
        EventWindow w = window(
                s,
                payment(T0, "1.00", "FR"),
                payment(T0 + 3 * DAY, "2.00", "DE"),
                feedback(EventType.CHARGEBACK, "p", T0 + 3 * DAY + 1));
        w.expire(T0 + 2 * DAY, WindowNeeds.of(s).horizon());
        assertThat(w.buckets).isNotNull();
        assertThat(w.size).isEqualTo(1);

        assertThat(w.latestTime()).isEqualTo(T0 + 3 * DAY + 1);
        w.evictUpTo(w.latestTime());
        assertThat(w.isEmpty()).isTrue();
    }

    @Test
    void shouldKeepAtMostTheHoursOfTheLongestHorizonAndADayOfPayments() {
        Set<FeatureSpec> s = specs("count_10m", "avg_amount_30d", "max_amount_30d", "distinct_merchant_30d");
        long horizon = WindowNeeds.of(s).horizon();
        EventWindow w = new EventWindow();
        w.track(s);
        int maxSize = 0;
        int maxHours = 0;
        for (int i = 0; i < 90 * 24 * 4; i++) {
            long t = T0 + i * 15 * MINUTE; // every 15 minutes for 90 days
            PaymentEvent p = event(EventType.PAYMENT, "p" + i, t, "3.00", "card-1", "m-" + (i % 50), "dev-1", "DE");
            w.add(p);
            w.expire(t - 2000, horizon);
            maxSize = Math.max(maxSize, w.size);
            int hours = 0;
            HourBuckets.Reader r =
                    new HourBuckets.Reader(w.buckets, (w.layout >>> WindowNeeds.BUCKET_COLUMNS_SHIFT) & 7);
            while (r.next()) {
                hours++;
            }
            maxHours = Math.max(maxHours, hours);
        }
        assertThat(maxSize).isLessThanOrEqualTo(24 * 4 + 1);
        assertThat(maxHours).isLessThanOrEqualTo(30 * 24 + 1);
        assertThat(w.valueCount).isEqualTo(50);
        assertThat(w.times.length).isLessThan(2 * (24 * 4 + 1));
    }

    @Test
    void shouldKeepStateOfAnotherRuleSetReadableAfterTheNeedsChange() {
        Set<FeatureSpec> before = specs("distinct_country_1h", "distinct_device_1h");
        Set<FeatureSpec> after = specs("distinct_device_1h", "distinct_merchant_1h", "max_amount_7d");
        EventWindow w = window(before, payment(T0, "1.00", "FR"), payment(T0 + 1, "1.00", "DE"));
        w.track(after);
        PaymentEvent now = event(EventType.PAYMENT, "p3", T0 + 2, "7.00", "card-1", "m-2", "dev-2", "IT");
        w.add(now);

        assertThat(value(w, "distinct_device_1h", now)).isEqualTo(2.0);
        // The merchant was not recorded for the first two: only what came since counts.
        assertThat(value(w, "distinct_merchant_1h", now)).isEqualTo(1.0);
        assertThat(value(w, "distinct_country_1h", now)).isZero();
        assertThat(value(w, "max_amount_7d", now)).isEqualTo(7.0);
    }

    @Test
    void shouldStillServeCallersThatKnowOnlyTimesAndAmounts() {
        FeatureSpec count = card("count_10m");
        FeatureSpec sum = card("sum_amount_10m");
        EventWindow w = new EventWindow();
        w.add(T0, 10_000L);
        w.add(T0 + MINUTE, 25_000L);

        assertThat(w.compute(count, T0 + MINUTE)).isEqualTo(2.0);
        assertThat(w.compute(sum, T0 + MINUTE)).isEqualTo(3.5);
        assertThat(w.evictUpTo(T0)).isEqualTo(1);
        assertThat(w.size).isEqualTo(1);
        assertThat(w.latestTime()).isEqualTo(T0 + MINUTE);
    }

    // ------------------------------------------------------------------ Flink state

    @Test
    void shouldHaveItsOwnFlinkSerializerSoThatNoKryoIsNeeded() {
        assertThat(TypeInformation.of(EventWindow.class).createSerializer(new SerializerConfigImpl()))
                .isInstanceOf(EventWindowSerializer.class);
    }

    @Test
    void shouldComputeTheSameAfterASerializationRoundTrip() throws IOException {
        Set<FeatureSpec> s = specs(
                "count_10m",
                "avg_amount_30d",
                "stddev_amount_30d",
                "max_amount_30d",
                "distinct_country_30d",
                "distinct_device_24h",
                "chargeback_rate_28d",
                "refund_count_1h",
                "since_last");
        EventWindow w = window(
                s,
                payment(T0, "1.00", "FR"),
                payment(T0 + 5 * HOUR, "2.50", "DE"),
                feedback(EventType.CHARGEBACK, "p", T0 + 6 * HOUR),
                payment(T0 + 2 * DAY, "3.00", "IT"),
                feedback(EventType.REFUND, "p", T0 + 2 * DAY + 1));
        w.expire(T0 + 2 * DAY - 1, WindowNeeds.of(s).horizon());
        PaymentEvent now = payment(T0 + 2 * DAY + 2, "9.00", "ES");
        w.add(now);

        TypeSerializer<EventWindow> serializer =
                TypeInformation.of(EventWindow.class).createSerializer(new SerializerConfigImpl());
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(w, out);
        EventWindow copy = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));

        for (FeatureSpec spec : s) {
            assertThat(copy.compute(spec, now)).as(spec.name()).isEqualTo(w.compute(spec, now));
        }
        assertThat(copy.compute(card("distinct_country_30d"), now)).isEqualTo(4.0);
        assertThat(copy.compute(card("chargeback_rate_28d"), now)).isEqualTo(0.25);
        assertThat(copy.compute(card("since_last"), now)).isEqualTo(2.0);
    }
}
