package io.veto.feature;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * The window features computed for one payment, per entity, by name ({@code count_10m}); what the
 * rule conditions read as {@code card.count_10m}. Reused across payments by its owner.
 */
public final class FeatureValues {
    private final EnumMap<Entity, Map<String, Double>> values = new EnumMap<>(Entity.class);

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
        values.get(spec.entity()).put(spec.name(), value);
    }

    /** Puts a value by qualified name, {@code merchant.count_1m}, as entity stages answer. */
    public void put(String qualifiedName, double value) {
        int dot = qualifiedName.indexOf('.');
        Entity e = dot > 0 ? Entity.fromRuleName(qualifiedName.substring(0, dot)) : null;
        if (e == null) {
            throw new IllegalArgumentException("not a qualified feature name: " + qualifiedName);
        }
        values.get(e).put(qualifiedName.substring(dot + 1), value);
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
    public void forEach(java.util.function.BiConsumer<String, Double> action) {
        for (Map.Entry<Entity, Map<String, Double>> e : values.entrySet()) {
            String prefix = e.getKey().ruleName() + ".";
            for (Map.Entry<String, Double> v : e.getValue().entrySet()) {
                action.accept(prefix + v.getKey(), v.getValue());
            }
        }
    }

    public Map<String, Double> of(Entity entity) {
        return values.get(entity);
    }

    public Double get(FeatureSpec spec) {
        return values.get(spec.entity()).get(spec.name());
    }
}
