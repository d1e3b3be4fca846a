package io.veto.sequence;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.apache.flink.api.common.state.AggregatingState;
import org.apache.flink.api.common.state.AggregatingStateDescriptor;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReducingState;
import org.apache.flink.api.common.state.ReducingStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;

/**
 * Keyed value and map state on the heap, for running {@link SequenceHost} without Flink: the
 * offline decider behind {@code rules test} and backtests, which must find exactly the sequences
 * the job finds. Call {@link #setCurrentKey(String)} before each event, as Flink does.
 */
public final class InMemoryKeyedStateStore implements SyncKeyedStateStore {
    private final Map<String, Map<String, Object>> values = new HashMap<>();
    private final Map<String, Map<String, Map<Object, Object>>> maps = new HashMap<>();
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
        for (Map<String, Map<Object, Object>> m : maps.values()) {
            n += (int) m.values().stream().filter(x -> !x.isEmpty()).count();
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
    @SuppressWarnings("unchecked")
    public <UK, UV> MapState<UK, UV> getMapState(MapStateDescriptor<UK, UV> d) {
        Map<String, Map<Object, Object>> byKey = maps.computeIfAbsent(d.getName(), n -> new HashMap<>());
        return new MapState<>() {
            private Map<UK, UV> map() {
                return (Map<UK, UV>) (Map<?, ?>) byKey.computeIfAbsent(key, k -> new HashMap<>());
            }

            @Override
            public UV get(UK k) {
                return map().get(k);
            }

            @Override
            public void put(UK k, UV v) {
                map().put(k, v);
            }

            @Override
            public void putAll(Map<UK, UV> m) {
                map().putAll(m);
            }

            @Override
            public void remove(UK k) {
                map().remove(k);
                if (map().isEmpty()) {
                    byKey.remove(key);
                }
            }

            @Override
            public boolean contains(UK k) {
                return map().containsKey(k);
            }

            @Override
            public Iterable<Map.Entry<UK, UV>> entries() {
                return map().entrySet();
            }

            @Override
            public Iterable<UK> keys() {
                return map().keySet();
            }

            @Override
            public Iterable<UV> values() {
                return map().values();
            }

            @Override
            public Iterator<Map.Entry<UK, UV>> iterator() {
                return map().entrySet().iterator();
            }

            @Override
            public boolean isEmpty() {
                return map().isEmpty();
            }

            @Override
            public void clear() {
                byKey.remove(key);
            }
        };
    }

    @Override
    public <T> ListState<T> getListState(ListStateDescriptor<T> d) {
        throw SyncKeyedStateStore.unsupported();
    }

    @Override
    public <T> ReducingState<T> getReducingState(ReducingStateDescriptor<T> d) {
        throw SyncKeyedStateStore.unsupported();
    }

    @Override
    public <IN, ACC, OUT> AggregatingState<IN, OUT> getAggregatingState(AggregatingStateDescriptor<IN, ACC, OUT> d) {
        throw SyncKeyedStateStore.unsupported();
    }






    @Override
    public String getBackendTypeIdentifier() {
        return "heap-offline";
    }

}
