package io.veto.cli;

import io.veto.decision.Outcome;
import io.veto.rule.CompiledRuleSet;
import io.veto.rule.EntityList;
import io.veto.rule.Example;
import io.veto.rule.ExamplePayment;
import io.veto.rule.ListEntry;
import io.veto.rule.RuleDefinition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * What changed between two rule sets, in words an analyst reviews before publishing: thresholds,
 * rules added, removed or changed (with the fields that changed), lists and their values, and
 * examples. Conditions are compared with whitespace folded, so re-wrapping one is not a change.
 */
final class RuleSetDiff {
    private static final int MAX_VALUES_SHOWN = 20;

    private RuleSetDiff() {}

    /** The differences, one line each; empty when the two sets decide and test the same way. */
    static List<String> diff(CompiledRuleSet a, CompiledRuleSet b) {
        List<String> out = new ArrayList<>();
        if (a.reviewThreshold() != b.reviewThreshold() || a.denyThreshold() != b.denyThreshold()) {
            List<String> t = new ArrayList<>();
            if (a.reviewThreshold() != b.reviewThreshold()) {
                t.add("review " + a.reviewThreshold() + " -> " + b.reviewThreshold());
            }
            if (a.denyThreshold() != b.denyThreshold()) {
                t.add("deny " + a.denyThreshold() + " -> " + b.denyThreshold());
            }
            out.add("thresholds: " + String.join(", ", t));
        }
        rules(out, a.rules(), b.rules());
        lists(out, a.lists(), b.lists());
        examples(out, a.examples(), b.examples());
        return out;
    }

    private static void rules(List<String> out, List<RuleDefinition> a, List<RuleDefinition> b) {
        Map<String, RuleDefinition> before = byId(a, RuleDefinition::id);
        Map<String, RuleDefinition> after = byId(b, RuleDefinition::id);
        for (RuleDefinition r : a) {
            if (!after.containsKey(r.id())) {
                out.add("- rule " + r.id() + " (" + r.file() + ":" + r.line() + ")");
            }
        }
        for (RuleDefinition r : b) {
            if (!before.containsKey(r.id())) {
                out.add("+ rule " + r.id() + " (" + r.file() + ":" + r.line() + "): " + weight(r)
                        + (r.shadow() ? ", shadow" : "") + " when " + condition(r.when()));
            }
        }
        for (RuleDefinition r : b) {
            RuleDefinition old = before.get(r.id());
            if (old == null) {
                continue;
            }
            List<String> c = new ArrayList<>();
            change(c, "condition", condition(old.when()), condition(r.when()));
            change(c, "points", old.pointsText(), r.pointsText());
            change(c, "outcome", outcome(old.outcome()), outcome(r.outcome()));
            change(c, "mode", old.mode(), r.mode());
            change(c, "validFrom", time(old.validFrom()), time(r.validFrom()));
            change(c, "validUntil", time(old.validUntil()), time(r.validUntil()));
            change(c, "explain", old.explain(), r.explain());
            change(c, "description", old.description(), r.description());
            change(c, "owner", old.owner(), r.owner());
            change(c, "tags", old.tags(), r.tags());
            change(c, "file", old.file(), r.file());
            if (!c.isEmpty()) {
                out.add("~ rule " + r.id() + ":");
                c.forEach(line -> out.add("    " + line));
            }
        }
    }

    private static void lists(List<String> out, List<EntityList> a, List<EntityList> b) {
        Map<String, EntityList> before = byId(a, EntityList::id);
        Map<String, EntityList> after = byId(b, EntityList::id);
        for (EntityList l : a) {
            if (!after.containsKey(l.id())) {
                out.add("- list " + l.id() + " (" + l.kind().yamlName() + " "
                        + l.entity().yamlName() + ", "
                        + ValidateCommand.plural(l.entries().size(), "value") + ")");
            }
        }
        for (EntityList l : b) {
            if (!before.containsKey(l.id())) {
                out.add("+ list " + l.id() + " (" + l.kind().yamlName() + " "
                        + l.entity().yamlName() + ", "
                        + ValidateCommand.plural(l.entries().size(), "value") + ", " + l.file() + ")");
            }
        }
        for (EntityList l : b) {
            EntityList old = before.get(l.id());
            if (old == null) {
                continue;
            }
            List<String> c = new ArrayList<>();
            change(c, "kind", old.kind().yamlName(), l.kind().yamlName());
            change(c, "entity", old.entity().yamlName(), l.entity().yamlName());
            change(c, "description", old.description(), l.description());
            change(c, "owner", old.owner(), l.owner());
            change(c, "file", old.file(), l.file());
            Map<String, ListEntry> ov = byId(old.entries(), ListEntry::value);
            Map<String, ListEntry> nv = byId(l.entries(), ListEntry::value);
            List<String> added = new ArrayList<>();
            List<String> removed = new ArrayList<>();
            List<String> changed = new ArrayList<>();
            for (ListEntry e : l.entries()) {
                ListEntry o = ov.get(e.value());
                if (o == null) {
                    added.add(e.value());
                } else if (!Objects.equals(o.note(), e.note()) || o.expires() != e.expires()) {
                    changed.add(e.value() + " (" + entryDetail(o) + " -> " + entryDetail(e) + ")");
                }
            }
            for (ListEntry e : old.entries()) {
                if (!nv.containsKey(e.value())) {
                    removed.add(e.value());
                }
            }
            values(c, "values added", added);
            values(c, "values removed", removed);
            values(c, "values changed", changed);
            if (!c.isEmpty()) {
                out.add("~ list " + l.id() + ":");
                c.forEach(line -> out.add("    " + line));
            }
        }
    }

