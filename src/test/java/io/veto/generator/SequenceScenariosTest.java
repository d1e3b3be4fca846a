package io.veto.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.veto.event.EventParser;
import io.veto.event.EventType;
import io.veto.event.InvalidEventException;
import io.veto.event.PanPolicy;
import io.veto.event.PaymentEvent;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The injected sequence scenarios (what the CEP rules are to catch at the completing payment) have
 * their shape, and genuine traffic does not have it: figures over the 200,000 default events.
 */
class SequenceScenariosTest {
    private static final long MINUTE = 60_000L;

    private static List<Row> rows;
    private static Map<String, List<List<Row>>> scenarios;
    private static World world;

    @BeforeAll
    static void generate() {
        rows = Row.defaultStream();
        scenarios = PaymentGeneratorTest.scenarios(rows);
        world = new PaymentGenerator(GeneratorConfig.defaults()).world();
    }

    @Test
    void everyInstanceIsLabelledThroughoutAndCompletedByExactlyOnePayment() {
        List<GeneratedEvent> events = rows.stream().map(Row::event).toList();
        List<ScenarioInstance> instances = ScenarioInstance.collect(events);
        Map<String, Row> rowByEventId = new HashMap<>();
        rows.forEach(r -> rowByEventId.put(r.eventId(), r));
        int whole = 0;
        for (ScenarioInstance s : instances) {
            assertThat(s.label()).isIn(GeneratedEvent.SCENARIO_LABELS);
            assertThat(s.events()).isNotEmpty().hasSizeLessThanOrEqualTo(s.size());
            for (int i = 0; i < s.events().size(); i++) {
                GeneratedEvent e = s.events().get(i);
                Row r = rowByEventId.get(e.eventId());
                assertThat(e.fraudLabel()).isEqualTo(s.label());
                assertThat(r.fraudLabel()).as("fraudLabel in the JSON").isEqualTo(s.label());
                assertThat(e.scenario().step()).isEqualTo(i + 1);
                assertThat(e.scenario().size()).isEqualTo(s.size());
                assertThat(e.scenarioId()).isEqualTo(s.id());
                String json = e.jsonString();
                assertThat(json)
                        .doesNotContain(s.id())
                        .doesNotContain("scenario")
                        .doesNotContain("complet");
                if (i > 0) {
                    assertThat(e.eventTimeMillis())
                            .isGreaterThanOrEqualTo(s.events().get(i - 1).eventTimeMillis());
                }
            }
            if (s.isWhole()) {
                whole++;
                assertThat(s.events().stream().filter(GeneratedEvent::completes))
                        .hasSize(1);
                assertThat(s.completing().isPayment()).isTrue();
                assertThat(s.throughCompletion()).last().isEqualTo(s.completing());
                if (!s.label().equals(GeneratedEvent.VELOCITY_BURST)) {
                    assertThat(s.events()).last().isEqualTo(s.completing());
                }
                assertThat(s.eventIds())
                        .isEqualTo(
                                s.events().stream().map(GeneratedEvent::eventId).toList());
            }
        }
        assertThat(whole).isGreaterThan(400);
        // genuine events carry no scenario, and every labelled event belongs to one
        assertThat(events).allMatch(e -> (e.scenario() == null) == (e.fraudLabel() == null));
        assertThat(events.stream().filter(GeneratedEvent::completes).count())
                .isEqualTo(
                        instances.stream().filter(ScenarioInstance::isCompleted).count());
    }

