package io.veto.sequence;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.array.BytePrimitiveArraySerializer;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serializer of {@link PackedKeyedStateStore}'s one keyed value. The bytes are those of
 * Flink's {@link BytePrimitiveArraySerializer}; what this adds is the snapshot: the packed layout
 * version and, for every state packed into the value, the snapshots of its serializers
 * (flink-cep's shared buffer and NFA state serializers, the clock's), which a plain byte array
 * would hide from Flink. On restore each inner serializer is checked against the one that wrote
 * the savepoint, so a flink-cep upgrade that changed a format stops the restore with the state's
 * name instead of misreading the bytes.
 */
public final class PackedStateSerializer extends TypeSerializer<byte[]> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(PackedStateSerializer.class);

    /** The layout of the packed value {@link PackedKeyedStateStore} writes (its first byte). */
    static final int LAYOUT = 1;

    /** Every packed state's serializers (a value's one, a map's key and value), by state name. */
    private final LinkedHashMap<String, TypeSerializer<?>[]> inner;

    PackedStateSerializer(Map<String, TypeSerializer<?>[]> inner) {
        this.inner = new LinkedHashMap<>(inner);
    }

    private static final BytePrimitiveArraySerializer BYTES = BytePrimitiveArraySerializer.INSTANCE;

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public TypeSerializer<byte[]> duplicate() {
        // Holds no mutable state: the inner serializers are only described, never used here.
        return this;
    }

    @Override
    public byte[] createInstance() {
        return BYTES.createInstance();
    }

    @Override
    public byte[] copy(byte[] from) {
        return BYTES.copy(from);
    }

    @Override
    public byte[] copy(byte[] from, byte[] reuse) {
        return BYTES.copy(from, reuse);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(byte[] record, DataOutputView target) throws IOException {
        BYTES.serialize(record, target);
    }

    @Override
    public byte[] deserialize(DataInputView source) throws IOException {
        return BYTES.deserialize(source);
    }

    @Override
    public byte[] deserialize(byte[] reuse, DataInputView source) throws IOException {
        return BYTES.deserialize(reuse, source);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        BYTES.copy(source, target);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof PackedStateSerializer other) || other.inner.size() != inner.size()) {
            return false;
        }
        for (Map.Entry<String, TypeSerializer<?>[]> e : inner.entrySet()) {
            if (!Arrays.equals(e.getValue(), other.inner.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return inner.keySet().hashCode();
    }

    @Override
    public TypeSerializerSnapshot<byte[]> snapshotConfiguration() {
        LinkedHashMap<String, TypeSerializerSnapshot<?>[]> snapshots = new LinkedHashMap<>();
        for (Map.Entry<String, TypeSerializer<?>[]> e : inner.entrySet()) {
            snapshots.put(
                    e.getKey(),
                    Arrays.stream(e.getValue())
                            .map(TypeSerializer::snapshotConfiguration)
                            .toArray(TypeSerializerSnapshot[]::new));
        }
        return new Snapshot(LAYOUT, snapshots);
    }

    /**
     * Version 1: the packed layout, the number of states, and for each its name, the number of its
     * serializers and their versioned snapshots.
     */
    public static final class Snapshot implements TypeSerializerSnapshot<byte[]> {
        private static final int VERSION = 1;
        private int layout;
        private LinkedHashMap<String, TypeSerializerSnapshot<?>[]> states;

        /** For Flink, which reads the content with {@link #readSnapshot}. */
        public Snapshot() {}

        Snapshot(int layout, LinkedHashMap<String, TypeSerializerSnapshot<?>[]> states) {
            this.layout = layout;
            this.states = states;
        }

        int layout() {
            return layout;
        }

        Map<String, TypeSerializerSnapshot<?>[]> states() {
            return states;
        }

        @Override
        public int getCurrentVersion() {
            return VERSION;
        }

        @Override
        public void writeSnapshot(DataOutputView out) throws IOException {
            out.writeInt(layout);
            out.writeInt(states.size());
            for (Map.Entry<String, TypeSerializerSnapshot<?>[]> e : states.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeInt(e.getValue().length);
                for (TypeSerializerSnapshot<?> s : e.getValue()) {
                    TypeSerializerSnapshot.writeVersionedSnapshot(out, s);
                }
            }
        }

        @Override
        public void readSnapshot(int readVersion, DataInputView in, ClassLoader classLoader) throws IOException {
            if (readVersion != VERSION) {
                throw new IOException("packed sequence state: unknown snapshot version " + readVersion
                        + " (this release reads " + VERSION + ")");
            }
            layout = in.readInt();
            int n = in.readInt();
            states = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                TypeSerializerSnapshot<?>[] s = new TypeSerializerSnapshot<?>[in.readInt()];
                for (int k = 0; k < s.length; k++) {
                    s[k] = TypeSerializerSnapshot.readVersionedSnapshot(in, classLoader);
                }
                states.put(name, s);
            }
        }

        @Override
        public TypeSerializer<byte[]> restoreSerializer() {
            LinkedHashMap<String, TypeSerializer<?>[]> serializers = new LinkedHashMap<>();
            for (Map.Entry<String, TypeSerializerSnapshot<?>[]> e : states.entrySet()) {
                serializers.put(
                        e.getKey(),
                        Arrays.stream(e.getValue())
                                .map(TypeSerializerSnapshot::restoreSerializer)
                                .toArray(TypeSerializer[]::new));
            }
            return new PackedStateSerializer(serializers);
        }

        /**
         * Compatible as is when the savepoint's layout is one this release reads and every state in
         * it is still kept, with serializers compatible as is. A packed value cannot be migrated
         * state by state (Flink sees bytes), so anything else is incompatible and the restore fails.
         * State of the release before these snapshots (a plain byte array, layout 1, the same inner
         * serializers) is compatible as is.
         */
        @Override
        @SuppressWarnings({"unchecked", "rawtypes"})
        public TypeSerializerSchemaCompatibility<byte[]> resolveSchemaCompatibility(
                TypeSerializerSnapshot<byte[]> oldSnapshot) {
            if (oldSnapshot instanceof BytePrimitiveArraySerializer.BytePrimitiveArraySerializerSnapshot) {
                return TypeSerializerSchemaCompatibility.compatibleAsIs();
            }
            if (!(oldSnapshot instanceof Snapshot old)) {
                return TypeSerializerSchemaCompatibility.incompatible();
            }
            if (old.layout > layout) {
                LOG.error("Packed sequence state of layout {}, newer than this release's {}", old.layout, layout);
                return TypeSerializerSchemaCompatibility.incompatible();
            }
            for (Map.Entry<String, TypeSerializerSnapshot<?>[]> e : old.states.entrySet()) {
                TypeSerializerSnapshot<?>[] now = states.get(e.getKey());
                if (now == null || now.length != e.getValue().length) {
                    LOG.error(
                            "Packed sequence state holds '{}', which this release does not keep as such (it keeps {})",
                            e.getKey(),
                            states.keySet());
                    return TypeSerializerSchemaCompatibility.incompatible();
                }
                for (int i = 0; i < now.length; i++) {
                    TypeSerializerSchemaCompatibility<?> c = ((TypeSerializerSnapshot) now[i])
                            .resolveSchemaCompatibility((TypeSerializerSnapshot) e.getValue()[i]);
                    if (!c.isCompatibleAsIs()) {
                        LOG.error(
                                "Packed sequence state '{}': serializer {} is {} with the savepoint's {}; a packed value cannot be migrated",
                                e.getKey(),
                                i,
                                c,
                                e.getValue()[i]);
                        return TypeSerializerSchemaCompatibility.incompatible();
                    }
                }
            }
            return TypeSerializerSchemaCompatibility.compatibleAsIs();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Snapshot s && s.layout == layout && Objects.equals(s.states.keySet(), states.keySet());
        }

        @Override
        public int hashCode() {
            return states.keySet().hashCode() * 31 + layout;
        }
    }
}
