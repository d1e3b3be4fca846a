package io.veto.sequence;

import static io.veto.testing.CardEvents.pay;
import static io.veto.testing.CardEvents.refund;
import static io.veto.testing.Payments.BEGINNING;
import static org.assertj.core.api.Assertions.assertThat;

import io.veto.decision.Decision;
import io.veto.decision.Reason;
import io.veto.event.PaymentEvent;
import io.veto.rule.CompiledRuleSet;
import io.veto.rule.Geo;
import io.veto.rule.RuleSet;
import io.veto.rule.RuleSetCompiler;
import io.veto.rule.SequenceMatch;
import io.veto.scoring.ExampleRunner;
import io.veto.scoring.GateDecider;
import io.veto.testing.CardEvents;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The default sequence rules of {@code rules/default}, run the way {@code rules test} and backtests
 * run them ({@link GateDecider}), on cases beyond the examples in {@code sequences.yaml}.
 */
class DefaultSequencesTest {
    private static final long SECOND = 1000L;
    private static final long MINUTE = 60 * SECOND;
    private static final long HOUR = 60 * MINUTE;

    private static final String CARD_TESTING = "seq-card-testing";
    private static final String BURST = "seq-velocity-burst";
    private static final String TRAVEL = "seq-impossible-travel";
    private static final String REFUND_CYCLING = "seq-refund-cycling";

    private static CompiledRuleSet defaults;

    private GateDecider decider;
    private final List<Decision> decisions = new ArrayList<>();

    @BeforeAll
    static void compileDefaults() throws Exception {
        defaults = RuleSetCompiler.forJob().compile(RuleSet.fromDirectory(Path.of("rules/default")));
    }

    @BeforeEach
    void newDecider() {
        decider = new GateDecider(defaults);
    }

    @AfterEach
    void closeDecider() {
        decider.close();
    }

    /**
     * Runs the events in order, then lets the watermark reach the last of them; returns the decision
     * of the last one (null when it is no payment).
     */
    private Decision run(CardEvents... events) {
        String lastPayment = null;
        List<Decision> made = new ArrayList<>();
        for (CardEvents e : events) {
            PaymentEvent p = e.build();
            made.addAll(decider.accept(p));
            lastPayment = p.needsDecision() ? p.paymentId() : null;
        }
        made.addAll(decider.flush());
        decisions.addAll(made);
        Decision last = null;
        for (Decision d : made) {
            last = d.paymentId().equals(lastPayment) ? d : last;
        }
        return last;
    }

    private List<SequenceMatch> matchesOf(String ruleId) {
        return decider.matches().stream().filter(m -> m.ruleId().equals(ruleId)).toList();
    }

    private static Reason reason(Decision d, String ruleId) {
        return d == null
                ? null
                : Arrays.stream(d.reasons())
                        .filter(r -> r.ruleId().equals(ruleId))
                        .findFirst()
                        .orElse(null);
    }

    private static List<String> ids(CardEvents... events) {
        return Arrays.stream(events).map(e -> e.build().eventId()).toList();
    }

    /** The match of {@code ruleId} is the only one, names {@code events} in order, and the last decision carries it. */
    private void assertOneMatchCarriedByTheDecision(Decision last, String ruleId, CardEvents... events) {
        List<String> expected = ids(events);
        assertThat(matchesOf(ruleId)).singleElement().satisfies(m -> {
            assertThat(m.eventIds()).containsExactlyElementsOf(expected);
            assertThat(m.completingEventId()).isEqualTo(last.eventId());
            assertThat(m.firstEventTime()).isEqualTo(events[0].build().eventTime());
            assertThat(m.lastEventTime()).isEqualTo(last.eventTime());
        });
        Reason r = reason(last, ruleId);
        assertThat(r).as("%s among the reasons of %s", ruleId, last.paymentId()).isNotNull();
        assertThat(r.events()).containsExactlyElementsOf(expected);
        assertThat(r.detail()).contains(String.join(" > ", expected));
    }

    private void assertNeverFired(String ruleId) {
        assertThat(matchesOf(ruleId)).isEmpty();
        assertThat(decisions)
                .allSatisfy(d -> assertThat(reason(d, ruleId)).as(d.paymentId()).isNull());
    }

    // --- seq-card-testing -------------------------------------------------------------------

    private static CardEvents[] probes(int n, long from, long every) {
        CardEvents[] out = new CardEvents[n];
        for (int i = 0; i < n; i++) {
            out[i] = pay("p" + (i + 1), from + i * every)
                    .amount("0." + (i + 1) + "0")
                    .merchant("m-" + (i + 1));
        }
        return out;
    }

