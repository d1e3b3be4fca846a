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

    public Map<String, Double> of(Entity entity) {
        return values.get(entity);
    }

    public Double get(FeatureSpec spec) {
        return values.get(spec.entity()).get(spec.name());
    }
}