    @Test
    void theJobReadsEveryScenarioEventAndTheFieldsTheSequencesNeed() throws InvalidEventException {
        EventParser parser = new EventParser(
                PanPolicy.TOKENIZE,
                "sequence-scenarios-test-key".getBytes(StandardCharsets.UTF_8),
                EventParser.DEFAULT_MAX_BYTES);
        for (List<List<Row>> byLabel : scenarios.values()) {
            for (List<Row> s : byLabel) {
                for (Row r : s) {
                    PaymentEvent e = parser.parse(r.event().json(), "test");
                    assertThat(e.eventId()).isEqualTo(r.eventId());
                    assertThat(e.customerId()).isEqualTo(r.customerId());
                    if (e.type() == EventType.PAYMENT) {
                        assertThat(e.cardToken()).isNotNull();
                        assertThat(e.merchantId()).isNotNull();
                        if ("POS".equals(e.channel())) {
                            assertThat(e.lat()).isNotNull();
                            assertThat(e.lon()).isNotNull();
                            assertThat(e.terminalId()).isNotNull();
                        } else {
                            assertThat(e.deviceId()).isNotNull();
                        }
                    }
                }
            }
        }
    }

    @Test
    void impossibleTravelIsTwoCardPresentPaymentsFasterThanAnAirliner() {
        List<List<Row>> all = scenarios.get(GeneratedEvent.IMPOSSIBLE_TRAVEL);
        assertThat(all).hasSizeGreaterThan(30);
        double slowest = Double.MAX_VALUE;
        for (List<Row> s : all) {
            assertThat(s).hasSize(2);
            Row a = s.get(0);
            Row b = s.get(1);
            for (Row r : s) {
                assertThat(r.type()).isEqualTo("PAYMENT");
                assertThat(r.channel()).isEqualTo("POS");
                assertThat(r.hasLatLon()).isTrue();
                assertThat(r.terminalId()).isNotNull();
                assertThat(r.key()).isEqualTo(a.key());
                assertThat(r.pan()).isEqualTo(a.pan());
            }
            assertThat(a.merchantId()).isNotEqualTo(b.merchantId());
            double km = km(a, b);
            long millis = b.eventTimeMillis() - a.eventTimeMillis();
            assertThat(km).isGreaterThanOrEqualTo(1_500);
            assertThat(millis).isBetween(30 * MINUTE, 91 * MINUTE);
            double kmh = km / (millis / 3_600_000.0);
            assertThat(kmh).isGreaterThan(900);
            slowest = Math.min(slowest, kmh);
            assertThat(a.event().completes()).isFalse();
            assertThat(b.event().completes()).isTrue();
        }
        System.out.printf("impossible_travel: %d instances, slowest %.0f km/h%n", all.size(), slowest);
    }

