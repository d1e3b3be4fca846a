package io.veto.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PaymentGeneratorTest {
    private static final int N = 200_000;
    private static final long TEN_MINUTES = Duration.ofMinutes(10).toMillis();
    private static final Pattern ISO_MILLIS = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z");
    private static final Pattern AMOUNT_IN_JSON = Pattern.compile("\"amount\":(\\d+\\.\\d{2})[,}]");
    private static final Set<String> BINS = new HashSet<>();

    private static List<Row> rows;
    private static PaymentGenerator reference; // same world as the rows, for the cards' profiles

    @BeforeAll
    static void generate() {
        rows = Row.defaultStream();
        reference = new PaymentGenerator(GeneratorConfig.defaults());
        RefData.COUNTRIES.forEach(c -> BINS.addAll(c.bins()));
    }

    @Test
    void sameSeedGivesTheSameFirst10kEvents() {
        PaymentGenerator a = new PaymentGenerator(GeneratorConfig.defaults().withSeed(7));
        PaymentGenerator b = new PaymentGenerator(GeneratorConfig.defaults().withSeed(7));
        for (int i = 0; i < 10_000; i++) {
            GeneratedEvent x = a.next();
            GeneratedEvent y = b.next();
            assertThat(y).as("event %d", i).isEqualTo(x);
            assertThat(y.json()).isEqualTo(x.json());
        }
    }

    @Test
    void anotherSeedGivesAnotherStream() {
        PaymentGenerator a = new PaymentGenerator(GeneratorConfig.defaults().withSeed(7));
        PaymentGenerator b = new PaymentGenerator(GeneratorConfig.defaults().withSeed(8));
        int sameJson = 0;
        int sameKey = 0;
        for (int i = 0; i < 10_000; i++) {
            GeneratedEvent x = a.next();
            GeneratedEvent y = b.next();
            sameJson += x.equals(y) ? 1 : 0;
            sameKey += x.key().equals(y.key()) ? 1 : 0;
        }
        assertThat(sameJson).isZero();
        assertThat(sameKey).isLessThan(100);
    }

    @Test
    void everyPanIsA16DigitLuhnValidNumberOnAKnownBinAndNeverInTheKey() {
        Pattern cardKey = Pattern.compile("card-\\d{6}");
        Map<String, String> panOfKey = new HashMap<>();
        for (Row r : rows) {
            assertThat(r.key()).matches(cardKey);
            if (r.pan() == null) {
                assertThat(r.type()).isIn("LOGIN", "PASSWORD_RESET", "DEVICE_CHANGE");
                continue;
            }
            assertThat(r.pan()).hasSize(16).containsOnlyDigits();
            assertThat(Luhn.isValid(r.pan())).as("Luhn of a generated PAN").isTrue();
            assertThat(BINS).contains(r.pan().substring(0, 6));
            assertThat(r.key()).doesNotContain(r.pan()).doesNotContain(r.pan().substring(6));
            // one card, one key: the key is a stable alias of the PAN
            assertThat(panOfKey.computeIfAbsent(r.key(), k -> r.pan())).isEqualTo(r.pan());
        }
        assertThat(new HashSet<>(panOfKey.values())).hasSize(panOfKey.size());
    }

    @Test
    void amountsAreTwoDecimalPositiveJsonNumbers() {
        for (Row r : rows) {
            if (r.pan() == null) {
                assertThat(r.amountIsNumber()).isFalse();
                continue;
            }
            assertThat(r.amountIsNumber())
                    .as("amount of %s is a JSON number", r.eventId())
                    .isTrue();
            assertThat(r.amount().scale()).isEqualTo(2);
            assertThat(r.amount()).isPositive();
            String json = r.event().jsonString();
            var m = AMOUNT_IN_JSON.matcher(json);
            assertThat(m.find())
                    .as("amount written as a plain 2-decimal number")
                    .isTrue();
            assertThat(new BigDecimal(m.group(1))).isEqualTo(r.amount());
        }
    }

    @Test
    void fieldsFollowThePaymentsTopicContract() {
        Set<String> eventIds = new HashSet<>();
        Set<String> paymentIds = new HashSet<>();
        Pattern mcc = Pattern.compile("\\d{4}");
        for (Row r : rows) {
            assertThat(eventIds.add(r.eventId())).as("unique eventId").isTrue();
            assertThat(r.eventId()).isEqualTo(r.event().eventId()).startsWith("evt-");
            assertThat(r.type()).isEqualTo(r.event().type());
            assertThat(r.eventTime()).matches(ISO_MILLIS);
            assertThat(Instant.parse(r.eventTime()).toEpochMilli()).isEqualTo(r.eventTimeMillis());
            assertThat(r.fraudLabel()).isEqualTo(r.event().fraudLabel());
            assertThat(r.customerId()).startsWith("cust-");
            assertThat(r.country()).matches("[A-Z]{2}");
            assertThat(r.paymentId()).isEqualTo(r.event().paymentId());
            switch (r.type()) {
                case "PAYMENT" -> {
                    assertThat(paymentIds.add(r.paymentId()))
                            .as("unique paymentId")
                            .isTrue();
                    assertThat(r.merchantId()).startsWith("mer-");
                    assertThat(r.mcc()).matches(mcc);
                    assertThat(r.currency()).matches("[A-Z]{3}");
                    assertThat(r.channel()).isIn("POS", "ECOM");
                    if (r.channel().equals("POS")) {
                        assertThat(r.terminalId()).isNotNull();
                        assertThat(r.hasLatLon()).isTrue();
                        assertThat(r.ip()).isNull();
                        assertThat(r.deviceId()).isNull();
                    } else {
                        assertThat(r.terminalId()).isNull();
                        assertThat(r.hasLatLon()).isFalse();
                        assertThat(r.ip()).matches("\\d{1,3}(\\.\\d{1,3}){3}");
                        assertThat(r.deviceId()).startsWith("dev-");
                    }
                    if (r.fraudLabel() != null) {
                        assertThat(r.fraudLabel()).isIn(GeneratedEvent.SCENARIO_LABELS);
                    }
                }
                case "REFUND", "REVERSAL", "CHARGEBACK" -> {
                    assertThat(r.paymentId()).startsWith("pay-");
                    if (r.type().equals("REFUND") && r.fraudLabel() != null) {
                        assertThat(r.fraudLabel()).isEqualTo("refund_abuse");
                    } else {
                        assertThat(r.fraudLabel()).isNull();
                    }
                    assertThat(r.merchantId()).startsWith("mer-");
                }
                case "LOGIN", "PASSWORD_RESET", "DEVICE_CHANGE" -> {
                    assertThat(r.paymentId()).isNull();
                    assertThat(r.pan()).isNull();
                    assertThat(r.amountIsNumber()).isFalse();
                    assertThat(r.deviceId()).startsWith("dev-");
                    assertThat(r.ip()).isNotNull();
                    if (r.fraudLabel() != null) {
                        assertThat(r.fraudLabel()).isEqualTo("account_takeover");
                        assertThat(r.type()).isIn("PASSWORD_RESET", "DEVICE_CHANGE");
                    }
                }
                default -> throw new AssertionError("unexpected type " + r.type());
            }
        }
    }

    @Test
    void eventTypesAndChannelsComeInRealisticShares() {
        Map<String, Integer> byType = new TreeMap<>();
        int pos = 0;
        int payments = 0;
        Set<String> mccs = new HashSet<>();
        for (Row r : rows) {
            byType.merge(r.type(), 1, Integer::sum);
            if (r.isPayment()) {
                payments++;
                pos += "POS".equals(r.channel()) ? 1 : 0;
                mccs.add(r.mcc());
            }
        }
        double n = rows.size();
        double account = (byType.get("LOGIN") + byType.get("PASSWORD_RESET") + byType.get("DEVICE_CHANGE")) / n;
        double refunds = (byType.get("REFUND") + byType.get("REVERSAL")) / n;
        double chargebacks = byType.get("CHARGEBACK") / n;
        assertThat(account).isBetween(0.02, 0.04);
        assertThat(refunds).isBetween(0.01, 0.02);
        assertThat(chargebacks).isBetween(0.001, 0.003);
        assertThat(pos / (double) payments).isBetween(0.5, 0.85);
        assertThat(mccs).contains("5411", "5812", "5999", "4121", "5732", "5816", "7995", "6051", "5311", "5541");
    }

    @Test
    void fraudShareOfPaymentsIsNearTheConfiguredRate() {
        assertThat(fraudShare(rows.subList(0, 100_000))).isCloseTo(0.01, within(0.0015));
        assertThat(fraudShare(
                        Row.generate(GeneratorConfig.defaults().withSeed(3).withFraudRate(0.05), 100_000)))
                .isCloseTo(0.05, within(0.005));
        assertThat(fraudShare(Row.generate(GeneratorConfig.defaults().withFraudRate(0), 20_000)))
                .isZero();
    }

    private static double fraudShare(List<Row> rows) {
        long payments = rows.stream().filter(Row::isPayment).count();
        long fraud = rows.stream()
                .filter(r -> r.isPayment() && r.fraudLabel() != null)
                .count();
        return fraud / (double) payments;
    }

    @Test
    void everyScenarioKindIsInjected() {
        Map<String, List<List<Row>>> scenarios = scenarios(rows);
        assertThat(scenarios.get("card_testing")).hasSizeGreaterThan(60);
        assertThat(scenarios.get("velocity_burst")).hasSizeGreaterThan(50);
        assertThat(scenarios.get("amount_anomaly")).hasSizeGreaterThan(30);
        assertThat(scenarios.get("impossible_travel")).hasSizeGreaterThan(30);
        assertThat(scenarios.get("account_takeover")).hasSizeGreaterThan(30);
        assertThat(scenarios.get("refund_abuse")).hasSizeGreaterThan(20);
    }

    @Test
    void cardTestingIsSmallProbesAtDistinctMerchantsThenALargePaymentWithinFifteenMinutes() {
        for (List<Row> s : scenarios(rows).get("card_testing")) {
            Row big = s.get(s.size() - 1);
            List<Row> probes = s.subList(0, s.size() - 1);
            assertThat(probes).hasSizeBetween(3, 6);
            assertThat(probes)
                    .allSatisfy(p -> assertThat(p.amount()).isBetween(new BigDecimal("0.50"), new BigDecimal("1.99")));
            assertThat(probes.stream().map(Row::merchantId).distinct().count()).isEqualTo(probes.size());
            for (int i = 1; i < probes.size(); i++) {
                assertThat(probes.get(i).eventTimeMillis() - probes.get(i - 1).eventTimeMillis())
                        .as("probe spacing")
                        .isBetween(20_000L, 120_000L);
            }
            assertThat(big.amount()).isGreaterThanOrEqualTo(new BigDecimal("200"));
            assertThat(probes).noneMatch(p -> p.merchantId().equals(big.merchantId()));
            assertThat(s).allSatisfy(r -> {
                assertThat(r.type()).isEqualTo("PAYMENT");
                assertThat(r.key()).isEqualTo(big.key());
                assertThat(r.pan()).isEqualTo(big.pan());
                assertThat(r.channel()).isEqualTo("ECOM");
                assertThat(r.event().completes()).isEqualTo(r == big);
            });
            assertThat(big.eventTimeMillis() - s.get(0).eventTimeMillis())
                    .isLessThan(Duration.ofMinutes(15).toMillis());
        }
    }

    @Test
    void velocityBurstIsSixOrMorePaymentsOnOneCardEachWithinThirtySecondsAllWithinThreeMinutes() {
        for (List<Row> s : scenarios(rows).get("velocity_burst")) {
            assertThat(s).hasSizeBetween(6, 10);
            assertThat(s.stream().map(Row::key).distinct()).hasSize(1);
            assertThat(s).allMatch(Row::isPayment);
            // the default rule: 6 in a row, each within 30 s of the previous, within 3 minutes
            for (int i = 1; i < s.size(); i++) {
                assertThat(s.get(i).eventTimeMillis() - s.get(i - 1).eventTimeMillis())
                        .isLessThanOrEqualTo(30_000L);
            }
            assertThat(s.get(s.size() - 1).eventTimeMillis() - s.get(0).eventTimeMillis())
                    .isLessThanOrEqualTo(Duration.ofMinutes(3).toMillis());
            for (int i = 0; i < s.size(); i++) {
                assertThat(s.get(i).event().completes()).as("the 6th completes").isEqualTo(i == 5);
            }
            // card-present bursts stay at one shop: no impossible travel inside a burst
            assertThat(s.stream()
                            .filter(r -> r.channel().equals("POS"))
                            .map(Row::merchantId)
                            .distinct()
                            .count())
                    .isLessThanOrEqualTo(1);
        }
    }

    @Test
    void amountAnomalyIsTenTimesTheCardsMedianOrMoreAtAMerchantTheCardNeverUsed() {
        Map<String, List<Row>> genuineByKey = new HashMap<>();
        int highRiskMcc = 0;
        int checkedAgainstHistory = 0;
        int clearlyAboveHistory = 0;
        List<List<Row>> anomalies = scenarios(rows).get("amount_anomaly");
        Map<String, Row> anomalyByEventId = new HashMap<>();
        anomalies.forEach(s -> {
            assertThat(s).hasSize(1);
            assertThat(s.get(0).event().completes()).isTrue();
            anomalyByEventId.put(s.get(0).eventId(), s.get(0));
        });
        for (Row r : rows) {
            if (!r.isPayment()) {
                continue;
            }
            if (r.fraudLabel() == null) {
                genuineByKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r);
                continue;
            }
            Row a = anomalyByEventId.get(r.eventId());
            if (a == null) {
                continue;
            }
            double median = reference.usualMedianAmount(a.key());
            assertThat(a.amount().doubleValue()).isGreaterThanOrEqualTo(10 * median);
            List<Row> history = genuineByKey.getOrDefault(a.key(), List.of());
            assertThat(history).noneMatch(h -> h.merchantId().equals(a.merchantId()));
            highRiskMcc += Set.of("7995", "6051", "5944", "5732").contains(a.mcc()) ? 1 : 0;
            List<BigDecimal> sameCurrency = history.stream()
                    .filter(h -> h.currency().equals(a.currency()))
                    .map(Row::amount)
                    .sorted()
                    .toList();
            if (sameCurrency.size() >= 5) {
                checkedAgainstHistory++;
                BigDecimal observedMedian = sameCurrency.get(sameCurrency.size() / 2);
                clearlyAboveHistory += a.amount().compareTo(observedMedian.multiply(BigDecimal.TEN)) >= 0 ? 1 : 0;
            }
        }
        assertThat(anomalies).isNotEmpty();
        assertThat(highRiskMcc).as("often at a high-risk MCC").isGreaterThan(anomalies.size() / 3);
        // against what the card did before (what the job can see), too
        if (checkedAgainstHistory > 0) {
            assertThat(clearlyAboveHistory / (double) checkedAgainstHistory).isGreaterThan(0.9);
        }
    }

    @Test
    void genuineTrafficStaysClearOfTheFraudShapes() {
        Map<String, List<Row>> byKey = new HashMap<>();
        Map<String, Double> medians = new HashMap<>();
        for (World.Card c : reference.world().cards) {
            medians.put(c.key, c.medianHome());
        }
        for (Row r : rows) {
            if (r.isPayment() && r.fraudLabel() == null) {
                byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r);
                double median = medians.get(r.key());
                if (r.currency().equals(currencyOfCard(r.pan()))) {
                    assertThat(r.amount().doubleValue()).isLessThanOrEqualTo(8 * median + 0.01);
                }
            }
        }
        int maxInTenMinutes = 0;
        for (List<Row> card : byKey.values()) {
            for (int i = 0, j = 0; j < card.size(); j++) {
                while (card.get(j).eventTimeMillis() - card.get(i).eventTimeMillis() > TEN_MINUTES) {
                    i++;
                }
                maxInTenMinutes = Math.max(maxInTenMinutes, j - i + 1);
            }
        }
        assertThat(maxInTenMinutes)
                .as("most genuine payments on one card within 10 minutes")
                .isLessThan(8);
        assertThat(byKey.size()).as("cards with genuine traffic").isGreaterThan(8_000);
    }

    private static String currencyOfCard(String pan) {
        for (RefData.Country c : RefData.COUNTRIES) {
            if (c.bins().contains(pan.substring(0, 6))) {
                return c.currency();
            }
        }
        throw new AssertionError("unknown BIN");
    }

    @Test
    void refundsReversalsAndChargebacksReferToAnEarlierPaymentOfTheSameCard() {
        Map<String, Row> payments = new HashMap<>();
        Set<String> followedUp = new HashSet<>();
        int chargebacks = 0;
        int chargebacksOfFraud = 0;
        int partialRefunds = 0;
        for (Row r : rows) {
            if (r.isPayment()) {
                payments.put(r.paymentId(), r);
            } else if (r.refersToPayment()) {
                Row p = payments.get(r.paymentId());
                assertThat(p)
                        .as("%s %s refers to an earlier payment", r.type(), r.eventId())
                        .isNotNull();
                assertThat(followedUp.add(r.paymentId()))
                        .as("one follow-up per payment")
                        .isTrue();
                assertThat(r.key()).isEqualTo(p.key());
                assertThat(r.pan()).isEqualTo(p.pan());
                assertThat(r.merchantId()).isEqualTo(p.merchantId());
                assertThat(r.customerId()).isEqualTo(p.customerId());
                assertThat(r.currency()).isEqualTo(p.currency());
                assertThat(r.eventTimeMillis()).isGreaterThanOrEqualTo(p.eventTimeMillis());
                if (r.type().equals("REFUND")) {
                    assertThat(r.amount()).isPositive().isLessThanOrEqualTo(p.amount());
                    partialRefunds += r.amount().compareTo(p.amount()) < 0 ? 1 : 0;
                } else {
                    assertThat(r.amount()).isEqualTo(p.amount());
                }
                if (r.type().equals("CHARGEBACK")) {
                    chargebacks++;
                    chargebacksOfFraud += p.fraudLabel() != null ? 1 : 0;
                }
            }
        }
        assertThat(partialRefunds).isPositive();
        // fraud is ~1% of payments but a large share of what gets charged back
        assertThat(chargebacksOfFraud / (double) chargebacks).isGreaterThan(0.3);
    }

    @Test
    void eventTimesNeverDecreasePerCardKey() {
        Map<String, Long> last = new HashMap<>();
        long previous = Long.MIN_VALUE;
        for (Row r : rows) {
            Long before = last.put(r.key(), r.eventTimeMillis());
            if (before != null) {
                assertThat(r.eventTimeMillis()).isGreaterThanOrEqualTo(before);
            }
            assertThat(r.eventTimeMillis()).isGreaterThanOrEqualTo(previous);
            previous = r.eventTimeMillis();
        }
        long first = rows.get(0).eventTimeMillis();
        assertThat(first).isEqualTo(GeneratorConfig.defaults().startTime().toEpochMilli());
        double meanGapMillis = (previous - first) / (double) (rows.size() - 1);
        assertThat(meanGapMillis).isCloseTo(2_000, within(40.0));
    }

    @Test
    void liveClockStampsTheWallClockAndNeverGoesBack() {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-28T18:40:01.123Z"));
        PaymentGenerator g = new PaymentGenerator(
                GeneratorConfig.defaults().withLiveClock(clock).withFraudRate(0.2));
        GeneratedEvent e = g.next();
        assertThat(e.eventTimeMillis()).isEqualTo(clock.millis());
        assertThat(e.jsonString()).contains("\"eventTime\":\"2026-11-28T18:40:01.123Z\"");
        clock.now = clock.now.minusSeconds(5); // wall clock stepped back
        assertThat(g.next().eventTimeMillis())
                .isEqualTo(Instant.parse("2026-11-28T18:40:01.123Z").toEpochMilli());
        // scenarios still spread over wall-clock minutes
        List<GeneratedEvent> events = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            clock.now = clock.now.plusMillis(100);
            events.add(g.next());
        }
        assertThat(events)
                .allSatisfy(ev -> assertThat(ev.eventTimeMillis())
                        .isBetween(Instant.parse("2026-11-28T18:40:01.123Z").toEpochMilli(), clock.millis()));
        assertThat(events.stream().filter(GeneratedEvent::isFraud).count()).isPositive();
    }

    @Test
    void epochMillisModeWritesEventTimeAsANumber() {
        PaymentGenerator g = new PaymentGenerator(GeneratorConfig.defaults().withEpochMillisTime(true));
        for (int i = 0; i < 1_000; i++) {
            GeneratedEvent e = g.next();
            assertThat(e.jsonString()).contains("\"eventTime\":" + e.eventTimeMillis() + ",");
        }
    }

    @Test
    void runIdGoesIntoEveryIdAndStartTimeIsHonoured() {
        Instant start = Instant.parse("2026-11-28T23:59:59.000Z"); // crosses midnight at once
        PaymentGenerator g =
                new PaymentGenerator(GeneratorConfig.defaults().withRunId("r42").withStartTime(start));
        GeneratedEvent first = g.next();
        assertThat(first.eventTimeMillis()).isEqualTo(start.toEpochMilli());
        assertThat(first.jsonString()).contains("\"eventTime\":\"2026-11-28T23:59:59.000Z\"");
        for (int i = 0; i < 2_000; i++) {
            GeneratedEvent e = g.next();
            assertThat(e.eventId()).startsWith("evt-r42-");
            if (e.paymentId() != null) {
                assertThat(e.paymentId()).startsWith("pay-r42-");
            }
            String iso = Row.parse(e, i).eventTime();
            assertThat(Instant.parse(iso).toEpochMilli()).isEqualTo(e.eventTimeMillis());
        }
    }

    @Test
    void customersHoldOneToThreeCardsOfOneCountry() {
        World world = reference.world();
        Map<String, List<World.Card>> byCustomer = new HashMap<>();
        for (World.Card c : world.cards) {
            byCustomer.computeIfAbsent(c.customer.id, k -> new ArrayList<>()).add(c);
        }
        assertThat(byCustomer.values()).allSatisfy(cards -> {
            assertThat(cards).hasSizeBetween(1, 3);
            assertThat(cards.stream().map(c -> c.country).distinct()).hasSize(1);
        });
        assertThat(byCustomer.values().stream().filter(c -> c.size() > 1).count())
                .isGreaterThan(500);
        assertThat(world.cards).allSatisfy(c -> assertThat(c.medianEur).isBetween(10.0, 150.0));
    }

    @Test
    void tinyWorldsStillWork() {
        GeneratorConfig tiny =
                GeneratorConfig.defaults().withCards(1).withMerchants(20).withFraudRate(0.2);
        List<Row> small = Row.generate(tiny, 30_000);
        assertThat(small.stream().map(Row::key).distinct()).containsExactly("card-000000");
        assertThat(fraudShare(small)).isCloseTo(0.2, within(0.03));
    }

    @Test
    void configRejectsNonsense() {
        GeneratorConfig d = GeneratorConfig.defaults();
        assertThatThrownBy(() -> d.withCards(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.withMerchants(5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.withFraudRate(0.9)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.withMeanGapMicros(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.withEventShares(0.3, 0.2, 0.1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.withRunId("a b")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void toStringNeverShowsThePan() {
        GeneratedEvent e = new PaymentGenerator(GeneratorConfig.defaults()).next();
        String pan = Row.parse(e, 0).pan();
        assertThat(e.toString()).doesNotContain(pan).contains(e.eventId());
        assertThat(new String(e.keyBytes(), StandardCharsets.UTF_8)).isEqualTo(e.key());
    }

    @Test
    void luhnChecksKnownNumbers() {
        assertThat(Luhn.isValid("4111111111111111")).isTrue();
        assertThat(Luhn.isValid("5555555555554444")).isTrue();
        assertThat(Luhn.isValid("4111111111111112")).isFalse();
        assertThat(Luhn.isValid("41111111111x1111")).isFalse();
        assertThat(Luhn.checkDigit("411111111111111")).isEqualTo(1);
    }

    /**
     * The stream's whole scenario instances (all their events there) by label, each instance's rows
     * in order, grouped by the events' {@link ScenarioTag}s.
     */
    static Map<String, List<List<Row>>> scenarios(List<Row> rows) {
        Map<String, List<Row>> byId = new LinkedHashMap<>();
        for (Row r : rows) {
            if (r.event().scenario() != null) {
                byId.computeIfAbsent(r.event().scenarioId(), k -> new ArrayList<>())
                        .add(r);
            }
        }
        Map<String, List<List<Row>>> out = new TreeMap<>();
        GeneratedEvent.SCENARIO_LABELS.forEach(l -> out.put(l, new ArrayList<>()));
        for (List<Row> s : byId.values()) {
            ScenarioTag tag = s.get(0).event().scenario();
            if (s.size() == tag.size()) {
                out.get(tag.label()).add(s);
            }
        }
        return out;
    }

    private static final class MutableClock extends Clock {
        Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
