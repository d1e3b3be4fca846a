package io.veto.sequence;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;

/**
 * Keyed value state on the heap, for running {@link SequenceHost} without Flink: the
 * offline decider behind {@code rules test} and backtests, which must find exactly the sequences
 * the job finds. Call {@link #setCurrentKey(String)} before each event, as Flink does.
 */
public final class InMemoryKeyedStateStore implements SyncKeyedStateStore {
    private final Map<String, Map<String, Object>> values = new HashMap<>();
    private String key = "";

    public void setCurrentKey(String key) {
        this.key = key;
    }

    /** Number of (state, key) entries holding something: 0 once every key is cleaned up. */
    public int entries() {
        int n = 0;
        for (Map<String, Object> v : values.values()) {
            n += v.size();
        }
        return n;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> ValueState<T> getState(ValueStateDescriptor<T> d) {
        Map<String, Object> byKey = values.computeIfAbsent(d.getName(), n -> new HashMap<>());
        return new ValueState<>() {
            @Override
            public T value() {
                return (T) byKey.get(key);
            }

            @Override
            public void update(T value) {
                if (value == null) {
                    byKey.remove(key);
                } else {
                    byKey.put(key, value);
                }
            }

            @Override
            public void clear() {
                byKey.remove(key);
            }
        };
    }

    @Override
    public String getBackendTypeIdentifier() {
        return "heap-offline";
    }
}