    private static void examples(List<String> out, List<Example> a, List<Example> b) {
        Map<String, Example> before = byId(a, Example::name);
        Map<String, Example> after = byId(b, Example::name);
        for (Example e : a) {
            if (!after.containsKey(e.name())) {
                out.add("- example \"" + e.name() + "\" (" + e.location() + ")");
            }
        }
        for (Example e : b) {
            if (!before.containsKey(e.name())) {
                out.add("+ example \"" + e.name() + "\" (" + e.location() + ")");
            }
        }
        for (Example e : b) {
            Example old = before.get(e.name());
            if (old == null) {
                continue;
            }
            List<String> c = new ArrayList<>();
            if (!payments(old).equals(payments(e))
                    || old.start() != e.start()
                    || !old.card().equals(e.card())
                    || !old.bin().equals(e.bin())
                    || !old.last4().equals(e.last4())) {
                c.add("payments changed");
            }
            if (!old.expect().equals(e.expect())) {
                c.add("expect: " + expect(old) + " -> " + expect(e));
            }
            if (!c.isEmpty()) {
                out.add("~ example \"" + e.name() + "\": " + String.join("; ", c));
            }
        }
    }

    /** An example's payments without the lines they are written on, which moving text changes. */
    private static List<ExamplePayment> payments(Example e) {
        return e.payments().stream()
                .map(p -> new ExamplePayment(
                        p.time(),
                        p.amount().stripTrailingZeros(),
                        p.currency(),
                        p.mcc(),
                        p.country(),
                        p.channel(),
                        p.merchant(),
                        p.customer(),
                        p.terminal(),
                        p.device(),
                        p.ip(),
                        p.card(),
                        0,
                        p.type(),
                        p.lat(),
                        p.lon()))
                .toList();
    }

    private static String expect(Example e) {
        var x = e.expect();
        StringBuilder sb = new StringBuilder(x.decision().name());
        if (x.score() != null) {
            sb.append(" score ").append(x.score());
        }
        if (!x.fires().isEmpty()) {
            sb.append(" fires ").append(x.fires());
        }
        if (!x.doesNotFire().isEmpty()) {
            sb.append(" doesNotFire ").append(x.doesNotFire());
        }
        if (x.shadow() != null) {
            sb.append(" shadow ").append(x.shadow());
        }
        return sb.toString();
    }

    private static void values(List<String> c, String label, List<String> values) {
        if (values.isEmpty()) {
            return;
        }
        String shown = String.join(", ", values.subList(0, Math.min(values.size(), MAX_VALUES_SHOWN)));
        c.add(label + ": " + shown
                + (values.size() > MAX_VALUES_SHOWN ? " ... and " + (values.size() - MAX_VALUES_SHOWN) + " more" : ""));
    }

    private static String entryDetail(ListEntry e) {
        String note = e.note() == null ? "no note" : "note \"" + e.note() + "\"";
        return note + (e.expires() == Long.MAX_VALUE ? "" : ", expires " + Instant.ofEpochMilli(e.expires()));
    }

    private static void change(List<String> out, String field, Object before, Object after) {
        if (!Objects.equals(before, after)) {
            out.add(field + ": " + show(before) + " -> " + show(after));
        }
    }

    private static String show(Object v) {
        if (v == null) {
            return "none";
        }
        return v instanceof String s ? (s.isEmpty() ? "\"\"" : s) : v.toString();
    }

    /** A sequence rule may have no 'when' (null). */
    private static String condition(String when) {
        return when == null ? null : when.trim().replaceAll("\\s+", " ");
    }

    private static String weight(RuleDefinition r) {
        return r.outcome() != null
                ? "outcome " + r.outcome()
                        + (r.points() != 0 || r.pointsExpression() != null ? ", points " + r.pointsText() : "")
                : "points " + r.pointsText();
    }

    private static String outcome(Outcome o) {
        return o == null ? null : o.name();
    }

    private static String time(long t) {
        return t == Long.MIN_VALUE || t == Long.MAX_VALUE
                ? null
                : Instant.ofEpochMilli(t).toString();
    }

    private static <T> Map<String, T> byId(List<T> items, Function<T, String> id) {
        Map<String, T> m = new LinkedHashMap<>();
        for (T t : items) {
            m.putIfAbsent(id.apply(t), t);
        }
        return m;
    }
}