    @Test
    void accountTakeoverIsAResetOrNewDeviceThenALargeOnlinePaymentAtANewMerchantFromThatDevice() {
        List<List<Row>> all = scenarios.get(GeneratedEvent.ACCOUNT_TAKEOVER);
        assertThat(all).hasSizeGreaterThan(30);
        Map<String, Row> atoPayments = new HashMap<>();
        for (List<Row> s : all) {
            assertThat(s).hasSize(2);
            Row account = s.get(0);
            Row pay = s.get(1);
            atoPayments.put(pay.eventId(), pay);
            World.Customer customer = customer(account.customerId());
            assertThat(account.type()).isIn("PASSWORD_RESET", "DEVICE_CHANGE");
            assertThat(account.key()).isEqualTo(customer.primary.key);
            assertThat(account.pan()).isNull();
            assertThat(List.of(customer.devices)).doesNotContain(account.deviceId());
            assertThat(pay.type()).isEqualTo("PAYMENT");
            assertThat(pay.customerId()).isEqualTo(account.customerId());
            assertThat(pay.deviceId()).isEqualTo(account.deviceId());
            assertThat(pay.ip()).isEqualTo(account.ip());
            assertThat(pay.channel()).isEqualTo("ECOM");
            assertThat(customer.cards.stream().map(c -> c.key)).contains(pay.key());
            long gap = pay.eventTimeMillis() - account.eventTimeMillis();
            assertThat(gap).isBetween(5 * MINUTE, 60 * MINUTE);
            int merchant = Integer.parseInt(pay.merchantId().substring(4));
            assertThat(customer.cards).noneMatch(c -> c.knows(merchant));
            for (World.Card c : customer.cards) {
                assertThat(pay.amount().doubleValue()).isGreaterThanOrEqualTo(5 * c.medianHome());
            }
            assertThat(pay.amount()).isGreaterThanOrEqualTo(BigDecimal.valueOf(150));
            assertThat(pay.event().completes()).isTrue();
            assertThat(account.event().completes()).isFalse();
        }
        // against what the job has seen of the customer so far, too
        Map<String, History> history = new HashMap<>();
        Map<String, Set<String>> devicesSeen = new HashMap<>();
        int checked = 0;
        int fiveTimes = 0;
        int newMerchant = 0;
        for (Row r : rows) {
            History h = history.computeIfAbsent(r.customerId(), k -> new History());
            Set<String> devices = devicesSeen.computeIfAbsent(r.customerId(), k -> new HashSet<>());
            if (r.fraudLabel() != null && r.fraudLabel().equals(GeneratedEvent.ACCOUNT_TAKEOVER) && !r.isPayment()) {
                assertThat(devices)
                        .as("the takeover device is new to the customer")
                        .doesNotContain(r.deviceId());
            }
            Row ato = atoPayments.get(r.eventId());
            if (ato != null) {
                newMerchant += h.merchants.contains(r.merchantId()) ? 0 : 1;
                if (h.count(r.currency()) >= 3) {
                    checked++;
                    fiveTimes += r.amount().doubleValue() >= 5 * h.mean(r.currency()) ? 1 : 0;
                }
            }
            if (r.deviceId() != null) {
                devices.add(r.deviceId());
            }
            if (r.isPayment()) {
                h.add(r);
            }
        }
        assertThat(newMerchant).isEqualTo(atoPayments.size());
        assertThat(checked).isPositive();
        assertThat(fiveTimes / (double) checked).isGreaterThan(0.9);
        System.out.printf(
                "account_takeover: %d instances; %d/%d at >= 5x the customer's mean so far%n",
                all.size(), fiveTimes, checked);
    }

    @Test
    void refundAbuseIsPaymentRefundPaymentRefundPaymentOnOneCardAtOneMerchant() {
        List<List<Row>> all = scenarios.get(GeneratedEvent.REFUND_ABUSE);
        assertThat(all).hasSizeGreaterThan(20);
        Map<String, Integer> followUps = new HashMap<>();
        for (Row r : rows) {
            if (r.refersToPayment()) {
                followUps.merge(r.paymentId(), 1, Integer::sum);
            }
        }
        for (List<Row> s : all) {
            assertThat(s.stream().map(Row::type).toList())
                    .containsExactly("PAYMENT", "REFUND", "PAYMENT", "REFUND", "PAYMENT");
            Row first = s.get(0);
            for (Row r : s) {
                assertThat(r.key()).isEqualTo(first.key());
                assertThat(r.pan()).isEqualTo(first.pan());
                assertThat(r.customerId()).isEqualTo(first.customerId());
                assertThat(r.merchantId()).isEqualTo(first.merchantId());
                assertThat(r.currency()).isEqualTo(first.currency());
                assertThat(r.channel()).isEqualTo(first.channel());
                assertThat(r.event().completes()).isEqualTo(r == s.get(4));
            }
            for (int i : new int[] {1, 3}) {
                Row payment = s.get(i - 1);
                Row refund = s.get(i);
                assertThat(refund.paymentId()).isEqualTo(payment.paymentId());
                assertThat(refund.event().paymentId()).isEqualTo(payment.paymentId());
                assertThat(refund.amount()).isEqualTo(payment.amount());
                assertThat(refund.eventTimeMillis() - payment.eventTimeMillis()).isBetween(5 * MINUTE, 45 * MINUTE);
                assertThat(followUps.get(payment.paymentId()))
                        .as("only the scenario's refund")
                        .isEqualTo(1);
            }
            assertThat(s.stream().filter(Row::isPayment).map(Row::paymentId).distinct())
                    .hasSize(3);
            assertThat(s.get(4).eventTimeMillis() - first.eventTimeMillis())
                    .isLessThanOrEqualTo(Duration.ofMinutes(150).toMillis());
        }
    }

