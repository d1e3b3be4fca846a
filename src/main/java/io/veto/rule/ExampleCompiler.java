package io.veto.rule;

import static io.veto.rule.YamlNodes.orderedSet;

import io.veto.decision.Outcome;
import io.veto.event.CardTokenizer;
import io.veto.event.EventType;
import io.veto.event.PaymentEvent;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Checks and reads the {@code examples:} of a rule or list file. An example is a few payments on
 * one card, each written with only the fields that matter (the rest take defaults), and what the
 * decision on the last payment must be:
 *
 * <pre>
 * examples:
 *   - name: six payments in ten minutes go to review
 *     payments:
 *       - {amount: 20, repeat: 5}
 *       - {amount: 25, at: +30s}
 *     expect: {decision: REVIEW, fires: [card-velocity-10m], doesNotFire: [card-velocity-extreme-10m]}
 * </pre>
 */
final class ExampleCompiler {
    /** When an example starts unless it says otherwise: a fixed instant, so examples are reproducible. */
    static final long DEFAULT_START = Instant.parse("2026-11-28T12:00:00Z").toEpochMilli();

    static final long DEFAULT_GAP = Duration.ofMinutes(1).toMillis();
    static final int MAX_PAYMENTS = 10_000;

    static final String DEFAULT_CARD = "tok_example";
    static final String DEFAULT_BIN = "411111";
    static final String DEFAULT_LAST4 = "1111";
    static final String DEFAULT_AMOUNT = "10.00";
    static final String DEFAULT_CURRENCY = "EUR";
    static final String DEFAULT_MCC = "5411";
    static final String DEFAULT_COUNTRY = "DE";
    static final String DEFAULT_CHANNEL = "ECOM";
    static final String DEFAULT_MERCHANT = "m-example";
    static final String DEFAULT_CUSTOMER = "cust-example";
    static final String DEFAULT_DEVICE = "dev-example";
    static final String DEFAULT_IP = "10.0.0.1";

    private static final Set<String> EXAMPLE_KEYS =
            orderedSet("name", "description", "start", "card", "bin", "last4", "payments", "expect");
    private static final Set<String> PAYMENT_KEYS = orderedSet(
            "at",
            "repeat",
            "every",
            "amount",
            "currency",
            "mcc",
            "country",
            "channel",
            "merchant",
            "customer",
            "terminal",
            "device",
            "ip",
            "card",
            "type",
            "lat",
            "lon");
    private static final Set<String> EXPECT_KEYS = orderedSet("decision", "score", "fires", "doesNotFire", "shadow");
    private static final Pattern DURATION = Pattern.compile("(\\+)?\\s*(\\d{1,9})\\s*(ms|s|m|h|d)");
    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");
    private static final Pattern MCC = Pattern.compile("\\d{4}");
    private static final Pattern COUNTRY = Pattern.compile("[A-Z]{2}");
    private static final Pattern BIN = Pattern.compile("\\d{6,8}");
    private static final Pattern LAST4 = Pattern.compile("\\d{4}");
    private static final Pattern CARD_NUMBER = Pattern.compile("[0-9][0-9 -]{10,}[0-9]");

    /** A rule or list an expectation names; checked once every file has been read. */
    record Reference(YamlNodes yaml, Node node, String id) {}

    private ExampleCompiler() {}

    /** The examples of one file; problems are recorded and the broken examples left out. */
    static List<Example> compile(YamlNodes y, Node examplesNode, List<Reference> references) {
        List<Example> out = new ArrayList<>();
        for (Node en : y.sequence(examplesNode, "'examples'")) {
            int before = y.problemCount();
            Example ex = example(y, en, references);
            if (ex != null && y.problemCount() == before) {
                out.add(ex);
            }
        }
        return out;
    }

