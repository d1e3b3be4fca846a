package io.veto.rule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ListValidationTest {

    private static List<String> problems(Map<String, String> files) {
        Map<String, String> all = new TreeMap<>(files);
        all.put(RuleSet.MANIFEST, "name: t\nthresholds:\n  review: 40\n  deny: 80\n");
        RuleSetException e = catchThrowableOfType(
                RuleSetException.class, () -> RuleSetCompiler.forJob().compile(new RuleSet("t", new TreeMap<>(all))));
        assertThat(e).as("rule set should be rejected").isNotNull();
        return e.problems().stream().map(RuleProblem::toString).toList();
    }

    private static String list(String entity, String... values) {
        StringBuilder sb = new StringBuilder("id: l\nkind: block\nentity: " + entity + "\nvalues:\n");
        for (String v : values) {
            sb.append("  - ").append(v).append('\n');
        }
        return sb.toString();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "BIN range ends of different lengths|bin|400000-40099|lists/l.yaml:5:5: BIN range '400000-40099' must have the same number of digits on both ends (6 and 5)",
                "BIN range backwards|bin|400099-400000|lists/l.yaml:5:5: BIN range '400099-400000' runs backwards: write the lower end first",
                "BIN with letters|bin|4000xx|lists/l.yaml:5:5: '4000xx' is not a BIN prefix (4000) or range (400000-400099): use digits only",
                "BIN too short|bin|'40'|lists/l.yaml:5:5: BIN '40' must have 4 to 8 digits, not 2",
                "card number in a BIN list|bin|'4111111111111111'|lists/l.yaml:5:5: a BIN has 4 to 8 digits; this value has 16 (card numbers never belong in a rule set)",
                "card number in a card list|card|4111 1111 1111 1111|lists/l.yaml:5:5: this looks like a card number: card lists name card tokens (the cardToken of a decision, e.g. tok_...), never card numbers",
                "lower-case country|country|kp|lists/l.yaml:5:5: country 'kp' must be an ISO 3166 two-letter code in capitals, e.g. DE",
                "CIDR range|ip|10.0.0.0/8|lists/l.yaml:5:5: '10.0.0.0/8': address ranges (CIDR) are not supported; list the addresses one by one",
                "not an IP|ip|10.0.0.256|lists/l.yaml:5:5: '10.0.0.256' is not an IP address",
            })
    void shouldRejectAMalformedValueWithFileLineAndColumn(String name, String entity, String value, String expected) {
        assertThat(problems(Map.of("lists/l.yaml", list(entity, value)))).containsExactly(expected);
    }

    @Test
    void shouldRejectAnUnknownEntityAndKindWithTheKnownOnes() {
        assertThat(problems(Map.of("lists/l.yaml", "id: l\nkind: deny\nentity: email\nvalues: []\n")))
                .containsExactly(
                        "lists/l.yaml:2:7: kind must be 'allow' or 'block', not 'deny'",
                        "lists/l.yaml:3:9: unknown entity 'email'; a list names one of: card, customer, merchant, terminal, device, ip, country, bin");
    }

    @Test
    void shouldRejectADuplicateListIdAcrossFiles() {
        assertThat(problems(Map.of(
                        "lists/a.yaml", "id: vip\nkind: allow\nentity: customer\nvalues: [c-1]\n",
                        "lists/b.yaml", "id: vip\nkind: block\nentity: customer\nvalues: [c-2]\n")))
                .containsExactly("lists/b.yaml:1:5: duplicate list id 'vip' (first defined at lists/a.yaml:1)");
    }

    @Test
    void shouldRejectDuplicateValuesAndOverlappingBinRanges() {
        assertThat(problems(Map.of(
                        "lists/m.yaml", list("merchant", "m-1", "m-2", "m-1"),
                        "lists/b.yaml", list("bin", "400000-400099", "400050-400150", "\"4000\"", "\"400000\""))))
                .containsExactlyInAnyOrder(
                        "lists/m.yaml:7:5: duplicate value 'm-1' in list l (first at line 5)",
                        "lists/m.yaml:1:5: duplicate list id 'l' (first defined at lists/b.yaml:1)",
                        "lists/b.yaml:6:5: BIN '400050-400150' overlaps '400000-400099' (line 5) in list l",
                        "lists/b.yaml:8:5: BIN '400000' overlaps '400000-400099' (line 5) in list l");
    }

    @Test
    void shouldRejectUnknownKeysAndMissingPartsAllAtOnce() {
        assertThat(problems(Map.of("lists/l.yaml", """
                id: Bad Id
                entity: ip
                colour: red
                values:
                  - value: 10.0.0.1
                    why: test
                  - note: no value
                """)))
                .containsExactlyInAnyOrder(
                        "lists/l.yaml:3:9: unknown key 'colour' in a list; known keys: id, kind, entity, description, owner, values, examples",
                        "lists/l.yaml:1:5: list id 'Bad Id' must be lower-case letters, digits, '-', '_' or '.', at most 64",
                        "lists/l.yaml:1:1: a list needs a 'kind': allow or block",
                        "lists/l.yaml:6:10: unknown key 'why' in a list value; known keys: value, note, expires",
                        "lists/l.yaml:7:5: a list value written as a mapping needs 'value'");
    }

    @Test
    void shouldPointAListWrittenOutsideTheListsDirectoryToIt() {
        assertThat(problems(Map.of("blocked.yaml", list("ip", "10.0.0.1"))))
                .containsExactly(
                        "blocked.yaml:1:1: this looks like an allow or block list: lists go in the rule set's lists/ directory");
    }

    @Test
    void shouldAcceptAnEmptyListAndIpv6Addresses() throws Exception {
        Map<String, String> files = new TreeMap<>();
        files.put(RuleSet.MANIFEST, "name: t\nthresholds:\n  review: 40\n  deny: 80\n");
        files.put("lists/empty.yaml", "id: empty\nkind: allow\nentity: merchant\nvalues: []\n");
        files.put("lists/v6.yaml", list("ip", "\"2001:db8::1\""));
        CompiledRuleSet rules = RuleSetCompiler.forJob().compile(new RuleSet("t", new TreeMap<>(files)));
        assertThat(rules.lists()).extracting(EntityList::id).containsExactly("empty", "l");
        assertThat(rules.size()).isZero();
    }
}
