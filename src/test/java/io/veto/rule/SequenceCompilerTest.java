package io.veto.rule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.veto.testing.Payments;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.cep.nfa.aftermatch.NoSkipStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SequenceCompilerTest {
    private final RuleSetCompiler compiler = RuleSetCompiler.forJob();

    private static RuleSet rules(String yaml) {
        return Payments.ruleSet("t", 40, 80, yaml);
    }

    private CompiledSequence only(String yaml) throws RuleSetException {
        CompiledRuleSet rs = compiler.compile(rules(yaml));
        assertThat(rs.sequences()).hasSize(1);
        return rs.sequences().get(0);
    }

    private List<String> problems(String yaml) {
        Throwable t = catchThrowable(() -> compiler.compile(rules(yaml)));
        assertThat(t)
                .as("rule set should be rejected with problems, not fail otherwise")
                .isInstanceOf(RuleSetException.class);
        return ((RuleSetException) t)
                .problems().stream().map(RuleProblem::toString).toList();
    }

    /** A two-step sequence rule whose second step carries {@code stepB} (lines 9 and on). */
    private static String twoSteps(String stepB) {
        return """
                sequences:
                  - id: s1
                    within: 15m
                    outcome: DENY
                    steps:
                      - name: a
                        where: amount < 2
                      - name: b
                """ + stepB.indent(6);
    }

    @Test
    void shouldCompileEveryQuantifierForm() throws Exception {
        CompiledRuleSet rs = compiler.compile(rules("""
                sequences:
                  - id: exactly
                    within: 10m
                    points: 1
                    steps:
                      - name: x
                        where: amount < 2
                        times: 3
                  - id: at-least
                    within: 10m
                    points: 1
                    steps:
                      - name: x
                        where: amount < 2
                        times: 3+
                      - name: y
                        where: amount >= 200
                  - id: until
                    within: 10m
                    points: 1
                    steps:
                      - name: x
                        where: amount < 2
                        times: 1+
                        until: amount > 100
                      - name: y
                        where: amount >= 200
                  - id: range-greedy
                    within: 1h
                    points: 1
                    steps:
                      - name: x
                        where: amount < 2
                        times: 2..5
                        greedy: true
                      - name: y
                        where: amount >= 200
                  - id: optional-consecutive
                    within: 7d
                    points: 1
                    steps:
                      - name: x
                        where: amount >= 200
                      - name: y
                        where: amount < 2
                        optional: true
                      - name: z
                        where: amount < 2
                        times: 3
                        consecutive: true
                """));

        assertThat(rs.sequences())
                .extracting(CompiledSequence::ruleId)
                .containsExactly("exactly", "at-least", "until", "range-greedy", "optional-consecutive");
        SequenceStep exactly = rs.sequences().get(0).definition().steps().get(0);
        assertThat(exactly.minTimes()).isEqualTo(3);
        assertThat(exactly.maxTimes()).isEqualTo(3);
        assertThat(exactly.timesText()).isEqualTo("3");
        SequenceStep atLeast = rs.sequences().get(1).definition().steps().get(0);
        assertThat(atLeast.minTimes()).isEqualTo(3);
        assertThat(atLeast.maxTimes()).isEqualTo(Integer.MAX_VALUE);
        assertThat(atLeast.timesText()).isEqualTo("3+");
        SequenceStep until = rs.sequences().get(2).definition().steps().get(0);
        assertThat(until.timesText()).isEqualTo("1+");
        assertThat(until.until()).isEqualTo("amount > 100");
        SequenceStep range = rs.sequences().get(3).definition().steps().get(0);
        assertThat(range.minTimes()).isEqualTo(2);
        assertThat(range.maxTimes()).isEqualTo(5);
        assertThat(range.greedy()).isTrue();
        assertThat(range.timesText()).isEqualTo("2..5");
        SequenceDefinition oc = rs.sequences().get(4).definition();
        assertThat(oc.withinMillis()).isEqualTo(7 * 86_400_000L);
        assertThat(oc.steps().get(1).optional()).isTrue();
        assertThat(oc.steps().get(1).looping()).isFalse();
        assertThat(oc.steps().get(2).consecutive()).isTrue();
        assertThat(oc.steps().get(2).line()).isEqualTo(47);
        // Every sequence is keyed by card unless it says otherwise, and starts with the default skip.
        assertThat(rs.sequences()).allSatisfy(s -> {
            assertThat(s.key()).isEqualTo(SequenceDefinition.SequenceKey.CARD);
            assertThat(s.definition().skip()).isEqualTo("skip-past-last-event");
            assertThat(s.oneMatchPerIncident()).isTrue();
            assertThat(s.stateKey()).isEqualTo(s.ruleId() + "@" + s.definition().fingerprint());
        });
    }

    @Test
    void shouldCompileEachWayAStepFollowsTheOneBefore() throws Exception {
        for (SequenceStep.Contiguity c : SequenceStep.Contiguity.values()) {
            CompiledSequence s = only("""
                    sequences:
                      - id: s1
                        within: 15m
                        key: customer
                        points: 10
                        steps:
                          - name: a
                            where: amount < 2
                          - name: b
                            where: amount >= 200
                            after: %s
                          - name: c
                            where: amount >= 500
                    """.formatted(c.yamlName()));
            assertThat(s.definition().steps())
                    .extracting(SequenceStep::after)
                    .as(c.yamlName())
                    .containsExactly(SequenceStep.Contiguity.FOLLOWED_BY, c, SequenceStep.Contiguity.FOLLOWED_BY);
            assertThat(s.key()).isEqualTo(SequenceDefinition.SequenceKey.CUSTOMER);
        }
    }

    @Test
    void shouldCompileEachSkipStrategy() throws Exception {
        String template = """
                sequences:
                  - id: s1
                    within: 15m
                    skip: %s
                    points: 10
                    steps:
                      - name: probe
                        where: amount < 2
                        times: 2+
                      - name: cashout
                        where: amount >= 200
                """;
        // flink-cep's NFAs always run without a skip strategy, which would hold matches back; Veto applies the two it
        // offers.
        CompiledSequence noSkip = only(template.formatted("no-skip"));
        assertThat(noSkip.oneMatchPerIncident()).isFalse();
        assertThat(noSkip.skip()).isInstanceOf(NoSkipStrategy.class);
        CompiledSequence pastLast = only(template.formatted("skip-past-last-event"));
        assertThat(pastLast.oneMatchPerIncident()).isTrue();
        assertThat(pastLast.skip()).isInstanceOf(NoSkipStrategy.class);
        assertThat(pastLast.definition().skip()).isEqualTo("skip-past-last-event");
    }

    @Test
    void shouldRefuseTheSkipStrategiesThatWouldHoldAMatchBackFromItsPayment() {
        for (String skip : List.of("skip-to-next", "skip-to-first:probe", "skip-to-last:cashout")) {
            assertThat(problems("""
                    sequences:
                      - id: s1
                        within: 15m
                        skip: %s
                        points: 10
                        steps:
                          - name: probe
                            where: amount < 2
                            times: 2+
                          - name: cashout
                            where: amount >= 200
                    """.formatted(skip)))
                    .as(skip)
                    .containsExactly("rules.yaml:4:11: skip '" + skip + "' would hold a match back until earlier"
                            + " partial matches end, so the payment that completes it could not carry it: use skip-past-last-event (one match per"
                            + " incident) or no-skip (every match)");
        }
    }

    static Stream<Arguments> badSequences() {
        return Stream.of(
                Arguments.of(
                        "missing within",
                        """
                        sequences:
                          - id: s1
                            outcome: DENY
                            steps:
                              - name: a
                                where: amount < 2
                        """,
                        "rules.yaml:2:5: sequence rule 's1' needs 'within' (e.g. 15m): every sequence must be bounded in time"),
                Arguments.of("within over 7d", """
                        sequences:
                          - id: s1
                            within: 8d
                            outcome: DENY
                            steps:
                              - name: a
                                where: amount < 2
                        """, "rules.yaml:3:13: within is at most 7d"),
                Arguments.of("within of 169 hours", """
                        sequences:
                          - id: s1
                            within: 169h
                            outcome: DENY
                            steps:
                              - name: a
                                where: amount < 2
                        """, "rules.yaml:3:13: within is at most 7d"),
                Arguments.of(
                        "bad duration",
                        """
                        sequences:
                          - id: s1
                            within: 15 minutes
                            outcome: DENY
                            steps:
                              - name: a
                                where: amount < 2
                        """,
                        "rules.yaml:3:13: within must be a duration such as 90s, 15m, 2h or 1d, not '15 minutes'"),
                Arguments.of("zero duration", """
                        sequences:
                          - id: s1
                            within: 0s
                            outcome: DENY
                            steps:
                              - name: a
                                where: amount < 2
                        """, "rules.yaml:3:13: within must be longer than zero"),
                Arguments.of("missing steps", """
                        sequences:
                          - id: s1
                            within: 15m
                            outcome: DENY
                        """, "rules.yaml:2:5: sequence rule 's1' needs 'steps'"),
                Arguments.of("empty steps", """
                        sequences:
                          - id: s1
                            within: 15m
                            outcome: DENY
                            steps: []
                        """, "rules.yaml:5:12: a sequence needs at least one step"),
                Arguments.of(
                        "step without name",
                        twoSteps("  where: amount > 2\n").replace("- name: b\n", "-\n"),
                        "rules.yaml:9:9: a step needs a 'name'"),
                Arguments.of(
                        "step without where",
                        twoSteps("  times: 2\n"),
                        "rules.yaml:8:9: step 'b' needs a 'where' condition"),
                Arguments.of(
                        "duplicate step name",
                        twoSteps("  where: amount > 2\n").replace("name: b", "name: a"),
                        "rules.yaml:8:15: duplicate step name 'a'"),
                Arguments.of(
                        "invalid step name",
                        twoSteps("  where: amount > 2\n").replace("name: b", "name: Cash-Out"),
                        "rules.yaml:8:15: step name 'Cash-Out' must be lower-case letters, digits or '_', starting with a letter"),
                Arguments.of(
                        "unknown after",
                        twoSteps("  where: amount > 2\n  after: then\n"),
                        "rules.yaml:10:16: after must be next, followedBy, followedByAny, notNext or notFollowedBy, not 'then'"),
                Arguments.of(
                        "after on the first step",
                        """
                        sequences:
                          - id: s1
                            within: 15m
                            outcome: DENY
                            steps:
                              - name: a
                                where: amount < 2
                                after: next
                              - name: b
                                where: amount > 2
                        """,
                        "rules.yaml:8:16: the first step follows nothing: 'after' belongs on later steps"),
                Arguments.of(
                        "times not a count",
                        twoSteps("  where: amount > 2\n  times: many\n"),
                        "rules.yaml:10:16: times is a count (3), at least a count (3+) or a range (2..5), not 'many'"),
                Arguments.of(
                        "times range backwards",
                        twoSteps("  where: amount > 2\n  times: 5..2\n"),
                        "rules.yaml:10:16: times must be between 1 and 100, with a range's lower end first"),
                Arguments.of(
                        "times zero",
                        twoSteps("  where: amount > 2\n  times: 0\n"),
                        "rules.yaml:10:16: times must be between 1 and 100, with a range's lower end first"),
                Arguments.of(
                        "times over 100",
                        twoSteps("  where: amount > 2\n  times: 101+\n"),
                        "rules.yaml:10:16: times must be between 1 and 100, with a range's lower end first"),
                Arguments.of(
                        "a negative step that repeats",
                        twoSteps("  where: amount > 2\n  after: notNext\n  times: 2\n"),
                        "rules.yaml:11:16: a 'notNext' step cannot repeat"),
                Arguments.of(
                        "greedy on a single-event step",
                        twoSteps("  where: amount > 2\n  greedy: true\n"),
                        "rules.yaml:10:17: greedy applies to a step that takes several events (times: 3, 3+ or 2..5)"),
                Arguments.of(
                        "consecutive on a single-event step",
                        twoSteps("  where: amount > 2\n  times: 1\n  consecutive: true\n"),
                        "rules.yaml:11:22: consecutive applies to a step that takes several events (times: 3, 3+ or 2..5)"),
                Arguments.of(
                        "greedy not a boolean",
                        twoSteps("  where: amount > 2\n  times: 2+\n  greedy: yes please\n"),
                        "rules.yaml:11:17: greedy must be true or false, not 'yes please'"),
                Arguments.of(
                        "until without or-more",
                        twoSteps("  where: amount > 2\n  times: 3\n  until: amount > 9\n"),
                        "rules.yaml:11:16: until ends a step that takes 'or more' events (times: 1+)"),
                Arguments.of(
                        "step reading window features",
                        twoSteps("  where: amount > 2 && card.count_10m > 3\n"),
                        "rules.yaml:9:16: step conditions see the event and the match so far, not window features ('card.'); "
                                + "put conditions on features in the sequence's 'when', checked at the completing payment"),
                Arguments.of(
                        "unknown skip",
                        """
                        sequences:
                          - id: s1
                            within: 15m
                            skip: skip-all
                            outcome: DENY
                            steps:
                              - name: a
                                where: amount < 2
                        """,
                        "rules.yaml:4:11: skip must be skip-past-last-event (one match per incident) or no-skip (every match), not 'skip-all'"),
                Arguments.of(
                        "skip to an unknown step",
                        """
                        sequences:
                          - id: s1
                            within: 15m
                            skip: skip-to-last:cashout
                            outcome: DENY
                            steps:
                              - name: a
                                where: amount < 2
                        """,
                        "rules.yaml:4:11: skip 'skip-to-last:cashout' would hold a match back until earlier partial matches end, so the"
                                + " payment that completes it could not carry it: use skip-past-last-event (one match per incident) or no-skip (every match)"),
                Arguments.of(
                        "unknown key",
                        """
                        sequences:
                          - id: s1
                            within: 15m
                            colour: red
                            outcome: DENY
                            steps:
                              - name: a
                                where: amount < 2
                        """,
                        "rules.yaml:4:13: unknown key 'colour' in a sequence rule; known keys: id, description, owner, when, points, "
                                + "outcome, mode, explain, validFrom, validUntil, tags, key, within, skip, steps, alert"),
                Arguments.of(
                        "unknown key in a step",
                        twoSteps("  where: amount > 2\n  repeat: 3\n"),
                        "rules.yaml:10:17: unknown key 'repeat' in a step; known keys: name, where, after, times, gap, optional, greedy, consecutive, until"),
                Arguments.of(
                        "unknown sequence key",
                        """
                        sequences:
                          - id: s1
                            within: 15m
                            key: merchant
                            outcome: DENY
                            steps:
                              - name: a
                                where: amount < 2
                        """,
                        "rules.yaml:4:10: key must be 'card' or 'customer' (whose events the steps run over), not 'merchant'"),
                Arguments.of(
                        "bad alert name",
                        """
                        sequences:
                          - id: s1
                            within: 15m
                            alert: Card Under Attack
                            outcome: DENY
                            steps:
                              - name: a
                                where: amount < 2
                        """,
                        "rules.yaml:4:12: alert name 'Card Under Attack' must be lower-case letters, digits, '-' or '_'"),
                Arguments.of(
                        "steps under rules",
                        """
                        rules:
                          - id: s1
                            within: 15m
                            outcome: DENY
                            steps:
                              - name: a
                                where: amount < 2
                        """,
                        "rules.yaml:6:7: a rule with 'steps' is a sequence rule: list it under 'sequences:', not 'rules:'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSequences")
    void shouldReportTheProblemWhereItIs(String name, String yaml, String expected) {
        assertThat(problems(yaml)).containsExactly(expected);
    }

    @Test
    void shouldReportACelSyntaxErrorInAStepAtItsColumn() {
        List<String> p = problems(twoSteps("  where: amount >\n"));
        // "        where: amount >": the value starts at column 16 and ends at column 23.
        assertThat(p).singleElement().asString().startsWith("rules.yaml:9:24: syntax error: mismatched input '<EOF>'");
    }

    @Test
    void shouldReportAnUnknownNameInAStepWithWhatStepsCanUse() {
        List<String> p = problems(twoSteps("  where: amont > 2 && prev.amount < 2.0\n"));
        assertThat(p)
                .singleElement()
                .asString()
                .startsWith("rules.yaml:9:16: undeclared reference to 'amont'")
                .contains("the match so far (matched, prev, first)");
    }

    @Test
    void shouldReportAStepErrorInAFoldedConditionOnItsOwnLine() {
        List<String> p = problems(twoSteps("""
                  where: >-
                    type == "PAYMENT"
                    && distance_km(prev.lat, prev.lon, lat) > 300.0
                """));
        // The third argument is missing: no overload of distance_km takes three numbers.
        assertThat(p).singleElement().asString().startsWith("rules.yaml:11:").contains("distance_km");
    }

    @Test
    void shouldReportEveryProblemOfOneSequenceAtOnce() {
        List<String> p = problems("""
                sequences:
                  - id: s1
                    within: 2w
                    skip: skip-to-first:nope
                    outcome: DENY
                    steps:
                      - name: a
                        where: amount < 2
                        greedy: true
                      - name: a
                        where: amount >
                """);
        assertThat(p).hasSize(5);
        assertThat(p.get(0))
                .isEqualTo("rules.yaml:3:13: within must be a duration such as 90s, 15m, 2h or 1d, not '2w'");
        assertThat(p)
                .contains(
                        "rules.yaml:9:17: greedy applies to a step that takes several events (times: 3, 3+ or 2..5)",
                        "rules.yaml:10:15: duplicate step name 'a'",
                        "rules.yaml:4:11: skip 'skip-to-first:nope' would hold a match back until earlier partial matches end, so the"
                                + " payment that completes it could not carry it: use skip-past-last-event (one match per incident) or no-skip (every match)");
        assertThat(p).anySatisfy(s -> assertThat(s).startsWith("rules.yaml:11:24: syntax error"));
    }

    @Test
    void shouldReportAfterOnARepeatingFirstStepInsteadOfFailing() {
        // An invalid 'after' on the first step, with a 'times' or 'optional' that looks at 'after' next.
        List<String> p = problems("""
                sequences:
                  - id: s1
                    within: 15m
                    outcome: DENY
                    steps:
                      - name: a
                        where: amount < 2
                        after: then
                        times: 3
                        optional: true
                      - name: b
                        where: amount > 2
                """);
        assertThat(p)
                .containsExactly("rules.yaml:8:16: the first step follows nothing: 'after' belongs on later steps");
    }

    private static final String VERSIONED = """
            sequences:
              - id: s1
                description: %s
                within: 15m
                points: %d
                when: %s
                alert: %s
                explain: "%s"
                steps:
                  - name: probe
                    where: %s
                    times: 3+
                  - name: cashout
                    where: amount >= 200
            """;

    private String stateKey(String description, int points, String when, String alert, String explain, String where)
            throws Exception {
        return only(VERSIONED.formatted(description, points, when, alert, explain, where))
                .stateKey();
    }

    @Test
    void shouldKeepTheStateKeyWhenOnlyTheRulePartChanges() throws Exception {
        String base = stateKey(
                "probes then cash-out", 10, "amount > 0", "card-under-attack", "{amount} after probes", "amount < 2");
        assertThat(base).startsWith("s1@").hasSize("s1@".length() + 12);
        assertThat(stateKey(
                        "probes, then a large one",
                        10,
                        "amount > 0",
                        "card-under-attack",
                        "{amount} after probes",
                        "amount < 2"))
                .isEqualTo(base);
        assertThat(stateKey(
                        "probes then cash-out",
                        90,
                        "amount > 0",
                        "card-under-attack",
                        "{amount} after probes",
                        "amount < 2"))
                .isEqualTo(base);
        assertThat(stateKey(
                        "probes then cash-out",
                        10,
                        "card.count_10m > 3",
                        "card-under-attack",
                        "{amount} after probes",
                        "amount < 2"))
                .isEqualTo(base);
        assertThat(stateKey(
                        "probes then cash-out",
                        10,
                        "amount > 0",
                        "card-under-attack",
                        "cash-out of {amount}",
                        "amount < 2"))
                .isEqualTo(base);
        assertThat(stateKey(
                        "probes then cash-out", 10, "amount > 0", "other-alert", "{amount} after probes", "amount < 2"))
                .isEqualTo(base);
    }

    @Test
    void shouldChangeTheStateKeyWhenTheStepsOrTheBoundChange() throws Exception {
        String base = stateKey("d", 10, "amount > 0", "a", "e", "amount < 2");
        assertThat(stateKey("d", 10, "amount > 0", "a", "e", "amount < 3"))
                .isNotEqualTo(base)
                .startsWith("s1@");
        assertThat(stateKey("d", 10, "amount > 0", "a", "e", "amount < 2 && merchant_id != \"\""))
                .isNotEqualTo(base);
        String yaml = VERSIONED.formatted("d", 10, "amount > 0", "a", "e", "amount < 2");
        assertThat(only(yaml.replace("within: 15m", "within: 16m")).stateKey()).isNotEqualTo(base);
        assertThat(only(yaml.replace("times: 3+", "times: 4+")).stateKey()).isNotEqualTo(base);
        assertThat(only(yaml.replace("within: 15m", "within: 15m\n    skip: no-skip"))
                        .stateKey())
                .isNotEqualTo(base);
        // The same pattern in another rule is another rule's state.
        assertThat(only(yaml.replace("id: s1", "id: s2")).stateKey()).isEqualTo("s2" + base.substring(2));
    }
}
