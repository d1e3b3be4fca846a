package io.veto.rule;

import java.io.StringReader;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a rule file as YAML nodes that remember their line and column, so every problem can be
 * reported where the analyst wrote it. Composing nodes constructs no objects, so a rule file cannot
 * instantiate classes, and aliases are capped against alias bombs.
 */
final class YamlNodes {
    private final String file;
    private final List<RuleProblem> problems;

    YamlNodes(String file, List<RuleProblem> problems) {
        this.file = file;
        this.problems = problems;
    }

    /** The document's root node, or null (with a problem recorded) when it is not YAML. */
    Node parse(String text) {
        LoaderOptions opts = new LoaderOptions();
        opts.setMaxAliasesForCollections(10);
        opts.setAllowDuplicateKeys(false);
        opts.setCodePointLimit(1024 * 1024);
        try {
            return new Yaml(opts).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String msg = e.getProblem() != null ? e.getProblem() : e.getMessage();
            if (e.getContext() != null && e.getProblem() != null) {
                msg = e.getContext() + ": " + e.getProblem();
            }
            problems.add(new RuleProblem(
                    file,
                    m == null ? 1 : m.getLine() + 1,
                    m == null ? 1 : m.getColumn() + 1,
                    "YAML syntax: " + msg.trim()));
        } catch (RuntimeException e) {
            problems.add(new RuleProblem(file, 1, 1, "YAML: " + e.getMessage()));
        }
        return null;
    }

    void addProblem(int line, int column, String message) {
        problems.add(new RuleProblem(file, line, column, message));
    }

    void problem(Node at, String message) {
        Mark m = at == null ? null : at.getStartMark();
        problems.add(
                new RuleProblem(file, m == null ? 1 : m.getLine() + 1, m == null ? 1 : m.getColumn() + 1, message));
    }

    /** The mapping's entries by key, in order; a problem when the node is not a mapping. */
    Map<String, Node> mapping(Node node, String what) {
        Map<String, Node> out = new LinkedHashMap<>();
        if (!(node instanceof MappingNode m)) {
            problem(node, what + " must be a mapping of keys to values");
            return out;
        }
        for (NodeTuple t : m.getValue()) {
            if (t.getKeyNode() instanceof ScalarNode k) {
                out.put(k.getValue(), t.getValueNode());
            } else {
                problem(t.getKeyNode(), "keys must be plain names");
            }
        }
        return out;
    }

    List<Node> sequence(Node node, String what) {
        if (!(node instanceof SequenceNode s)) {
            problem(node, what + " must be a list");
            return List.of();
        }
        return new ArrayList<>(s.getValue());
    }

    /** A scalar's text, or null (with a problem) when the node is not a scalar. */
    String text(Node node, String what) {
        if (node instanceof ScalarNode s) {
            return s.getValue();
        }
        problem(node, what + " must be a single value, not a " + (node instanceof SequenceNode ? "list" : "mapping"));
        return null;
    }

    Integer integer(Node node, String what) {
        String t = text(node, what);
        if (t == null) {
            return null;
        }
        try {
            return Integer.parseInt(t.trim());
        } catch (NumberFormatException e) {
            problem(node, what + " must be a whole number, not '" + t + "'");
            return null;
        }
    }

    /**
     * A date ({@code 2026-12-01}, midnight UTC) or an instant ({@code 2026-12-01T00:00:00Z}) in epoch
     * milliseconds, or null (with a problem) when it is neither.
     */
    Long instant(Node node, String what) {
        String t = text(node, what);
        if (t == null) {
            return null;
        }
        try {
            return t.length() == 10
                    ? LocalDate.parse(t)
                            .atStartOfDay(ZoneOffset.UTC)
                            .toInstant()
                            .toEpochMilli()
                    : Instant.parse(t).toEpochMilli();
        } catch (DateTimeParseException e) {
            problem(node, what + " must be a date (2026-12-01) or an instant (2026-12-01T00:00:00Z), not '" + t + "'");
            return null;
        }
    }

    /** A single value or a list of values, as text; problems for anything else. */
    List<Node> scalars(Node node, String what) {
        if (node instanceof ScalarNode) {
            return List.of(node);
        }
        List<Node> out = new ArrayList<>();
        for (Node n : sequence(node, what)) {
            if (text(n, "each of " + what) != null) {
                out.add(n);
            }
        }
        return out;
    }

    int problemCount() {
        return problems.size();
    }

    String file() {
        return file;
    }

    static Set<String> orderedSet(String... keys) {
        return new LinkedHashSet<>(List.of(keys));
    }

    void rejectUnknownKeys(Map<String, Node> map, Set<String> known, String what) {
        for (Map.Entry<String, Node> e : map.entrySet()) {
            if (!known.contains(e.getKey())) {
                problem(
                        e.getValue(),
                        "unknown key '" + e.getKey() + "' in " + what + "; known keys: " + String.join(", ", known));
            }
        }
    }
}
