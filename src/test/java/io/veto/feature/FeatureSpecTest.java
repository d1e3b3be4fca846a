package io.veto.feature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class FeatureSpecTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "count_10m",
                "sum_amount_1h",
                "avg_amount_2d",
                "max_amount_7h",
                "min_amount_10m",
                "stddev_amount_30d",
                "distinct_country_23h",
                "distinct_card_1h",
                "distinct_customer_7d",
                "distinct_merchant_1d",
                "distinct_terminal_2h",
                "distinct_device_90d",
                "distinct_ip_15m",
                "distinct_mcc_30s",
                "distinct_currency_3d",
                "distinct_bin_120d",
                "chargeback_count_28d",
                "chargeback_rate_28d",
                "refund_count_7d",
                "refund_rate_90d",
                "amount_ratio_30d",
                "since_last"
            })
    void shouldRoundTripEveryAggregateThroughItsName(String name) {
        FeatureSpec spec = FeatureSpec.parse(Entity.MERCHANT, name);

        assertThat(spec.name()).isEqualTo(name);
        assertThat(spec.qualifiedName()).isEqualTo("merchant." + name);
        assertThat(FeatureSpec.parse(Entity.MERCHANT, spec.name())).isEqualTo(spec);
        assertThat(name).startsWith(spec.aggregate().ruleName());
    }

    @Test
    void shouldReadTheFieldsAndHorizonOfAFeature() {
        FeatureSpec distinct = FeatureSpec.parse(Entity.CARD, "distinct_country_24h");
        FeatureSpec rate = FeatureSpec.parse(Entity.TERMINAL, "chargeback_rate_28d");
        FeatureSpec since = FeatureSpec.parse(Entity.CARD, "since_last");

        assertThat(distinct.aggregate()).isEqualTo(Aggregate.DISTINCT);
        assertThat(distinct.valueField()).isEqualTo(ValueField.COUNTRY);
        assertThat(distinct.horizonMillis()).isEqualTo(24 * 3_600_000L);
        assertThat(distinct.exact()).isTrue();
        assertThat(rate.aggregate()).isEqualTo(Aggregate.CHARGEBACK_RATE);
        assertThat(rate.field()).isNull();
        assertThat(rate.exact()).isFalse();
        assertThat(since.horizonMillis()).isEqualTo(FeatureSpec.SINCE_LAST_HORIZON_MILLIS);
    }

    @Test
    void shouldWriteEquivalentHorizonsInTheirLargestUnit() {
        assertThat(FeatureSpec.parse(Entity.CARD, "count_60m").name()).isEqualTo("count_1h");
        assertThat(FeatureSpec.parse(Entity.CARD, "count_48h").name()).isEqualTo("count_2d");
        assertThat(FeatureSpec.parse(Entity.CARD, "distinct_country_24h").name())
                .isEqualTo("distinct_country_1d");
        assertThat(FeatureSpec.parse(Entity.CARD, "distinct_country_24h"))
                .isEqualTo(FeatureSpec.parse(Entity.CARD, "distinct_country_1d"));
        assertThat(FeatureSpec.parse(Entity.CARD, "count_90s").name()).isEqualTo("count_90s");
        assertThat(FeatureSpec.parse(Entity.CARD, "count_120d").horizonMillis()).isEqualTo(120 * 86_400_000L);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "cnt_10m|unknown aggregate 'cnt' in 'card.cnt_10m'; known: count, sum, avg, max, min, stddev, distinct, chargeback_count,"
                        + " chargeback_rate, refund_count, refund_rate, amount_ratio, since_last",
                "chargeback_10m|unknown aggregate 'chargeback' in 'card.chargeback_10m'; known:",
                "count|'card.count' is not a feature: write <aggregate>[_<field>]_<horizon>, e.g. card.count_10m or card.sum_amount_24h",
                "count_10w|'card.count_10w' is not a feature",
                "sum_10m|'sum_10m' needs a field, e.g. sum_amount_10m",
                "count_amount_10m|'count' takes no field: write count_10m",
                "amount_ratio_amount_1h|'amount_ratio' takes no field: write amount_ratio_1h",
                "max_country_1h|'max' works on amount only, not 'country'",
                "distinct_24h|'distinct_24h' needs a field, e.g. distinct_country_24h; fields: card, customer, merchant, terminal, device,"
                        + " ip, country, mcc, currency, bin",
                "distinct_amount_24h|'distinct' counts one of card, customer, merchant, terminal, device, ip, country, mcc, currency, bin,"
                        + " not 'amount'",
                "since_last_10m|'since_last' takes no horizon: write card.since_last",
                "count_0m|the horizon of 'count_0m' must be positive",
                "count_121d|the horizon of 'count_121d' is longer than the 120d that windows keep",
                "count_2881h|the horizon of 'count_2881h' is longer than the 120d that windows keep",
            })
    void shouldExplainWhatIsWrongWithAName(String name, String message) {
        assertThatThrownBy(() -> FeatureSpec.parse(Entity.CARD, name))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void shouldRefuseSpecsThatCouldNotBeWrittenInARule() {
        List<Runnable> invalid = List.of(
                () -> new FeatureSpec(Entity.CARD, Aggregate.COUNT, "amount", 60_000L),
                () -> new FeatureSpec(Entity.CARD, Aggregate.SUM, null, 60_000L),
                () -> new FeatureSpec(Entity.CARD, Aggregate.DISTINCT, "colour", 60_000L),
                () -> new FeatureSpec(Entity.CARD, Aggregate.SINCE_LAST, null, 60_000L),
                () -> new FeatureSpec(Entity.CARD, Aggregate.COUNT, null, 1_500L),
                () -> new FeatureSpec(Entity.CARD, Aggregate.COUNT, null, FeatureSpec.MAX_HORIZON_MILLIS + 1000));
        for (Runnable r : invalid) {
            assertThatThrownBy(r::run).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void shouldRecordOnlyWhatTheFeaturesRead() {
        WindowNeeds plain = WindowNeeds.of(
                List.of(FeatureSpec.parse(Entity.CARD, "count_10m"), FeatureSpec.parse(Entity.CARD, "sum_amount_1h")));
        WindowNeeds rich = WindowNeeds.of(List.of(
                FeatureSpec.parse(Entity.CARD, "distinct_country_24h"),
                FeatureSpec.parse(Entity.CARD, "distinct_device_30d"),
                FeatureSpec.parse(Entity.CARD, "chargeback_rate_28d")));

        assertThat(plain.horizon()).isEqualTo(3_600_000L);
        assertThat(plain.distinctFields()).isEmpty();
        assertThat(plain.readsFeedback()).isFalse();
        assertThat(rich.horizon()).isEqualTo(30 * 86_400_000L);
        assertThat(rich.distinctFields()).containsExactly(ValueField.DEVICE, ValueField.COUNTRY);
        assertThat(rich.readsFeedback()).isTrue();
        assertThat(WindowNeeds.of(List.of()).horizon()).isZero();
    }
}