    private static CardEvents[] with(CardEvents[] first, CardEvents... more) {
        CardEvents[] out = Arrays.copyOf(first, first.length + more.length);
        System.arraycopy(more, 0, out, first.length, more.length);
        return out;
    }

    @ParameterizedTest(name = "{0} probes")
    @ValueSource(ints = {4, 5, 6})
    void shouldFindOneCardTestingMatchNamingEveryProbeAndTheCashOut(int n) {
        CardEvents[] probes = probes(n, BEGINNING, 40 * SECOND);
        CardEvents cashout =
                pay("cash", BEGINNING + n * 40 * SECOND + MINUTE).amount("450").merchant("m-big");
        Decision d = run(with(probes, cashout));

        assertOneMatchCarriedByTheDecision(d, CARD_TESTING, with(probes, cashout));
        assertThat(d.decision()).hasToString("DENY");
        assertThat(reason(d, CARD_TESTING).outcome()).isEqualTo("DENY");
        // skip-past-last-event: a second large payment right after is not a second match of the same probes.
        Decision again = run(
                pay("cash2", cashout.build().eventTime() + SECOND).amount("500").merchant("m-big"));
        assertThat(reason(again, CARD_TESTING)).isNull();
        assertThat(matchesOf(CARD_TESTING)).hasSize(1);
    }

    @Test
    void shouldLeaveAProbeAtARepeatedMerchantOutOfTheMatch() {
        CardEvents p1 = pay("p1", BEGINNING).amount("0.50").merchant("m-1");
        CardEvents p2 = pay("p2", BEGINNING + 40 * SECOND).amount("1.00").merchant("m-2");
        CardEvents again = pay("p3", BEGINNING + 80 * SECOND).amount("0.80").merchant("m-1");
        CardEvents p4 = pay("p4", BEGINNING + 120 * SECOND).amount("0.70").merchant("m-3");
        CardEvents cashout = pay("cash", BEGINNING + 4 * MINUTE).amount("450").merchant("m-4");
        Decision d = run(p1, p2, again, p4, cashout);

        assertOneMatchCarriedByTheDecision(d, CARD_TESTING, p1, p2, p4, cashout);
    }

    @Test
    void shouldNotCountTwoProbesAtOneMerchantAsTwoMerchants() {
        Decision d = run(
                pay("p1", BEGINNING).amount("0.50").merchant("m-1"),
                pay("p2", BEGINNING + 40 * SECOND).amount("0.60").merchant("m-1"),
                pay("p3", BEGINNING + 80 * SECOND).amount("0.70").merchant("m-2"),
                pay("cash", BEGINNING + 3 * MINUTE).amount("450").merchant("m-4"));

        assertThat(d.paymentId()).isEqualTo("cash");
        assertNeverFired(CARD_TESTING);
    }

    @Test
    void shouldFireOnACashOutJustInsideWithinOfTheFirstProbe() {
        CardEvents[] probes = probes(3, BEGINNING, 40 * SECOND);
        CardEvents cashout =
                pay("cash", BEGINNING + 15 * MINUTE - 1).amount("450").merchant("m-big");
        Decision d = run(with(probes, cashout));

        assertOneMatchCarriedByTheDecision(d, CARD_TESTING, with(probes, cashout));
    }

    @Test
    void shouldNotFireOnACashOutWithinAfterTheFirstProbe() {
        // 15 minutes after the first of three probes: the match that starts there has expired, and the
        // two later probes are not enough on their own.
        CardEvents[] probes = probes(3, BEGINNING, 40 * SECOND);
        Decision d = run(
                with(probes, pay("cash", BEGINNING + 15 * MINUTE).amount("450").merchant("m-big")));

        assertThat(d.paymentId()).isEqualTo("cash");
        assertNeverFired(CARD_TESTING);
    }

    @Test
    void shouldNotTakeAMediumPaymentAsACashOut() {
        CardEvents[] probes = probes(3, BEGINNING, 40 * SECOND);
        run(with(probes, pay("mid", BEGINNING + 3 * MINUTE).amount("199.99").merchant("m-big")));

        assertNeverFired(CARD_TESTING);
    }

    // --- seq-velocity-burst -----------------------------------------------------------------

    private static CardEvents[] burst(String prefix, int n, long from, long every) {
        CardEvents[] out = new CardEvents[n];
        for (int i = 0; i < n; i++) {
            out[i] = pay(prefix + (i + 1), from + i * every).amount("25");
        }
        return out;
    }

    @Test
    void shouldFireOnSixPaymentsExactlyThirtySecondsApart() {
        CardEvents[] b = burst("b", 6, BEGINNING, 30 * SECOND);
        assertOneMatchCarriedByTheDecision(run(b), BURST, b);
    }