    private static Example example(YamlNodes y, Node en, List<Reference> references) {
        Map<String, Node> m = y.mapping(en, "an example");
        if (m.isEmpty()) {
            return null;
        }
        y.rejectUnknownKeys(m, EXAMPLE_KEYS, "an example");
        String name = m.containsKey("name") ? y.text(m.get("name"), "name") : null;
        if (name == null || name.isBlank()) {
            y.problem(en, "an example needs a 'name' (it is how 'rules test' reports it)");
            name = null;
        }
        long start = DEFAULT_START;
        if (m.containsKey("start")) {
            Long t = y.instant(m.get("start"), "start");
            start = t == null ? start : t;
        }
        String card = pattern(y, m, "card", null, DEFAULT_CARD);
        if (card != null && CARD_NUMBER.matcher(card).matches()) {
            y.problem(
                    m.get("card"),
                    "this looks like a card number: an example's card is a card token (e.g. tok_test_1), never a card number");
        }
        String bin = pattern(y, m, "bin", BIN, DEFAULT_BIN);
        String last4 = pattern(y, m, "last4", LAST4, DEFAULT_LAST4);

        List<ExamplePayment> payments = new ArrayList<>();
        Node pn = m.get("payments");
        if (pn == null) {
            y.problem(en, "an example needs 'payments', at least one");
        } else {
            List<Node> written = y.sequence(pn, "'payments'");
            if (written.isEmpty() && pn instanceof SequenceNode) {
                y.problem(pn, "an example needs at least one payment");
            }
            Long previous = null;
            for (Node p : written) {
                previous = payment(y, p, start, previous, payments);
                if (payments.size() > MAX_PAYMENTS) {
                    y.problem(p, "an example has at most " + MAX_PAYMENTS + " payments");
                    break;
                }
            }
        }
        Expectation expect = null;
        if (!m.containsKey("expect")) {
            y.problem(en, "an example needs 'expect' with at least the 'decision' of its last payment");
        } else {
            expect = expectation(y, m.get("expect"), references);
        }
        if (name == null || expect == null) {
            return null;
        }
        return new Example(
                name.trim(),
                y.file(),
                en.getStartMark().getLine() + 1,
                en.getStartMark().getColumn() + 1,
                start,
                card,
                bin,
                last4,
                payments,
                expect);
    }

