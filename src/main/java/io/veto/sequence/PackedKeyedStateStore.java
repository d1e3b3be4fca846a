package io.veto.sequence;

import java.io.IOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.SerializerFactory;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.state.KeyedStateStore;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * One key's sequence state on the heap while one call of {@link SequenceHost} runs, and packed into
 * a single keyed value ({@value #STATE}) between calls.
 *
 * <p>flink-cep's shared buffer keeps a partial match in several map states (events, event
 * counters per timestamp, buffer nodes) and the host adds the NFA states and a clock: on RocksDB,
 * an event of a card with a sequence under way cost a dozen point reads and writes and two
 * iterators, each a JNI call, a seek and a (de)serialization (the end-to-end benchmark measured
 * the card stage at about 500 µs of CPU per payment). Here the card's whole sequence state is one
 * read when the call begins and at most one write when it ends; in between, the buffer works on
 * plain hash maps, as on the heap state backend.
 *
 * <p>Semantics are those of the heap backend within a call: a value read is the stored object,
 * and changing it in place changes the state. A call that read anything writes the state back
 * when it ends, so such a change is kept across calls too; a call that found nothing writes
 * nothing, and a key whose states are all empty is cleared.
 *
 * <p>Layout: a version byte, the number of non-empty states, and for each its name and content
 * (a value with its serializer; a map as its size and entries). Each state's serializers are the
 * ones of its descriptor. The backing value is registered by {@link #seal()}, once every state is:
 * its serializer ({@link PackedStateSerializer}) records the layout and every state's serializer
 * snapshots in checkpoints, so that a restore checks them as Flink checks any state's.
 *
 * <p>Offers value and map state only (all the shared buffer uses); reads and writes its own
 * backing store's value state only. Not thread-safe.
 */
final class PackedKeyedStateStore implements SyncKeyedStateStore {
    static final String STATE = "sequence-state";
    private static final byte VERSION = PackedStateSerializer.LAYOUT;

    private final KeyedStateStore backing;
    private ValueState<byte[]> packed;
    /** Every state registered, by name, in registration order. */
    private final Map<String, Slot> slots = new LinkedHashMap<>();

    private final DataOutputSerializer out = new DataOutputSerializer(256);
    private final DataInputDeserializer in = new DataInputDeserializer();
    private boolean open;
    /** Whether the call read something that exists, or changed anything: then the state is written back. */
    private boolean touched;

    PackedKeyedStateStore(KeyedStateStore backing) {
        this.backing = backing;
    }

    /**
     * Registers the backing value, with the serializers of every state registered so far; no state
     * can be registered after it, and no call begins before it.
     */
    void seal() {
        if (packed != null) {
            throw new IllegalStateException("sequence state already sealed");
        }
        Map<String, TypeSerializer<?>[]> serializers = new LinkedHashMap<>();
        for (Slot s : slots.values()) {
            serializers.put(s.name, s.serializers());
        }
        packed = backing.getState(new ValueStateDescriptor<>(STATE, new PackedStateSerializer(serializers)));
    }

    private ValueState<byte[]> packed() {
        if (packed == null) {
            throw new IllegalStateException("sequence state used before it was sealed");
        }
        return packed;
    }

    /** Loads the current key's state; every access until {@link #end} works on it. */
    void begin() throws IOException {
        if (open) {
            throw new IllegalStateException("a call of the sequence state is already under way");
        }
        for (Slot s : slots.values()) {
            s.reset();
        }
        byte[] bytes = packed().value();
        if (bytes != null) {
            read(bytes);
        }
        open = true;
        touched = false;
    }

    /**
     * Ends the call: writes the state back if it was read or changed ({@code keep}), or leaves the
     * stored state as it was (the call failed).
     */
    void end(boolean keep) throws IOException {
        if (!open) {
            return;
        }
        open = false;
        try {
            if (keep && touched) {
                boolean empty = true;
                for (Slot s : slots.values()) {
                    empty &= s.vacant();
                }
                if (empty) {
                    packed().clear();
                } else {
                    packed().update(write());
                }
            }
        } finally {
            for (Slot s : slots.values()) {
                s.reset();
            }
        }
    }

    /** Whether the current key holds anything, without decoding it; outside a call. */
    boolean exists() throws IOException {
        return packed().value() != null;
    }

    /** Entries per non-empty state of the current key (a value counts one), for tests and metrics; outside a call. */
    Map<String, Integer> entries() throws IOException {
        begin();
        try {
            Map<String, Integer> sizes = new LinkedHashMap<>();
            for (Slot s : slots.values()) {
                if (!s.vacant()) {
                    sizes.put(s.name, s.size());
                }
            }
            return sizes;
        } finally {
            end(false);
        }
    }

    private byte[] write() throws IOException {
        out.clear();
        out.writeByte(VERSION);
        int n = 0;
        for (Slot s : slots.values()) {
            n += s.vacant() ? 0 : 1;
        }
        out.writeShort(n);
        for (Slot s : slots.values()) {
            if (!s.vacant()) {
                out.writeUTF(s.name);
                s.write(out);
            }
        }
        return out.getCopyOfBuffer();
    }

    private void read(byte[] bytes) throws IOException {
        in.setBuffer(bytes);
        byte version = in.readByte();
        if (version != VERSION) {
            throw new IOException(
                    "sequence state of an unknown layout version " + version + " (this version reads " + VERSION + ")");
        }
        int n = in.readUnsignedShort();
        for (int i = 0; i < n; i++) {
            String name = in.readUTF();
            Slot s = slots.get(name);
            if (s == null) {
                throw new IOException("sequence state holds '" + name + "', which this version does not keep (it keeps "
                        + slots.keySet() + ")");
            }
            s.read(in);
        }
    }

    private void check() {
        if (!open) {
            throw new IllegalStateException("sequence state used outside a call of the sequence host");
        }
    }

    private static <T> TypeSerializer<T> serializerOf(StateDescriptor<?, T> d) {
        if (!d.isSerializerInitialized()) {
            d.initializeSerializerUnlessSet(new SerializerFactory() {
                @Override
                public <X> TypeSerializer<X> createSerializer(TypeInformation<X> type) {
                    return type.createSerializer(new SerializerConfigImpl());
                }
            });
        }
        return d.getSerializer();
    }

    private <S extends Slot> S register(S slot) {
        if (packed != null) {
            throw new IllegalStateException("sequence state '" + slot.name + "' registered after the store was sealed");
        }
        if (slots.containsKey(slot.name)) {
            throw new IllegalStateException("sequence state '" + slot.name + "' registered twice");
        }
        slots.put(slot.name, slot);
        return slot;
    }

    private abstract static class Slot {
        final String name;

        Slot(String name) {
            this.name = name;
        }

        abstract void reset();

        abstract boolean vacant();

        abstract int size();

        /** The state's serializers, for the backing value's snapshot. */
        abstract TypeSerializer<?>[] serializers();

        abstract void write(DataOutputSerializer out) throws IOException;

        abstract void read(DataInputDeserializer in) throws IOException;
    }

    private final class ValueSlot<T> extends Slot implements ValueState<T> {
        private final TypeSerializer<T> serializer;
        private T value;

        ValueSlot(ValueStateDescriptor<T> d) {
            super(d.getName());
            this.serializer = serializerOf(d).duplicate();
        }

        @Override
        void reset() {
            value = null;
        }

        @Override
        boolean vacant() {
            return value == null;
        }

        @Override
        int size() {
            return value == null ? 0 : 1;
        }

        @Override
        TypeSerializer<?>[] serializers() {
            return new TypeSerializer<?>[] {serializer};
        }

        @Override
        void write(DataOutputSerializer out) throws IOException {
            serializer.serialize(value, out);
        }

        @Override
        void read(DataInputDeserializer in) throws IOException {
            value = serializer.deserialize(in);
        }

        @Override
        public T value() {
            check();
            touched |= value != null;
            return value;
        }

        @Override
        public void update(T v) {
            check();
            touched = true;
            value = v;
        }

        @Override
        public void clear() {
            check();
            touched = true;
            value = null;
        }
    }

    private final class MapSlot<K, V> extends Slot implements MapState<K, V> {
        private final TypeSerializer<K> keys;
        private final TypeSerializer<V> values;
        private final HashMap<K, V> map = new HashMap<>();

        MapSlot(MapStateDescriptor<K, V> d) {
            super(d.getName());
            serializerOf(d);
            this.keys = d.getKeySerializer().duplicate();
            this.values = d.getValueSerializer().duplicate();
        }

        @Override
        void reset() {
            map.clear();
        }

        @Override
        boolean vacant() {
            return map.isEmpty();
        }

        @Override
        int size() {
            return map.size();
        }

        @Override
        TypeSerializer<?>[] serializers() {
            return new TypeSerializer<?>[] {keys, values};
        }

        @Override
        void write(DataOutputSerializer out) throws IOException {
            out.writeInt(map.size());
            for (Map.Entry<K, V> e : map.entrySet()) {
                keys.serialize(e.getKey(), out);
                values.serialize(e.getValue(), out);
            }
        }

        @Override
        void read(DataInputDeserializer in) throws IOException {
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                K k = keys.deserialize(in);
                map.put(k, values.deserialize(in));
            }
        }

        /** A read: the stored objects may be changed in place, so the state is written back. */
        private Map<K, V> read() {
            check();
            touched |= !map.isEmpty();
            return map;
        }

        private Map<K, V> change() {
            check();
            touched = true;
            return map;
        }

        @Override
        public V get(K key) {
            return read().get(key);
        }

        @Override
        public void put(K key, V value) {
            change().put(key, value);
        }

        @Override
        public void putAll(Map<K, V> all) {
            change().putAll(all);
        }

        @Override
        public void remove(K key) {
            change().remove(key);
        }

        @Override
        public boolean contains(K key) {
            return read().containsKey(key);
        }

        @Override
        public Iterable<Map.Entry<K, V>> entries() {
            return read().entrySet();
        }

        @Override
        public Iterable<K> keys() {
            return read().keySet();
        }

        @Override
        public Iterable<V> values() {
            return read().values();
        }

        @Override
        public Iterator<Map.Entry<K, V>> iterator() {
            return read().entrySet().iterator();
        }

        @Override
        public boolean isEmpty() {
            return read().isEmpty();
        }

        @Override
        public void clear() {
            change().clear();
        }
    }

    @Override
    public <T> ValueState<T> getState(ValueStateDescriptor<T> d) {
        return register(new ValueSlot<>(d));
    }

    @Override
    public <UK, UV> MapState<UK, UV> getMapState(MapStateDescriptor<UK, UV> d) {
        return register(new MapSlot<>(d));
    }

    @Override
    public String getBackendTypeIdentifier() {
        return "packed";
    }
}