    @Test
    void shouldNotFireWhenOneGapIsLongerThanThirtySeconds() {
        CardEvents[] before = burst("b", 3, BEGINNING, 20 * SECOND);
        CardEvents[] after = burst("c", 3, BEGINNING + 40 * SECOND + 31 * SECOND, 20 * SECOND);
        run(with(before, after));

        assertNeverFired(BURST);
    }

    @Test
    void shouldFireOnSixQuickPaymentsAfterAGapNamingOnlyThose() {
        CardEvents[] before = burst("b", 3, BEGINNING, 20 * SECOND);
        CardEvents[] after = burst("c", 6, BEGINNING + 40 * SECOND + MINUTE, 20 * SECOND);
        Decision d = run(with(before, after));

        assertOneMatchCarriedByTheDecision(d, BURST, after);
    }

    @Test
    void shouldFireOnABurstRightAfterAnEarlierPayment() {
        // An ordinary payment a minute before the burst starts a partial match that can never complete.
        CardEvents earlier = pay("earlier", BEGINNING).amount("25");
        CardEvents[] b = burst("b", 6, BEGINNING + MINUTE, 20 * SECOND);
        Decision d = run(with(new CardEvents[] {earlier}, b));

        assertOneMatchCarriedByTheDecision(d, BURST, b);
    }

    // --- seq-impossible-travel --------------------------------------------------------------

    /** About 1,000 km north of (40, 10), along its meridian. */
    private static final double LAT_1000_KM_NORTH = 40.0 + 1000.0 / 111.195;

    @Test
    void shouldPlaceTheTestTerminalsAThousandKilometresApart() {
        assertThat(Geo.distanceKm(40.0, 10.0, LAT_1000_KM_NORTH, 10.0)).isBetween(999.0, 1001.0);
    }

    @Test
    void shouldFireOnAThousandKilometresInHalfAnHour() {
        CardEvents here = pay("here", BEGINNING).amount("40").pos(40.0, 10.0).country("IT");
        CardEvents there = pay("there", BEGINNING + 30 * MINUTE)
                .amount("60")
                .pos(LAT_1000_KM_NORTH, 10.0)
                .country("DE");
        Decision d = run(here, there);

        assertOneMatchCarriedByTheDecision(d, TRAVEL, here, there);
        assertThat(d.decision()).hasToString("DENY");
        assertThat(reason(d, TRAVEL).detail())
                .startsWith("a card-present payment in DE too soon after one too far away");
    }

    @Test
    void shouldNotFireOnAThousandKilometresInTwoHours() {
        run(
                pay("here", BEGINNING).amount("40").pos(40.0, 10.0),
                pay("there", BEGINNING + 2 * HOUR).amount("60").pos(LAT_1000_KM_NORTH, 10.0));

        assertNeverFired(TRAVEL);
    }

    @Test
    void shouldNotLetAPaymentThatIsNotCardPresentBreakTheSequence() {
        CardEvents here = pay("here", BEGINNING).amount("40").pos(40.0, 10.0);
        CardEvents online = pay("online", BEGINNING + 10 * MINUTE).amount("15").channel("ECOM");
        CardEvents there = pay("there", BEGINNING + 30 * MINUTE).amount("60").pos(LAT_1000_KM_NORTH, 10.0);
        Decision d = run(here, online, there);

        assertOneMatchCarriedByTheDecision(d, TRAVEL, here, there);
    }

    @Test
    void shouldFireOnTheCompletingPaymentEvenWhenAnOlderPartialMatchIsStillOpen() {
        // flink-cep's own skip-past-last-event would hold the second match back until the Berlin
        // payment's partial match expired, hours after London was decided.
        CardEvents berlin = pay("berlin", BEGINNING).amount("40").pos(52.52, 13.405);
        CardEvents paris = pay("paris", BEGINNING + 2 * HOUR).amount("40").pos(48.8566, 2.3522);
        CardEvents london =
                pay("london", BEGINNING + 2 * HOUR + 10 * MINUTE).amount("60").pos(51.5074, -0.1278);
        Decision d = run(berlin, paris, london);

        assertThat(decisions.get(1).reasons()).extracting(Reason::ruleId).doesNotContain(TRAVEL);
        assertThat(d.decision()).hasToString("DENY");
        assertThat(reason(d, TRAVEL).events()).containsExactly("evt-paris", "evt-london");
    }

    @Test
    void shouldNeverFireWithoutALocation() {
        // Card present, but the terminal sent no coordinates: (0, 0) must not stand in for them.
        CardEvents noWhere = pay("nowhere", BEGINNING).amount("40").channel("POS");
        run(
                noWhere,
                pay("there", BEGINNING + 30 * MINUTE).amount("60").pos(LAT_1000_KM_NORTH, 10.0),
                pay("nowhere2", BEGINNING + 40 * MINUTE).amount("60").channel("POS"));

        assertNeverFired(TRAVEL);
    }