    /** Adds the payment (repeated as asked) and returns the time of the last one added. */
    private static Long payment(YamlNodes y, Node pn, long start, Long previous, List<ExamplePayment> out) {
        Map<String, Node> m = y.mapping(pn, "a payment");
        y.rejectUnknownKeys(m, PAYMENT_KEYS, "a payment");
        long time = previous == null ? start : previous + DEFAULT_GAP;
        if (m.containsKey("at")) {
            String at = y.text(m.get("at"), "at");
            Matcher d = at == null ? null : DURATION.matcher(at.trim());
            if (d == null || !d.matches()) {
                if (at != null) {
                    y.problem(
                            m.get("at"),
                            "at must be a time after the example's start (2m, 90s) or after the previous payment (+30s), not '"
                                    + at + "'");
                }
            } else {
                long ms = millis(d);
                time = d.group(1) != null && previous != null ? previous + ms : start + ms;
            }
        }
        int repeat = 1;
        if (m.containsKey("repeat")) {
            Integer r = y.integer(m.get("repeat"), "repeat");
            if (r != null && (r < 1 || r > MAX_PAYMENTS)) {
                y.problem(m.get("repeat"), "repeat must be between 1 and " + MAX_PAYMENTS);
            } else if (r != null) {
                repeat = r;
            }
        }
        long every = DEFAULT_GAP;
        if (m.containsKey("every")) {
            String e = y.text(m.get("every"), "every");
            Matcher d = e == null ? null : DURATION.matcher(e.trim());
            if (d == null || !d.matches() || d.group(1) != null) {
                if (e != null) {
                    y.problem(m.get("every"), "every must be a duration such as 30s or 2m, not '" + e + "'");
                }
            } else {
                every = millis(d);
            }
            if (!m.containsKey("repeat")) {
                y.problem(m.get("every"), "'every' spaces out repeated payments: add 'repeat'");
            }
        }
        BigDecimal amount = new BigDecimal(DEFAULT_AMOUNT);
        if (m.containsKey("amount")) {
            String a = y.text(m.get("amount"), "amount");
            if (a != null) {
                try {
                    amount = new BigDecimal(a.trim());
                    if (amount.signum() < 0 || amount.scale() > PaymentEvent.AMOUNT_SCALE) {
                        y.problem(
                                m.get("amount"),
                                "amount must be zero or more, with at most " + PaymentEvent.AMOUNT_SCALE
                                        + " decimals, not '" + a + "'");
                    }
                } catch (NumberFormatException e) {
                    y.problem(m.get("amount"), "amount must be a number such as 25 or 1250.50, not '" + a + "'");
                }
            }
        }
        String currency = pattern(y, m, "currency", CURRENCY, DEFAULT_CURRENCY);
        String mcc = pattern(y, m, "mcc", MCC, DEFAULT_MCC);
        String country = pattern(y, m, "country", COUNTRY, DEFAULT_COUNTRY);
        String channel = DEFAULT_CHANNEL;
        if (m.containsKey("channel")) {
            String c = y.text(m.get("channel"), "channel");
            if (c != null && !c.equals("POS") && !c.equals("ECOM")) {
                y.problem(m.get("channel"), "channel must be POS or ECOM, not '" + c + "'");
            } else if (c != null) {
                channel = c;
            }
        }
        String merchant = pattern(y, m, "merchant", null, DEFAULT_MERCHANT);
        String customer = pattern(y, m, "customer", null, DEFAULT_CUSTOMER);
        String terminal = pattern(y, m, "terminal", null, null);
        String device = pattern(y, m, "device", null, DEFAULT_DEVICE);
        String ip = pattern(y, m, "ip", null, DEFAULT_IP);
        // Another card than the example's, for rules about entities many cards share (a device, an IP).
        String card = pattern(y, m, "card", null, null);
        if (card != null && CardTokenizer.normalize(card) != null) {
            y.problem(
                    m.get("card"),
                    "this looks like a card number: an example's card is a card token (e.g. tok_test_2), never a card number");
        }
        EventType type = EventType.PAYMENT;
        if (m.containsKey("type")) {
            String t = y.text(m.get("type"), "type");
            try {
                type = EventType.valueOf(t == null ? "" : t.trim());
            } catch (IllegalArgumentException e) {
                y.problem(
                        m.get("type"),
                        "type must be one of " + Arrays.toString(EventType.values()) + ", not '" + t + "'");
            }
        }
        if (type.refersToPayment() && out.stream().noneMatch(p -> p.type() == EventType.PAYMENT)) {
            y.problem(pn, "a " + type + " refers to the payment written before it: write that payment first");
        }
        Double lat = coordinate(y, m, "lat", 90);
        Double lon = coordinate(y, m, "lon", 180);
        if ((lat == null) != (lon == null)) {
            y.problem(pn, "a location needs both 'lat' and 'lon'");
        }
        int line = pn.getStartMark().getLine() + 1;
        for (int i = 0; i < repeat && out.size() <= MAX_PAYMENTS; i++) {
            out.add(new ExamplePayment(
                    time + i * every,
                    amount,
                    currency,
                    mcc,
                    country,
                    channel,
                    merchant,
                    customer,
                    terminal,
                    device,
                    ip,
                    card,
                    line,
                    type,
                    lat,
                    lon));
        }
        return time + (long) (repeat - 1) * every;
    }

    private static Double coordinate(YamlNodes y, Map<String, Node> m, String key, double limit) {
        if (!m.containsKey(key)) {
            return null;
        }
        String t = y.text(m.get(key), key);
        try {
            double v = Double.parseDouble(t == null ? "" : t.trim());
            if (Math.abs(v) > limit) {
                y.problem(m.get(key), key + " must be between -" + (int) limit + " and " + (int) limit);
            }
            return v;
        } catch (NumberFormatException e) {
            y.problem(m.get(key), key + " must be a number of degrees such as 48.8566, not '" + t + "'");
            return null;
        }
    }