    // ---------------------------------------------------------------- genuine traffic

    @Test
    void genuineCardPresentPaymentsNeverImplyImpossibleTravel() {
        Figures f = travel(rows);
        System.out.printf(
                "impossible travel, default config, %d events: %d card-present pairs"
                        + " within 4 h, %d both genuine; payments at over 900 km/h from an earlier one: %d genuine pairs,"
                        + " %d not completing an impossible_travel (of %d); fastest genuine pair %.0f km/h%n",
                rows.size(), f.pairs, f.genuinePairs, f.genuineOver, f.otherOver, f.over, f.fastestGenuineKmh);
        assertThat(f.genuinePairs).isGreaterThan(20_000);
        assertThat(f.genuineOver).isZero();
        assertThat(f.otherOver)
                .as("only impossible_travel completions exceed 900 km/h")
                .isZero();
        assertThat(f.over)
                .isEqualTo(scenarios.get(GeneratedEvent.IMPOSSIBLE_TRAVEL).size());

        // a small, busy world (what the pipeline test uses): cards pay far more often
        List<Row> busy = Row.generate(
                GeneratorConfig.defaults().withSeed(42).withCards(300).withFraudRate(0.05), 50_000);
        Figures g = travel(busy);
        System.out.printf(
                "impossible travel, 300 cards at 5%% fraud, %d events: %d genuine pairs, %d over"
                        + " 900 km/h, %d non-completing pairs over 900 km/h%n",
                busy.size(), g.genuinePairs, g.genuineOver, g.otherOver);
        assertThat(g.genuinePairs).isGreaterThan(10_000);
        assertThat(g.genuineOver).isZero();
        assertThat(g.otherOver).isZero();
    }

