package io.veto.rule;

import static io.veto.rule.YamlNodes.orderedSet;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Checks and compiles one list file ({@code lists/<id>.yaml}): an allow or block list of card
 * tokens, customers, merchants, terminals, devices, IP addresses, merchant countries or BINs.
 */
final class ListCompiler {
    static final String DIRECTORY = "lists/";
    static final Set<String> LIST_KEYS =
            orderedSet("id", "kind", "entity", "description", "owner", "values", "examples");
    private static final Set<String> VALUE_KEYS = orderedSet("value", "note", "expires");
    private static final Pattern COUNTRY = Pattern.compile("[A-Z]{2}");
    private static final Pattern IPV4 =
            Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");
    private static final Pattern CARD_NUMBER = Pattern.compile("[0-9][0-9 -]{10,}[0-9]");
    static final int MAX_VALUE_CHARS = 256;

    private ListCompiler() {}

    static boolean isListFile(String path) {
        return path.startsWith(DIRECTORY);
    }

    /**
     * The list a file defines, or null when it has problems (all recorded).
     *
     * @param seenIds list id -> where it was first defined, across the rule set
     */
    static EntityList compile(YamlNodes y, Node root, Map<String, Node> top, Map<String, String> seenIds) {
        int before = y.problemCount();
        y.rejectUnknownKeys(top, LIST_KEYS, "a list");
        String id = top.containsKey("id") ? y.text(top.get("id"), "id") : null;
        if (id == null) {
            y.problem(root, "a list needs an 'id'");
        } else if (!RuleSetCompiler.RULE_ID.matcher(id).matches()) {
            y.problem(
                    top.get("id"),
                    "list id '" + id + "' must be lower-case letters, digits, '-', '_' or '.', at most 64");
        } else {
            String prev = seenIds.putIfAbsent(
                    id, y.file() + ":" + (root.getStartMark().getLine() + 1));
            if (prev != null) {
                y.problem(top.get("id"), "duplicate list id '" + id + "' (first defined at " + prev + ")");
            }
        }
        ListKind kind = null;
        if (!top.containsKey("kind")) {
            y.problem(root, "a list needs a 'kind': allow or block");
        } else {
            String k = y.text(top.get("kind"), "kind");
            if (k != null) {
                try {
                    kind = ListKind.valueOf(k.trim().toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    y.problem(top.get("kind"), "kind must be 'allow' or 'block', not '" + k + "'");
                }
            }
        }
        ListEntity entity = null;
        if (!top.containsKey("entity")) {
            y.problem(root, "a list needs an 'entity': " + entityNames());
        } else {
            String e = y.text(top.get("entity"), "entity");
            if (e != null) {
                entity = ListEntity.fromYaml(e.trim());
                if (entity == null) {
                    y.problem(top.get("entity"), "unknown entity '" + e + "'; a list names one of: " + entityNames());
                }
            }
        }
        List<ListEntry> entries = new ArrayList<>();
        if (!top.containsKey("values")) {
            y.problem(root, "a list needs 'values' (write 'values: []' for an empty one)");
        } else if (entity != null) {
            entries = values(y, top.get("values"), entity, id);
        }
        String description = top.containsKey("description") ? y.text(top.get("description"), "description") : "";
        String owner = top.containsKey("owner") ? y.text(top.get("owner"), "owner") : "";
        if (y.problemCount() > before) {
            return null;
        }
        return new EntityList(
                id,
                kind,
                entity,
                description,
                owner,
                y.file(),
                root.getStartMark().getLine() + 1,
                entries);
    }

    private static List<ListEntry> values(YamlNodes y, Node valuesNode, ListEntity entity, String listId) {
        List<ListEntry> entries = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        record Bin(EntityList.BinRange range, Node node, String value, int line) {}
        List<Bin> bins = new ArrayList<>();
        for (Node vn : y.sequence(valuesNode, "'values'")) {
            Node valueNode = vn;
            String note = null;
            long expires = Long.MAX_VALUE;
            if (vn instanceof MappingNode) {
                Map<String, Node> m = y.mapping(vn, "a list value");
                y.rejectUnknownKeys(m, VALUE_KEYS, "a list value");
                valueNode = m.get("value");
                if (valueNode == null) {
                    y.problem(vn, "a list value written as a mapping needs 'value'");
                    continue;
                }
                if (m.containsKey("note")) {
                    note = y.text(m.get("note"), "note");
                }
                if (m.containsKey("expires")) {
                    Long t = y.instant(m.get("expires"), "expires");
                    expires = t == null ? Long.MAX_VALUE : t;
                }
            }
            String v = y.text(valueNode, "a list value");
            if (v == null) {
                continue;
            }
            int line = valueNode.getStartMark().getLine() + 1;
            String problem = checkValue(entity, v);
            if (problem != null) {
                y.problem(valueNode, problem);
                continue;
            }
            if (entity == ListEntity.BIN) {
                bins.add(new Bin(EntityList.BinRange.parse(v), valueNode, v, line));
            } else {
                Integer first = seen.putIfAbsent(v, line);
                if (first != null) {
                    y.problem(
                            valueNode,
                            "duplicate value '" + v + "' in list " + listId + " (first at line " + first + ")");
                    continue;
                }
            }
            entries.add(new ListEntry(v, note, expires, line));
        }
        // Ranges of one digit count must not overlap: a lookup finds the one range below a BIN, and
        // an overlap is nearly always a typo or a value listed twice.
        bins.sort(Comparator.comparingInt((Bin b) -> b.range().digits())
                .thenComparingLong(b -> b.range().from())
                .thenComparingInt(Bin::line));
        Bin reach = null; // of the ranges so far with this digit count, the one reaching furthest
        for (Bin cur : bins) {
            if (reach != null && reach.range().overlaps(cur.range())) {
                Bin later = reach.line() > cur.line() ? reach : cur;
                Bin earlier = later == reach ? cur : reach;
                y.problem(
                        later.node(),
                        "BIN '" + later.value() + "' overlaps '" + earlier.value() + "' (line " + earlier.line()
                                + ") in list " + listId);
            }
            if (reach == null
                    || reach.range().digits() != cur.range().digits()
                    || cur.range().to() > reach.range().to()) {
                reach = cur;
            }
        }
        return entries;
    }

    /** What is wrong with a value for the entity, or null when it is fine. */
    private static String checkValue(ListEntity entity, String v) {
        if (v.isBlank()) {
            return "a list value must not be empty";
        }
        if (v.length() > MAX_VALUE_CHARS) {
            return "a list value is at most " + MAX_VALUE_CHARS + " characters";
        }
        switch (entity) {
            case BIN -> {
                try {
                    EntityList.BinRange.parse(v);
                } catch (IllegalArgumentException e) {
                    return e.getMessage();
                }
            }
            case COUNTRY -> {
                if (!COUNTRY.matcher(v).matches()) {
                    return "country '" + v + "' must be an ISO 3166 two-letter code in capitals, e.g. DE";
                }
            }
            case IP -> {
                if (v.contains("/")) {
                    return "'" + v + "': address ranges (CIDR) are not supported; list the addresses one by one";
                }
                if (!IPV4.matcher(v).matches() && !IPV6.matcher(v).matches()) {
                    return "'" + v + "' is not an IP address";
                }
            }
            case CARD -> {
                if (CARD_NUMBER.matcher(v).matches()) {
                    return "this looks like a card number: card lists name card tokens (the cardToken of a decision, e.g. tok_...), never card numbers";
                }
            }
            default -> {}
        }
        return null;
    }

    static String entityNames() {
        StringBuilder sb = new StringBuilder();
        for (ListEntity e : ListEntity.values()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(e.yamlName());
        }
        return sb.toString();
    }
}
