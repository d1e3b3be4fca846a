package io.veto.stage;

import static org.assertj.core.api.Assertions.assertThat;

import io.veto.rule.RuleSet;
import io.veto.rule.RuleSetCodec;
import io.veto.rule.RuleSetLimits;
import io.veto.rule.RuleSigning;
import io.veto.testing.Payments;
import io.veto.testing.RuleKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** What the rules source lets through to the operators, and why it refuses the rest. */
class RuleSetGuardTest {
    private final RuleSetGuard guard = new RuleSetGuard(RuleKeys.publicKey());
    private final RuleSet defaults = RuleSet.fromDirectory(Path.of("rules/default"));

    private static String problems(RuleSetUpdate u) {
        assertThat(u.refused()).as("refused").isTrue();
        return String.join("\n", u.problems());
    }

    @Test
    void shouldAcceptTheDefaultRuleSetSignedWithThePublishersKey() {
        byte[] json = RuleKeys.signed(defaults);

        RuleSetUpdate u = guard.check(json, "rules/0/1");

        assertThat(u.refused()).isFalse();
        assertThat(u.json()).isSameAs(json);
        assertThat(u.origin()).isEqualTo("rules/0/1");
    }

    @Test
    void shouldRefuseAnUnsignedSet() {
        RuleSetUpdate u = guard.check(RuleSetCodec.encode(defaults), "rules/0/1");

        assertThat(problems(u)).contains("the rule set is not signed");
        assertThat(u.name()).isEqualTo("default");
        assertThat(u.version()).isEqualTo(defaults.version());
        assertThat(u.json()).isEmpty();
    }

    @Test
    void shouldRefuseASetChangedAfterSigning() throws Exception {
        String signature = RuleSigning.sign(defaults, RuleSigning.generate().getPrivate());
        TreeMap<String, String> files = new TreeMap<>(defaults.files());
        files.put(
                "lists/blocked-countries.yaml",
                files.get("lists/blocked-countries.yaml").replace("  - KP\n", ""));
        RuleSet tampered = new RuleSet(defaults.name(), files);
        String validSignature =
                RuleSetCodec.decodePublished(RuleKeys.signed(defaults)).signature();

        assertThat(problems(guard.check(RuleSetCodec.encode(tampered, validSignature), "r/0/1")))
                .contains("the signature does not match");
        // Signed, and unchanged, but with a key the job does not trust.
        assertThat(problems(guard.check(RuleSetCodec.encode(defaults, signature), "r/0/2")))
                .contains("the signature does not match");
        assertThat(problems(guard.check(RuleSetCodec.encode(defaults, "not base64!"), "r/0/3")))
                .contains("the signature does not match");
    }

    @Test
    void shouldRefuseEverySetWhenNoPublicKeyIsConfigured() {
        RuleSetUpdate u = new RuleSetGuard(null).check(RuleKeys.signed(defaults), "r/0/1");

        assertThat(problems(u)).contains(RuleSigning.ENV_PUBLIC_KEY).contains(RuleSigning.ENV_PUBLIC_KEY_FILE);
        assertThat(problems(new RuleSetGuard("garbage").check(RuleKeys.signed(defaults), "r/0/1")))
                .contains("unusable");
    }

    @Test
    void shouldRefuseAWronglyNamedSet() {
        RuleSet odd = renamed(defaults, "../Default\n" + "x".repeat(200));
        RuleSet other = renamed(defaults, "analysts");

        RuleSetUpdate u = guard.check(RuleKeys.signed(odd), "r/0/1");

        assertThat(problems(u))
                .contains("rule-set name '../Default\\u000a")
                .contains("(211 characters)")
                .contains("must be 1 to 64 lower-case");
        assertThat(u.name()).isEqualTo("?");
        assertThat(problems(guard.check(RuleKeys.signed(other), "r/0/2")))
                .contains(
                        "ruleset.yaml:1:1: the rule set is published as 'analysts' but its manifest names it 'default'");
    }

    @Test
    void shouldRefuseASetThatIsNotARuleSetOrDoesNotCompile() {
        assertThat(problems(guard.check("{".getBytes(StandardCharsets.UTF_8), "r/0/1")))
                .contains("must be JSON");
        RuleSet broken =
                Payments.ruleSet("analysts", 40, 80, "rules:\n  - id: r\n    when: amont > 1\n    points: 1\n");
        assertThat(problems(guard.check(RuleKeys.signed(broken), "r/0/2")))
                .contains("rules.yaml:3:11: undeclared reference to 'amont'");
    }

    @Test
    void shouldRefuseASetOverALimitWithTheLimitAndTheValue() {
        StringBuilder many = new StringBuilder("rules:\n");
        for (int i = 0; i <= RuleSetLimits.MAX_RULES; i++) {
            many.append("  - id: r")
                    .append(i)
                    .append("\n    when: amount > ")
                    .append(i)
                    .append("\n    points: 1\n");
        }
        RuleSet tooMany = Payments.ruleSet("analysts", 40, 80, many.toString());

        assertThat(problems(guard.check(RuleKeys.signed(tooMany), "r/0/1")))
                .contains("the rule set has 201 rules; the limit is 200");
    }

    @Test
    void shouldRefuseASetWhoseExamplesFailWithTheFailingExample() {
        RuleSet failing = Payments.ruleSet("analysts", 40, 80, """
                rules:
                  - id: big
                    when: amount >= 100
                    points: 50
                examples:
                  - name: a big payment is denied
                    payments:
                      - {amount: 150}
                    expect: {decision: DENY}
                """);

        assertThat(problems(guard.check(RuleKeys.signed(failing), "r/0/1")))
                .isEqualTo(
                        "rules.yaml:6:5: example \"a big payment is denied\" fails: expected decision DENY, got REVIEW");
    }

    private static RuleSet renamed(RuleSet rs, String name) {
        return new RuleSet(name, rs.files());
    }
}
