package io.veto.serde;

import java.io.IOException;
import java.util.function.IntFunction;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.java.typeutils.runtime.PojoSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The snapshot of each of Veto's own serializers: it records the version of the data format the
 * serializer wrote, so that a later release can still read state an earlier one wrote.
 *
 * <p>Snapshot versions (what {@link #readSnapshot} gets as {@code readVersion}):
 * <ul>
 *   <li>3: written by releases before formats were versioned, when these snapshots were Flink's
 *       {@link SimpleTypeSerializerSnapshot} (version 3, no content): data format 1.
 *   <li>4: the snapshot holds the data format version as an int.
 * </ul>
 *
 * <p>On restore the new serializer's snapshot compares itself with the one in the savepoint: the
 * same format is compatible as is; an older format that {@link #formats} can still read is
 * compatible after migration (Flink reads with the old format's serializer and writes with the
 * current one); an unknown, newer format is incompatible, and Flink refuses the restore rather
 * than misread the bytes. State written by Flink's POJO serializer (before a type had its own
 * serializer) is compatible after migration too.
 *
 * <p>To change a format: bump the serializer's current format, keep a serializer that reads the
 * previous one and return it from {@link #formats} for that version, and add the new version's
 * fixture (see {@code SerializerUpgradeTest}).
 */
public abstract class VersionedSnapshot<T> implements TypeSerializerSnapshot<T> {
    /** What {@link SimpleTypeSerializerSnapshot} wrote: no content, data format 1. */
    private static final int LEGACY_SIMPLE = 3;

    private static final int CURRENT = 4;

    private final int currentFormat;
    private final IntFunction<TypeSerializer<T>> formats;
    /** The data format of the serializer this snapshot describes. */
    private int format;

    /**
     * @param currentFormat the data format the current serializer writes
     * @param formats the serializer that reads a given format, or null for a format this release
     *     cannot read; {@code formats.apply(currentFormat)} is the current serializer
     */
    protected VersionedSnapshot(int currentFormat, IntFunction<TypeSerializer<T>> formats) {
        this.currentFormat = currentFormat;
        this.formats = formats;
        this.format = currentFormat;
    }

    /** The data format this snapshot describes (after a read: the one the savepoint's state has). */
    public int format() {
        return format;
    }

    @Override
    public int getCurrentVersion() {
        return CURRENT;
    }

    @Override
    public void writeSnapshot(DataOutputView out) throws IOException {
        out.writeInt(format);
    }

    @Override
    public void readSnapshot(int readVersion, DataInputView in, ClassLoader classLoader) throws IOException {
        format = switch (readVersion) {
            case LEGACY_SIMPLE -> 1;
            case CURRENT -> in.readInt();
            default ->
                throw new IOException(getClass().getName() + ": unknown snapshot version " + readVersion
                        + " (this release reads " + LEGACY_SIMPLE + " and " + CURRENT + ")");
        };
    }

    @Override
    public TypeSerializer<T> restoreSerializer() {
        TypeSerializer<T> s = formats.apply(format);
        if (s == null) {
            throw new IllegalStateException(getClass().getName() + ": state of data format " + format
                    + ", which this release cannot read (it writes format " + currentFormat + ")");
        }
        return s;
    }

    @Override
    public TypeSerializerSchemaCompatibility<T> resolveSchemaCompatibility(TypeSerializerSnapshot<T> oldSnapshot) {
        if (oldSnapshot instanceof PojoSerializerSnapshot) {
            return TypeSerializerSchemaCompatibility.compatibleAfterMigration();
        }
        if (oldSnapshot == null || oldSnapshot.getClass() != getClass()) {
            return TypeSerializerSchemaCompatibility.incompatible();
        }
        int old = ((VersionedSnapshot<T>) oldSnapshot).format;
        if (old == format) {
            return TypeSerializerSchemaCompatibility.compatibleAsIs();
        }
        return old < format && formats.apply(old) != null
                ? TypeSerializerSchemaCompatibility.compatibleAfterMigration()
                : TypeSerializerSchemaCompatibility.incompatible();
    }

    @Override
    public boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && ((VersionedSnapshot<?>) o).format == format;
    }

    @Override
    public int hashCode() {
        return getClass().hashCode() * 31 + format;
    }

    @Override
    public String toString() {
        return getClass().getName() + "(format " + format + ")";
    }
}
