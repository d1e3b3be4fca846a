package io.veto.feature;

import static io.veto.feature.TestEvents.DAY;
import static io.veto.feature.TestEvents.HOUR;
import static io.veto.feature.TestEvents.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.veto.event.EventType;
import io.veto.event.PaymentEvent;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/**
 * What one entity's window costs in state, measured the way Flink stores it: the bytes its POJO
 * serializer writes (what RocksDB holds and every checkpoint carries).
 */
class EventWindowStateSizeTest {
    private static final TypeSerializer<EventWindow> SERIALIZER =
            TypeInformation.of(EventWindow.class).createSerializer(new SerializerConfigImpl());

    /** The card features of rules/default (velocity, card testing, amount spike). */
    private static final List<String> DEFAULT_RULES = List.of(
            "count_10m",
            "max_amount_10m",
            "min_amount_10m",
            "count_1h",
            "sum_amount_1h",
            "count_24h",
            "sum_amount_24h");

    private static Set<FeatureSpec> cardSpecs(List<String> names) {
        Set<FeatureSpec> s = new LinkedHashSet<>();
        for (String n : names) {
            s.add(FeatureSpec.parse(Entity.CARD, n));
        }
        return s;
    }

    static int serializedSize(EventWindow w) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(1024);
        SERIALIZER.serialize(w, out);
        return out.length();
    }

    /** Payments of one cardholder: {@code perDay} a day at daytime hours, everyday amounts, mostly at home. */
    private static List<PaymentEvent> cardholder(long seed, int days, int perDay) {
        Random rnd = new Random(seed);
        List<PaymentEvent> out = new ArrayList<>();
        String[] merchants = {"m-grocer", "m-cafe", "m-fuel", "m-online", "m-pharmacy", "m-books"};
        for (int d = 0; d < days; d++) {
            int n = Math.max(0, perDay - 2 + rnd.nextInt(5));
            List<Long> times = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                // Between 07:00 and 22:00 UTC (T0 is noon).
                times.add(T0 + d * DAY - 5 * HOUR + (long) (rnd.nextDouble() * 15 * HOUR));
            }
            times.sort(null);
            for (long t : times) {
                // Log-normal around 30, cents only: what a card's everyday spending looks like.
                BigDecimal amount =
                        BigDecimal.valueOf(Math.round(Math.exp(Math.log(30) + rnd.nextGaussian()) * 100), 2);
                String country = rnd.nextInt(20) == 0 ? "FR" : "DE";
                out.add(new PaymentEvent(
                        "e" + out.size(),
                        EventType.PAYMENT,
                        "p" + out.size(),
                        t,
                        "tok_card",
                        "411111",
                        "1111",
                        "cust-1",
                        merchants[rnd.nextInt(merchants.length)],
                        "5411",
                        null,
                        amount,
                        "EUR",
                        country,
                        "10.0.0.1",
                        "dev-1",
                        "POS",
                        null,
                        null,
                        "test"));
            }
        }
        return out;
    }

    /** Feeds the payments as the card operator does, the watermark 2 seconds behind; returns the largest size seen after day 30. */
    private static int largestAfterThirtyDays(List<PaymentEvent> payments, Set<FeatureSpec> specs) throws IOException {
        WindowNeeds needs = WindowNeeds.of(specs);
        EventWindow w = new EventWindow();
        int largest = 0;
        for (PaymentEvent p : payments) {
            w.track(needs);
            w.add(p);
            for (FeatureSpec s : specs) {
                w.compute(s, p);
            }
            w.expire(p.eventTime() - 2000, needs.horizon());
            if (p.eventTime() >= T0 + 30 * DAY) {
                largest = Math.max(largest, serializedSize(w));
            }
        }
        return largest;
    }

    @Test
    void shouldKeepATypicalCardUnderOneKilobyteWithTheDefaultRulesAThirtyDayAverageAndDistinctCountries()
            throws IOException {
        List<String> names = new ArrayList<>(DEFAULT_RULES);
        names.add("avg_amount_30d");
        names.add("distinct_country_24h");
        int largest = 0;
        for (long seed = 1; seed <= 5; seed++) {
            largest = Math.max(largest, largestAfterThirtyDays(cardholder(seed, 45, 5), cardSpecs(names)));
        }
        int defaultOnly = largestAfterThirtyDays(cardholder(1, 45, 5), cardSpecs(DEFAULT_RULES));

        System.out.printf(
                "card window, ~5 payments/day: default rules %d B; + avg_amount_30d + distinct_country_24h %d B (largest of 5 cards)%n",
                defaultOnly, largest);
        assertThat(largest).isLessThanOrEqualTo(1024);
        assertThat(defaultOnly).isLessThan(300);
    }

    @Test
    void shouldReportTheCostOfRicherFeaturesAndOfABusyEntity() throws IOException {
        Set<FeatureSpec> rich = cardSpecs(List.of(
                "count_10m",
                "avg_amount_30d",
                "max_amount_30d",
                "stddev_amount_30d",
                "distinct_country_30d",
                "distinct_merchant_30d",
                "chargeback_rate_28d",
                "amount_ratio_30d",
                "since_last"));
        int richCard = largestAfterThirtyDays(cardholder(7, 45, 5), rich);

        // A merchant: 2,000 payments a day from many cards, with a 30-day average and 24h distinct cards.
        Random rnd = new Random(3);
        Set<FeatureSpec> merchantSpecs = new LinkedHashSet<>(List.of(
                FeatureSpec.parse(Entity.MERCHANT, "count_10m"),
                FeatureSpec.parse(Entity.MERCHANT, "avg_amount_30d"),
                FeatureSpec.parse(Entity.MERCHANT, "distinct_card_1h")));
        WindowNeeds needs = WindowNeeds.of(merchantSpecs);
        EventWindow merchant = new EventWindow();
        for (int i = 0; i < 31 * 2000; i++) {
            long t = T0 + i * (DAY / 2000);
            PaymentEvent p = TestEvents.event(
                    EventType.PAYMENT, "p" + i, t, "12.34", "card-" + rnd.nextInt(50_000), "m-1", null, "DE");
            merchant.track(needs);
            merchant.add(p);
            merchant.expire(t - 2000, needs.horizon());
        }
        int merchantSize = serializedSize(merchant);

        System.out.printf(
                "card window with 9 richer features over 30 days: %d B; merchant at 2,000 payments/day: %d B (%d payments in its exact tier)%n",
                richCard, merchantSize, merchant.size);
        assertThat(richCard).isLessThan(2048);
        // Its exact tier (24 bytes a payment with one hashed field, up to a quarter spare) dominates;
        // 720 hour buckets add a few KB.
        assertThat(merchantSize).isLessThan(2001 * 24 * 5 / 4 + 8 * 1024);
        assertThat(merchant.size).isBetween(1999, 2001);
    }
}
