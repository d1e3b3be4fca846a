package io.veto.feature;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The window features computed for one payment, per entity, by name ({@code count_10m}); what the
 * rule conditions read as {@code card.count_10m}. Reused across payments by its owner, which is
 * why it remembers the names it has built: a spec's name, a qualified name's parts (a decision's
 * dozen features would otherwise build and split a dozen strings per payment).
 */
public final class FeatureValues {
    private final EnumMap<Entity, Map<String, Double>> values = new EnumMap<>(Entity.class);
    /** Names of the specs seen, by identity: a rule set's specs are the same objects payment after payment. */
    private final Map<FeatureSpec, String> specNames = new IdentityHashMap<>();
    /** {@code merchant.count_1m} -> its entity and {@code count_1m}. */
    private final Map<String, Qualified> parsed = new HashMap<>();
    /** Per entity, name -> qualified name, for {@link #forEach}. */
    private final EnumMap<Entity, Map<String, String>> qualified = new EnumMap<>(Entity.class);

    private record Qualified(Entity entity, String name) {}

    /** Remembered names are dropped beyond this many (rule sets change rarely; this bounds a churn of them). */
    private static final int MAX_REMEMBERED = 4096;

    public FeatureValues() {
        for (Entity e : Entity.values()) {
            values.put(e, new HashMap<>());
        }
    }

    public void clear() {
        for (Map<String, Double> m : values.values()) {
            m.clear();
        }
    }

    public void put(FeatureSpec spec, double value) {
        values.get(spec.entity()).put(nameOf(spec), value);
    }

    private String nameOf(FeatureSpec spec) {
        String n = specNames.get(spec);
        if (n == null) {
            if (specNames.size() >= MAX_REMEMBERED) {
                specNames.clear();
            }
            n = spec.name();
            specNames.put(spec, n);
        }
        return n;
    }

    /** Puts a value by qualified name, {@code merchant.count_1m}, as entity stages answer. */
    public void put(String qualifiedName, double value) {
        Qualified q = parsed.get(qualifiedName);
        if (q == null) {
            int dot = qualifiedName.indexOf('.');
            Entity e = dot > 0 ? Entity.fromRuleName(qualifiedName.substring(0, dot)) : null;
            if (e == null) {
                throw new IllegalArgumentException("not a qualified feature name: " + qualifiedName);
            }
            if (parsed.size() >= MAX_REMEMBERED) {
                parsed.clear();
            }
            q = new Qualified(e, qualifiedName.substring(dot + 1));
            parsed.put(qualifiedName, q);
        }
        values.get(q.entity()).put(q.name(), value);
    }

    /** How many values there are, over all entities. */
    public int size() {
        int n = 0;
        for (Map<String, Double> m : values.values()) {
            n += m.size();
        }
        return n;
    }

    /** Every value, by qualified name ({@code card.count_10m}), entity by entity. */
    public void forEach(BiConsumer<String, Double> action) {
        for (Map.Entry<Entity, Map<String, Double>> e : values.entrySet()) {
            if (e.getValue().isEmpty()) {
                continue;
            }
            Map<String, String> names = qualified.computeIfAbsent(e.getKey(), k -> new HashMap<>());
            for (Map.Entry<String, Double> v : e.getValue().entrySet()) {
                String q = names.get(v.getKey());
                if (q == null) {
                    if (names.size() >= MAX_REMEMBERED) {
                        names.clear();
                    }
                    q = e.getKey().ruleName() + "." + v.getKey();
                    names.put(v.getKey(), q);
                }
                action.accept(q, v.getValue());
            }
        }
    }

    public Map<String, Double> of(Entity entity) {
        return values.get(entity);
    }

    public Double get(FeatureSpec spec) {
        return values.get(spec.entity()).get(nameOf(spec));
    }
}
