package io.veto.rule;

import static io.veto.testing.Payments.BEGINNING;
import static org.assertj.core.api.Assertions.assertThat;

import io.veto.decision.Outcome;
import io.veto.decision.Reason;
import io.veto.event.EventType;
import io.veto.event.PaymentEvent;
import io.veto.feature.FeatureValues;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ListPrecedenceTest {
    private static final String RULES = """
            rules:
              - id: big
                when: amount >= 1000
                outcome: DENY
              - id: medium
                when: amount >= 100
                points: 50
              - id: watch
                mode: shadow
                when: amount >= 100
                points: 40
            """;

    private static final String BLOCKED_BINS = """
            id: blocked-bins
            kind: block
            entity: bin
            values:
              - 400000-400099
              - "5356"
              - value: "411112"
                note: FR-1
                expires: 2026-12-01
            """;

    private static final String BLOCKED_COUNTRIES = """
            id: blocked-countries
            kind: block
            entity: country
            values: [KP, IR]
            """;

    private static final String TRUSTED_CARDS = """
            id: trusted-cards
            kind: allow
            entity: card
            values:
              - value: tok_trusted
                note: QA card
            """;

    private final CompiledRuleSet rules = compile(Map.of(
            "lists/blocked-bins.yaml", BLOCKED_BINS,
            "lists/blocked-countries.yaml", BLOCKED_COUNTRIES,
            "lists/trusted-cards.yaml", TRUSTED_CARDS));

    static CompiledRuleSet compile(Map<String, String> lists) {
        Map<String, String> files = new TreeMap<>(lists);
        files.put(RuleSet.MANIFEST, "name: t\nthresholds:\n  review: 40\n  deny: 80\n");
        files.put("rules.yaml", RULES);
        try {
            return RuleSetCompiler.forJob().compile(new RuleSet("t", new TreeMap<>(files)));
        } catch (RuleSetException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    private static PaymentEvent payment(String card, String bin, String country, String amount, long time) {
        return new PaymentEvent(
                "e",
                EventType.PAYMENT,
                "p",
                time,
                card,
                bin,
                "1111",
                "cust-1",
                "m-1",
                "5411",
                null,
                new BigDecimal(amount),
                "EUR",
                country,
                "10.0.0.1",
                "dev-1",
                "ECOM",
                null,
                null,
                "test");
    }

    private Evaluation evaluate(String card, String bin, String country, String amount) {
        return rules.evaluate(payment(card, bin, country, amount, BEGINNING), new FeatureValues());
    }

    @Test
    void shouldDenyABlockListHitEvenWhenTheCardIsAllowListed() {
        Evaluation e = evaluate("tok_trusted", "400050", "DE", "5");
        assertThat(e.outcome()).isEqualTo(Outcome.DENY);
        assertThat(e.reasons()).extracting(Reason::ruleId).containsExactly("list:blocked-bins");
        assertThat(e.reasons().get(0).outcome()).isEqualTo("DENY");
        assertThat(e.reasons().get(0).detail())
                .isEqualTo("card BIN 400050 (in 400000-400099) is on block list blocked-bins");
    }

    @Test
    void shouldApproveAnAllowListHitWhateverTheRulesSayAndStillReportTheRules() {
        Evaluation e = evaluate("tok_trusted", "411111", "DE", "5000");
        assertThat(e.outcome()).isEqualTo(Outcome.APPROVE);
        assertThat(e.score()).isEqualTo(50);
        assertThat(e.reasons()).extracting(Reason::ruleId).containsExactly("list:trusted-cards", "big", "medium");
        assertThat(e.reasons().get(0).detail())
                .isEqualTo("card token tok_trusted is on allow list trusted-cards: QA card");
        // The shadow decision obeys the same precedence: an allow-listed card is approved there too.
        assertThat(e.shadowOutcome()).isEqualTo(Outcome.APPROVE);
        assertThat(e.shadowReasons()).extracting(Reason::ruleId).containsExactly("watch");
    }

    @Test
    void shouldLetRulesDecideWhenNoListIsHit() {
        Evaluation e = evaluate("tok_other", "411111", "DE", "150");
        assertThat(e.outcome()).isEqualTo(Outcome.REVIEW);
        assertThat(e.reasons()).extracting(Reason::ruleId).containsExactly("medium");
        assertThat(e.shadowOutcome()).isEqualTo(Outcome.DENY);
    }

    @Test
    void shouldDenyABlockedCountryAndNameTheListAndValue() {
        Evaluation e = evaluate("tok_other", "411111", "KP", "5");
        assertThat(e.outcome()).isEqualTo(Outcome.DENY);
        assertThat(e.reasons()).singleElement().satisfies(r -> {
            assertThat(r.ruleId()).isEqualTo("list:blocked-countries");
            assertThat(r.detail()).isEqualTo("merchant country KP is on block list blocked-countries");
        });
    }

    @ParameterizedTest(name = "BIN {0} blocked: {1}")
    @CsvSource({
        "400000, true",
        "400099, true",
        "400042, true",
        "399999, false",
        "400100, false",
        "535600, true",
        "535699, true",
        "535700, false",
        "53569912, true",
        "411112, true",
        "411113, false",
    })
    void shouldMatchBinRangesAndPrefixesAtTheirEdges(String bin, boolean blocked) {
        Evaluation e = evaluate("tok_other", bin, "DE", "5");
        assertThat(e.outcome()).isEqualTo(blocked ? Outcome.DENY : Outcome.APPROVE);
    }

    @Test
    void shouldStopMatchingAValueFromItsExpiry() {
        long december = Instant.parse("2026-12-01T00:00:00Z").toEpochMilli();
        PaymentEvent before = payment("tok_other", "411112", "DE", "5", december - 1);
        PaymentEvent after = payment("tok_other", "411112", "DE", "5", december);
        assertThat(rules.evaluate(before, new FeatureValues()).outcome()).isEqualTo(Outcome.DENY);
        assertThat(rules.evaluate(after, new FeatureValues()).outcome()).isEqualTo(Outcome.APPROVE);
    }

    @Test
    void shouldIgnoreAPaymentThatLacksTheListedEntity() {
        Evaluation e = rules.evaluate(payment(null, null, null, "5", BEGINNING), new FeatureValues());
        assertThat(e.outcome()).isEqualTo(Outcome.APPROVE);
        assertThat(e.reasons()).isEmpty();
    }

    @Test
    void shouldFindValuesAmongManyWithoutConfusingNeighbours() {
        String values = IntStream.range(0, 20_000)
                .mapToObj(i -> "  - " + (10_000_000 + i * 10) + "-" + (10_000_000 + i * 10 + 4))
                .collect(Collectors.joining("\n"));
        String ips = IntStream.range(0, 20_000)
                .mapToObj(i -> "  - 10.1." + (i / 250) + "." + (i % 250))
                .collect(Collectors.joining("\n"));
        CompiledRuleSet big = compile(Map.of(
                "lists/bins.yaml", "id: bins\nkind: block\nentity: bin\nvalues:\n" + values + "\n",
                "lists/ips.yaml", "id: ips\nkind: block\nentity: ip\nvalues:\n" + ips + "\n"));
        assertThat(big.lists()).extracting(l -> l.entries().size()).containsExactly(20_000, 20_000);
        assertThat(big.evaluate(payment("t", "10123454", "DE", "5", BEGINNING), new FeatureValues())
                        .outcome())
                .isEqualTo(Outcome.DENY);
        assertThat(big.evaluate(payment("t", "10123455", "DE", "5", BEGINNING), new FeatureValues())
                        .outcome())
                .isEqualTo(Outcome.APPROVE);
        PaymentEvent fromListedIp = new PaymentEvent(
                "e",
                EventType.PAYMENT,
                "p",
                BEGINNING,
                "t",
                "411111",
                "1111",
                "c",
                "m",
                "5411",
                null,
                BigDecimal.ONE,
                "EUR",
                "DE",
                "10.1.79.249",
                "d",
                "ECOM",
                null,
                null,
                "test");
        assertThat(big.evaluate(fromListedIp, new FeatureValues()).reasons())
                .extracting(Reason::ruleId)
                .containsExactly("list:ips");
    }
}
