package io.veto.rule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.veto.decision.Outcome;
import io.veto.event.PaymentEvent;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ExampleParsingTest {
    private static final String RULES = """
            rules:
              - id: velocity
                when: card.count_10m > 5
                points: 50
            """;
    private static final String LIST = "id: vip\nkind: allow\nentity: customer\nvalues: [c-1]\n";
    private static final long START = Instant.parse("2026-11-28T12:00:00Z").toEpochMilli();

    private static RuleSet ruleSet(String examples) {
        Map<String, String> files = new TreeMap<>();
        files.put(RuleSet.MANIFEST, "name: t\nthresholds:\n  review: 40\n  deny: 80\n");
        files.put("rules.yaml", RULES + examples);
        files.put("lists/vip.yaml", LIST);
        return new RuleSet("t", new TreeMap<>(files));
    }

    private static List<String> problems(String examples) {
        RuleSetException e = catchThrowableOfType(
                RuleSetException.class, () -> RuleSetCompiler.forJob().compile(ruleSet(examples)));
        assertThat(e).as("rule set should be rejected").isNotNull();
        return e.problems().stream().map(RuleProblem::toString).toList();
    }

    @Test
    void shouldExpandAnExampleIntoPaymentsOnOneCard() throws Exception {
        CompiledRuleSet rules = RuleSetCompiler.forJob().compile(ruleSet("""
                examples:
                  - name: burst
                    card: tok_a
                    payments:
                      - {amount: 1.50, repeat: 3, every: 30s}
                      - {amount: 20, at: +2m, mcc: 7995, country: FR, channel: POS, merchant: m-9}
                      - {at: 10m}
                      - {}
                    expect:
                      decision: review
                      score: 50
                      fires: [velocity, list:vip]
                      shadow: none
                """));
        Example ex = rules.examples().get(0);
        assertThat(ex.name()).isEqualTo("burst");
        assertThat(ex.location()).isEqualTo("rules.yaml:6");
        assertThat(ex.payments())
                .extracting(p -> p.time() - START)
                .containsExactly(0L, 30_000L, 60_000L, 180_000L, 600_000L, 660_000L);
        List<PaymentEvent> events = ex.events();
        assertThat(events).allSatisfy(e -> {
            assertThat(e.cardToken()).isEqualTo("tok_a");
            assertThat(e.bin()).isEqualTo("411111");
            assertThat(e.needsDecision()).isTrue();
        });
        assertThat(events.get(0).amount()).isEqualByComparingTo("1.50");
        assertThat(events.get(0).mcc()).isEqualTo("5411");
        assertThat(events.get(0).channel()).isEqualTo("ECOM");
        PaymentEvent fourth = events.get(3);
        assertThat(fourth.mcc()).isEqualTo("7995");
        assertThat(fourth.country()).isEqualTo("FR");
        assertThat(fourth.channel()).isEqualTo("POS");
        assertThat(fourth.merchantId()).isEqualTo("m-9");
        assertThat(events.get(5).amount()).isEqualByComparingTo(new BigDecimal("10.00"));
        assertThat(ex.expect())
                .isEqualTo(new Expectation(
                        Outcome.REVIEW, List.of("velocity", "list:vip"), List.of(), 50, Expectation.NO_SHADOW));
    }

    @Test
    void shouldRejectAnExpectationNamingAnUnknownRuleOrABareListId() {
        assertThat(problems("""
                examples:
                  - name: a
                    payments: [{amount: 5}]
                    expect: {decision: DENY, fires: [velocty, vip], doesNotFire: [list:nope]}
                """))
                .containsExactly(
                        "rules.yaml:8:38: no rule or list 'velocty' in this rule set (rules are named by id, lists as list:<id>)",
                        "rules.yaml:8:47: no rule or list 'vip' in this rule set; 'vip' is a list: write list:vip",
                        "rules.yaml:8:67: no rule or list 'list:nope' in this rule set (rules are named by id, lists as list:<id>)");
    }

    @Test
    void shouldRejectMalformedPaymentsAndExpectationsWithFileLineAndColumn() {
        assertThat(problems("""
                examples:
                  - payments:
                      - {amount: -1, at: soon, channel: web, mcc: 54111, colour: red}
                      - {amount: 1e, every: 1m}
                    expect: {decision: MAYBE, shadow: sometimes}
                """))
                .containsExactlyInAnyOrder(
                        "rules.yaml:6:5: an example needs a 'name' (it is how 'rules test' reports it)",
                        "rules.yaml:7:66: unknown key 'colour' in a payment; known keys: at, repeat, every, amount, currency, mcc, country, channel, merchant, customer, terminal, device, ip, card, type, lat, lon",
                        "rules.yaml:7:26: at must be a time after the example's start (2m, 90s) or after the previous payment (+30s), not 'soon'",
                        "rules.yaml:7:18: amount must be zero or more, with at most 4 decimals, not '-1'",
                        "rules.yaml:7:51: mcc '54111' is not valid here: write the 4-digit merchant category code, e.g. 5411",
                        "rules.yaml:7:41: channel must be POS or ECOM, not 'web'",
                        "rules.yaml:8:29: 'every' spaces out repeated payments: add 'repeat'",
                        "rules.yaml:8:18: amount must be a number such as 25 or 1250.50, not '1e'",
                        "rules.yaml:9:24: decision must be APPROVE, REVIEW or DENY, not 'MAYBE'",
                        "rules.yaml:9:39: shadow must be APPROVE, REVIEW or DENY (or none: no shadow rule fires), not 'sometimes'");
    }

    @Test
    void shouldRequirePaymentsAndAnExpectedDecision() {
        assertThat(problems("""
                examples:
                  - name: empty
                    payments: []
                    expect: {fires: [velocity]}
                  - name: nothing
                """))
                .containsExactly(
                        "rules.yaml:7:15: an example needs at least one payment",
                        "rules.yaml:8:13: 'expect' needs the 'decision' of the last payment: APPROVE, REVIEW or DENY",
                        "rules.yaml:9:5: an example needs 'payments', at least one",
                        "rules.yaml:9:5: an example needs 'expect' with at least the 'decision' of its last payment");
    }

    @Test
    void shouldRejectDuplicateExampleNamesAcrossFilesAndCardNumbers() {
        Map<String, String> files = new TreeMap<>();
        files.put(RuleSet.MANIFEST, "name: t\nthresholds:\n  review: 40\n  deny: 80\n");
        files.put("a.yaml", "examples:\n  - name: same\n    payments: [{}]\n    expect: {decision: APPROVE}\n");
        files.put(
                "b.yaml",
                "examples:\n  - name: same\n    card: '4111111111111111'\n    payments: [{}]\n    expect: {decision: APPROVE}\n");
        RuleSetException e = catchThrowableOfType(
                RuleSetException.class, () -> RuleSetCompiler.forJob().compile(new RuleSet("t", new TreeMap<>(files))));
        assertThat(e.problems())
                .extracting(RuleProblem::toString)
                .containsExactly(
                        "b.yaml:3:11: this looks like a card number: an example's card is a card token (e.g. tok_test_1), never a card number");
        files.put("b.yaml", "examples:\n  - name: same\n    payments: [{}]\n    expect: {decision: APPROVE}\n");
        e = catchThrowableOfType(
                RuleSetException.class, () -> RuleSetCompiler.forJob().compile(new RuleSet("t", new TreeMap<>(files))));
        assertThat(e.problems())
                .extracting(RuleProblem::toString)
                .containsExactly("b.yaml:2:5: duplicate example name 'same' (first at a.yaml:2)");
    }

    @Test
    void shouldAcceptAFileOfOnlyExamplesAndNeverRunThemInTheJob() throws Exception {
        Map<String, String> files = new TreeMap<>();
        files.put(RuleSet.MANIFEST, "name: t\nthresholds:\n  review: 40\n  deny: 80\n");
        files.put(
                "examples.yaml",
                "examples:\n  - name: wrong on purpose\n    payments: [{}]\n    expect: {decision: DENY}\n");
        CompiledRuleSet rules = RuleSetCompiler.forJob().compile(new RuleSet("t", new TreeMap<>(files)));
        assertThat(rules.examples()).extracting(Example::name).containsExactly("wrong on purpose");
        assertThat(rules.size()).isZero();
    }
}