    private static Expectation expectation(YamlNodes y, Node node, List<Reference> references) {
        Map<String, Node> m = y.mapping(node, "'expect'");
        if (m.isEmpty()) {
            if (node instanceof MappingNode) {
                y.problem(node, "'expect' needs at least the 'decision'");
            }
            return null;
        }
        y.rejectUnknownKeys(m, EXPECT_KEYS, "'expect'");
        Outcome decision = null;
        if (!m.containsKey("decision")) {
            y.problem(node, "'expect' needs the 'decision' of the last payment: APPROVE, REVIEW or DENY");
        } else {
            decision = outcome(y, m.get("decision"), "decision", false);
        }
        Integer score = m.containsKey("score") ? y.integer(m.get("score"), "score") : null;
        String shadow = null;
        if (m.containsKey("shadow")) {
            String t = y.text(m.get("shadow"), "shadow");
            if (t != null && t.trim().equalsIgnoreCase(Expectation.NO_SHADOW)) {
                shadow = Expectation.NO_SHADOW;
            } else if (t != null) {
                Outcome o = outcome(y, m.get("shadow"), "shadow", true);
                shadow = o == null ? null : o.name();
            }
        }
        List<String> fires = ids(y, m.get("fires"), "fires", references);
        List<String> doesNotFire = ids(y, m.get("doesNotFire"), "doesNotFire", references);
        for (String id : fires) {
            if (doesNotFire.contains(id)) {
                y.problem(m.get("doesNotFire"), "'" + id + "' is both in fires and in doesNotFire");
            }
        }
        return decision == null ? null : new Expectation(decision, fires, doesNotFire, score, shadow);
    }

    private static Outcome outcome(YamlNodes y, Node node, String what, boolean orNone) {
        String t = y.text(node, what);
        if (t == null) {
            return null;
        }
        try {
            return Outcome.valueOf(t.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            y.problem(
                    node,
                    what + " must be APPROVE, REVIEW or DENY" + (orNone ? " (or none: no shadow rule fires)" : "")
                            + ", not '" + t + "'");
            return null;
        }
    }

    private static List<String> ids(YamlNodes y, Node node, String what, List<Reference> references) {
        if (node == null) {
            return List.of();
        }
        Set<String> ids = new LinkedHashSet<>();
        for (Node n : y.scalars(node, what)) {
            String id = ((ScalarNode) n).getValue().trim();
            if (!ids.add(id)) {
                y.problem(n, "'" + id + "' is named twice in " + what);
            }
            references.add(new Reference(y, n, id));
        }
        return List.copyOf(ids);
    }

    /** An optional text field that must match {@code format} (when given); {@code dflt} when absent. */
    private static String pattern(YamlNodes y, Map<String, Node> m, String key, Pattern format, String dflt) {
        if (!m.containsKey(key)) {
            return dflt;
        }
        String v = y.text(m.get(key), key);
        if (v == null) {
            return dflt;
        }
        v = v.trim();
        if (v.isEmpty()) {
            y.problem(m.get(key), key + " must not be empty");
            return dflt;
        }
        if (format != null && !format.matcher(v).matches()) {
            y.problem(m.get(key), key + " '" + v + "' is not valid here: " + hint(key));
            return dflt;
        }
        return v;
    }

    private static String hint(String key) {
        return switch (key) {
            case "currency" -> "write an ISO 4217 code in capitals, e.g. EUR";
            case "mcc" -> "write the 4-digit merchant category code, e.g. 5411";
            case "country" -> "write an ISO 3166 two-letter code in capitals, e.g. DE";
            case "bin" -> "write the card's first 6 to 8 digits";
            case "last4" -> "write the card's last 4 digits";
            default -> "see rules/README.md";
        };
    }

    private static long millis(Matcher d) {
        long n = Long.parseLong(d.group(2));
        return switch (d.group(3)) {
            case "ms" -> n;
            case "s" -> n * 1000L;
            case "m" -> n * 60_000L;
            case "h" -> n * 3_600_000L;
            default -> n * 86_400_000L;
        };
    }
}