    @Test
    void genuineTrafficHasNoCardTestingVelocityOrRefundAbuseSequence() {
        Map<String, List<Row>> byCard = new HashMap<>();
        for (Row r : rows) {
            if (r.fraudLabel() == null && (r.isPayment() || r.refersToPayment())) {
                byCard.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r);
            }
        }
        int cardTesting = 0;
        int velocity = 0;
        int smallProbeTriples = 0;
        for (List<Row> card : byCard.values()) {
            List<Row> payments = card.stream().filter(Row::isPayment).toList();
            // 3+ payments under 2.00 at distinct merchants within 15 minutes (then >= 200)
            for (int i = 0; i < payments.size(); i++) {
                Row p = payments.get(i);
                if (p.amount().compareTo(BigDecimal.valueOf(2)) >= 0) {
                    continue;
                }
                Set<String> merchants = new HashSet<>(Set.of(p.merchantId()));
                boolean big = false;
                for (int j = i + 1;
                        j < payments.size() && payments.get(j).eventTimeMillis() - p.eventTimeMillis() <= 15 * MINUTE;
                        j++) {
                    Row q = payments.get(j);
                    if (q.amount().compareTo(BigDecimal.valueOf(2)) < 0) {
                        merchants.add(q.merchantId());
                    } else if (merchants.size() >= 3 && q.amount().compareTo(BigDecimal.valueOf(200)) >= 0) {
                        big = true;
                    }
                }
                smallProbeTriples += merchants.size() >= 3 ? 1 : 0;
                cardTesting += big ? 1 : 0;
            }
            // 6 payments, each within 60 s of the previous, all within 5 minutes (the rule: 30 s, 3 minutes)
            for (int i = 0; i + 5 < payments.size(); i++) {
                boolean chain =
                        payments.get(i + 5).eventTimeMillis() - payments.get(i).eventTimeMillis() <= 5 * MINUTE;
                for (int k = i + 1; chain && k <= i + 5; k++) {
                    chain = payments.get(k).eventTimeMillis()
                                    - payments.get(k - 1).eventTimeMillis()
                            <= MINUTE;
                }
                velocity += chain ? 1 : 0;
            }
        }
        int[] cycles = refundCycles(rows);
        System.out.printf(
                "genuine traffic, %d events: card_testing %d (3+ sub-2.00 probes: %d), velocity_burst %d;"
                        + " refund cycling completed at %d payments, %d of them not a refund_abuse completion,"
                        + " %d on genuine events only (%d if the first refund had to be at the same merchant too)%n",
                rows.size(), cardTesting, smallProbeTriples, velocity, cycles[0], cycles[1], cycles[2], cycles[3]);
        assertThat(cardTesting).isZero();
        assertThat(velocity).isZero();
        // every refund_abuse instance completes at its third payment, never earlier
        assertThat(cycles[0] - cycles[1])
                .isEqualTo(scenarios.get(GeneratedEvent.REFUND_ABUSE).size());
        assertThat(cycles[1]).as("the others are genuine refunds of busy cards").isEqualTo(cycles[2]);
        // the default rule's first refund may be anywhere: busy genuine cards complete it now and then
        assertThat(cycles[2]).isLessThan(rows.size() / 1_000);
        assertThat(cycles[3]).isLessThan(rows.size() / 10_000);
    }

    @Test
    void genuineAccountEventsAreRarelyFollowedByATakeoverShapedPayment() {
        Map<String, History> history = new HashMap<>();
        Map<String, Deque<Row>> openAccountEvents = new HashMap<>();
        Set<String> followedByPayment = new HashSet<>();
        Set<String> looseMatch = new HashSet<>(); // large (5x the mean so far), online, merchant new to the customer
        Set<String> fullMatch = new HashSet<>(); // ... and from the account event's device
        Set<String> ruleMatch = new HashSet<>(); // the default rule: >= 100 and >= 5x the customer's usual
        int genuineResets = 0;
        for (Row r : rows) {
            History h = history.computeIfAbsent(r.customerId(), k -> new History());
            if (r.fraudLabel() == null
                    && (r.type().equals("PASSWORD_RESET") || r.type().equals("DEVICE_CHANGE"))) {
                genuineResets++;
                openAccountEvents
                        .computeIfAbsent(r.customerId(), k -> new ArrayDeque<>())
                        .add(r);
            }
            if (!r.isPayment()) {
                continue;
            }
            Deque<Row> open = openAccountEvents.get(r.customerId());
            if (open != null) {
                while (!open.isEmpty() && r.eventTimeMillis() - open.peekFirst().eventTimeMillis() > 60 * MINUTE) {
                    open.pollFirst();
                }
                for (Row a : open) {
                    followedByPayment.add(a.eventId());
                    if (r.fraudLabel() == null
                            && r.amount().compareTo(BigDecimal.valueOf(100)) >= 0
                            && h.count(r.currency()) > 0
                            && r.amount().doubleValue() >= 5 * h.mean(r.currency())) {
                        ruleMatch.add(a.eventId());
                    }
                    boolean shaped = r.channel().equals("ECOM")
                            && !h.merchants.contains(r.merchantId())
                            && h.count(r.currency()) > 0
                            && r.amount().doubleValue() >= 5 * h.mean(r.currency());
                    if (shaped) {
                        looseMatch.add(a.eventId());
                        if (a.deviceId().equals(r.deviceId())) {
                            fullMatch.add(a.eventId());
                        }
                    }
                }
            }
            h.add(r);
        }
        System.out.printf(
                "genuine PASSWORD_RESET/DEVICE_CHANGE, %d events: %d, %d followed by a payment of the"
                        + " customer within 60 min, %d by a >= 5x online payment at a merchant new to the customer,"
                        + " %d of those from the account event's device; by a genuine payment >= 100 and >= 5x the"
                        + " customer's mean so far (the default rule): %d%n",
                rows.size(),
                genuineResets,
                followedByPayment.size(),
                looseMatch.size(),
                fullMatch.size(),
                ruleMatch.size());
        assertThat(ruleMatch.size()).isLessThanOrEqualTo(genuineResets / 50);
        assertThat(genuineResets).isGreaterThan(1_000);
        assertThat(fullMatch.size()).isLessThanOrEqualTo(genuineResets / 200);
        assertThat(looseMatch.size()).isLessThanOrEqualTo(genuineResets / 50);
    }

    // ---------------------------------------------------------------- weights

    @Test
    void scenarioWeightsPickWhichScenariosAreInjected() {
        PaymentGenerator g = new PaymentGenerator(
                GeneratorConfig.defaults().withSeed(9).withFraudRate(0.05),
                Map.of(GeneratedEvent.IMPOSSIBLE_TRAVEL, 1.0, GeneratedEvent.REFUND_ABUSE, 1.0));
        List<GeneratedEvent> events = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            events.add(g.next());
        }
        List<ScenarioInstance> instances = ScenarioInstance.collect(events);
        assertThat(instances).hasSizeGreaterThan(50);
        assertThat(instances)
                .extracting(ScenarioInstance::label)
                .contains(GeneratedEvent.IMPOSSIBLE_TRAVEL, GeneratedEvent.REFUND_ABUSE)
                .containsOnly(GeneratedEvent.IMPOSSIBLE_TRAVEL, GeneratedEvent.REFUND_ABUSE);
        long payments = events.stream().filter(GeneratedEvent::isPayment).count();
        long fraud = events.stream().filter(e -> e.isPayment() && e.isFraud()).count();
        assertThat(fraud / (double) payments).isCloseTo(0.05, within(0.01));

        assertThatThrownBy(() -> new PaymentGenerator(GeneratorConfig.defaults(), Map.of("teleport", 1.0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("teleport");
        assertThatThrownBy(() -> new PaymentGenerator(GeneratorConfig.defaults(), Map.of("card_testing", 0.0)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- helpers

    private static World.Customer customer(String id) {
        World.Customer c = world.customers.get(Integer.parseInt(id.substring(5)));
        assertThat(c.id).isEqualTo(id);
        return c;
    }

    private static double km(Row a, Row b) {
        return World.km(a.lat(), a.lon(), b.lat(), b.lon());
    }

    private record Figures(
            int pairs, int genuinePairs, int over, int genuineOver, int otherOver, double fastestGenuineKmh) {}

    /**
     * Pairs of card-present payments of a card within 4 hours (the default rule's window), each
     * payment with every earlier one, not just the previous: what a relaxed-contiguity pattern sees.
     * {@code over}: payments that pair at more than 900 km/h with an earlier one; {@code otherOver}:
     * those of them that are not the completing payment of an impossible_travel instance.
     */
    private static Figures travel(List<Row> stream) {
        Map<String, Deque<Row>> recent = new HashMap<>();
        int pairs = 0;
        int genuinePairs = 0;
        int over = 0;
        int genuineOver = 0;
        int otherOver = 0;
        double fastest = 0;
        for (Row r : stream) {
            if (!r.isPayment() || !"POS".equals(r.channel())) {
                continue;
            }
            Deque<Row> before = recent.computeIfAbsent(r.key(), k -> new ArrayDeque<>());
            while (!before.isEmpty() && r.eventTimeMillis() - before.peekFirst().eventTimeMillis() > 4 * 60 * MINUTE) {
                before.pollFirst();
            }
            boolean fast = false;
            boolean genuineFast = false;
            for (Row prev : before) {
                pairs++;
                double km = km(prev, r);
                long millis = r.eventTimeMillis() - prev.eventTimeMillis();
                double kmh = km < 1e-9 ? 0 : millis == 0 ? Double.POSITIVE_INFINITY : km / (millis / 3_600_000.0);
                boolean genuine = prev.fraudLabel() == null && r.fraudLabel() == null;
                if (genuine) {
                    genuinePairs++;
                    fastest = Math.max(fastest, kmh);
                }
                fast |= kmh > 900;
                genuineFast |= genuine && kmh > 900;
            }
            before.addLast(r);
            if (fast) {
                over++;
                genuineOver += genuineFast ? 1 : 0;
                boolean completesTravel =
                        r.event().completes() && GeneratedEvent.IMPOSSIBLE_TRAVEL.equals(r.fraudLabel());
                otherOver += completesTravel ? 0 : 1;
            }
        }
        return new Figures(pairs, genuinePairs, over, genuineOver, otherOver, fastest);
    }

    /**
     * Payments that complete the default refund-cycling sequence on their card: a REFUND, then a
     * payment, then the refund of that payment, then a payment at its merchant, all within 24 hours.
     * Returns {all completions, those not completing a refund_abuse instance, those on genuine events
     * only, those on genuine events whose first refund is at the same merchant too}.
     */
    private static int[] refundCycles(List<Row> stream) {
        Map<String, List<Row>> byCard = new HashMap<>();
        for (Row r : stream) {
            if (r.isPayment() || r.type().equals("REFUND")) {
                byCard.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r);
            }
        }
        Set<String> completing = new HashSet<>();
        Set<String> genuine = new HashSet<>();
        Set<String> genuineSameMerchant = new HashSet<>();
        for (List<Row> card : byCard.values()) {
            Map<String, Integer> paymentAt = new HashMap<>();
            for (int i = 0; i < card.size(); i++) {
                Row r = card.get(i);
                if (r.isPayment()) {
                    paymentAt.put(r.paymentId(), i);
                    continue;
                }
                Integer x = paymentAt.get(r.paymentId()); // r refunds payment x of this card
                if (x == null) {
                    continue;
                }
                Row paid = card.get(x);
                Row firstRefund = null;
                for (int j = x - 1; j >= 0 && firstRefund == null; j--) {
                    if (card.get(j).type().equals("REFUND")) {
                        firstRefund = card.get(j);
                    }
                }
                if (firstRefund == null) {
                    continue;
                }
                for (int k = i + 1;
                        k < card.size()
                                && card.get(k).eventTimeMillis() - firstRefund.eventTimeMillis() <= 24 * 60 * MINUTE;
                        k++) {
                    Row third = card.get(k);
                    if (third.isPayment() && third.merchantId().equals(paid.merchantId())) {
                        completing.add(third.eventId());
                        if (firstRefund.fraudLabel() == null
                                && paid.fraudLabel() == null
                                && r.fraudLabel() == null
                                && third.fraudLabel() == null) {
                            genuine.add(third.eventId());
                            if (firstRefund.merchantId().equals(paid.merchantId())) {
                                genuineSameMerchant.add(third.eventId());
                            }
                        }
                        break;
                    }
                }
            }
        }
        Set<String> expected = new HashSet<>();
        for (Row r : stream) {
            if (r.event().completes() && GeneratedEvent.REFUND_ABUSE.equals(r.fraudLabel())) {
                expected.add(r.eventId());
            }
        }
        int other =
                (int) completing.stream().filter(id -> !expected.contains(id)).count();
        return new int[] {completing.size(), other, genuine.size(), genuineSameMerchant.size()};
    }

    /** What the job knows of a customer so far: amounts per currency, merchants used. */
    private static final class History {
        final Map<String, BigDecimal> sum = new HashMap<>();
        final Map<String, Integer> count = new HashMap<>();
        final Set<String> merchants = new HashSet<>();

        void add(Row payment) {
            sum.merge(payment.currency(), payment.amount(), BigDecimal::add);
            count.merge(payment.currency(), 1, Integer::sum);
            merchants.add(payment.merchantId());
        }

        int count(String currency) {
            return count.getOrDefault(currency, 0);
        }

        double mean(String currency) {
            return sum.get(currency)
                    .divide(BigDecimal.valueOf(count(currency)), 4, RoundingMode.HALF_UP)
                    .doubleValue();
        }
    }
}