    @Test
    void shouldNotFireOnTwoNearbyTerminals() {
        run(
                pay("here", BEGINNING).amount("40").pos(40.0, 10.0),
                pay("nearby", BEGINNING + MINUTE).amount("60").pos(40.5, 10.0));

        assertNeverFired(TRAVEL);
    }

    // --- seq-refund-cycling -----------------------------------------------------------------

    @Test
    void shouldFireOnTheThirdPaymentAfterTwoRefundsAtOneMerchant() {
        CardEvents p1 = pay("p1", BEGINNING).amount("80").merchant("m-7");
        CardEvents r1 = refund("r1", "p1", BEGINNING + 20 * MINUTE).amount("80").merchant("m-7");
        CardEvents p2 = pay("p2", BEGINNING + 40 * MINUTE).amount("80").merchant("m-7");
        CardEvents r2 = refund("r2", "p2", BEGINNING + 60 * MINUTE).amount("80").merchant("m-7");
        CardEvents p3 = pay("p3", BEGINNING + 80 * MINUTE).amount("80").merchant("m-7");
        Decision d = run(p1, r1, p2, r2, p3);

        assertOneMatchCarriedByTheDecision(d, REFUND_CYCLING, r1, p2, r2, p3);
        assertThat(reason(d, REFUND_CYCLING).points()).isEqualTo(50);
    }

    @Test
    void shouldNotCountARefundOfAnotherPayment() {
        CardEvents p1 = pay("p1", BEGINNING).amount("80").merchant("m-7");
        CardEvents r1 = refund("r1", "p1", BEGINNING + 20 * MINUTE).amount("80").merchant("m-7");
        CardEvents p2 = pay("p2", BEGINNING + 40 * MINUTE).amount("80").merchant("m-7");
        // A second refund of p1, not of p2, the payment made again.
        CardEvents r1again =
                refund("r1-again", "p1", BEGINNING + 60 * MINUTE).amount("80").merchant("m-7");
        CardEvents p3 = pay("p3", BEGINNING + 80 * MINUTE).amount("80").merchant("m-7");
        run(p1, r1, p2, r1again, p3);

        assertNeverFired(REFUND_CYCLING);
    }

    @Test
    void shouldNotFireWhenTheThirdPaymentIsAtAnotherMerchant() {
        run(
                pay("p1", BEGINNING).amount("80").merchant("m-7"),
                refund("r1", "p1", BEGINNING + 20 * MINUTE).amount("80").merchant("m-7"),
                pay("p2", BEGINNING + 40 * MINUTE).amount("80").merchant("m-7"),
                refund("r2", "p2", BEGINNING + 60 * MINUTE).amount("80").merchant("m-7"),
                pay("p3", BEGINNING + 80 * MINUTE).amount("80").merchant("m-8"));

        assertNeverFired(REFUND_CYCLING);
    }

    @Test
    void shouldNotFireWhenTheCycleTakesLongerThanADay() {
        run(
                pay("p1", BEGINNING).amount("80").merchant("m-7"),
                refund("r1", "p1", BEGINNING + HOUR).amount("80").merchant("m-7"),
                pay("p2", BEGINNING + 8 * HOUR).amount("80").merchant("m-7"),
                refund("r2", "p2", BEGINNING + 16 * HOUR).amount("80").merchant("m-7"),
                pay("p3", BEGINNING + 25 * HOUR).amount("80").merchant("m-7"));

        assertNeverFired(REFUND_CYCLING);
    }

    @Test
    void shouldLeaveNoThreadBehindOnceTheExamplesHaveRun() throws Exception {
        // Each example runs on its own offline decider, whose sequence buffer starts a timer thread.
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        List<ExampleRunner.Result> results = ExampleRunner.run(defaults);
        assertThat(results).isNotEmpty().allMatch(ExampleRunner.Result::passed);

        Set<Thread> left = new HashSet<>(Thread.getAllStackTraces().keySet());
        left.removeAll(before);
        long deadline = System.currentTimeMillis() + 10_000;
        for (Thread t : left) {
            t.join(Math.max(1, deadline - System.currentTimeMillis()));
        }
        assertThat(left).filteredOn(Thread::isAlive).extracting(Thread::getName).isEmpty();
    }

    @Test
    void shouldKeepEveryCardsSequencesApart() {
        // Probes on one card, the cash-out on another: no card saw the whole sequence.
        CardEvents[] probes = probes(3, BEGINNING, 40 * SECOND);
        run(with(
                probes,
                pay("cash", BEGINNING + 3 * MINUTE)
                        .amount("450")
                        .merchant("m-big")
                        .card("card-b")));

        assertNeverFired(CARD_TESTING);
    }
}
