package io.veto.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshotSerializationUtil;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * Committed serializer fixtures, as Flink's own {@code TypeSerializerUpgradeTestBase} keeps them
 * (that base is keyed by Flink's versions, not an application's): for each serializer and each
 * data format a release wrote, the serializer's snapshot and a few values it wrote, under
 * {@code src/test/resources/state-fixtures/serializers/<name>/format-<n>/}.
 *
 * <p>Running the tests with {@code -Dveto.state-fixtures.write=true} writes the current format's
 * fixture of every serializer that has none yet: do that once when a format is bumped, and commit
 * the new directory next to the old ones, which stay and are never rewritten.
 */
public final class SerializerFixtures {
    /** Where the fixtures live in the source tree, relative to the project (Maven runs tests there). */
    public static final Path SOURCE_DIR = Path.of("src/test/resources/state-fixtures/serializers");

    private static final String RESOURCE_DIR = "state-fixtures/serializers";
    private static final String SNAPSHOT = "serializer-snapshot";
    private static final String DATA = "test-data";

    private SerializerFixtures() {}

    /** Whether this run writes the current formats' fixtures instead of only reading them. */
    public static boolean writing() {
        return Boolean.getBoolean("veto.state-fixtures.write");
    }

    /** A fixture read back: the snapshot in it, the values read with its restored serializer, the raw data. */
    public record Fixture<T>(int format, TypeSerializerSnapshot<T> snapshot, List<T> values, byte[] data) {}

    /**
     * Writes {@code values} and the serializer's snapshot as the fixture of {@code name} at
     * {@code format}. A committed fixture is never rewritten: the same data is left alone, and
     * different data fails (the layout changed: that is a new format).
     */
    public static <T> void write(String name, int format, TypeSerializer<T> serializer, List<T> values)
            throws IOException {
        Path dir = SOURCE_DIR.resolve(name).resolve("format-" + format);
        if (Files.exists(dir.resolve(DATA))) {
            if (!Arrays.equals(Files.readAllBytes(dir.resolve(DATA)), data(serializer, values))) {
                throw new IllegalStateException(name + " no longer writes format " + format + " as committed in " + dir
                        + ": bump its format and keep reading this one");
            }
            return;
        }
        Files.createDirectories(dir);
        DataOutputSerializer snapshot = new DataOutputSerializer(256);
        TypeSerializerSnapshotSerializationUtil.writeSerializerSnapshot(snapshot, serializer.snapshotConfiguration());
        Files.write(dir.resolve(SNAPSHOT), snapshot.getCopyOfBuffer());
        Files.write(dir.resolve(DATA), data(serializer, values));
    }

    /** The values as a fixture holds them: their count, then each as the serializer writes it. */
    public static <T> byte[] data(TypeSerializer<T> serializer, List<T> values) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(1024);
        out.writeInt(values.size());
        for (T v : values) {
            serializer.serialize(v, out);
        }
        return out.getCopyOfBuffer();
    }

    /** Every committed fixture of {@code name}, by format, read back with the serializer each snapshot restores. */
    public static <T> TreeMap<Integer, Fixture<T>> readAll(String name) throws IOException {
        TreeMap<Integer, Fixture<T>> all = new TreeMap<>();
        URL root = SerializerFixtures.class.getClassLoader().getResource(RESOURCE_DIR + "/" + name);
        if (root == null) {
            return all;
        }
        List<Path> dirs;
        try (Stream<Path> s = Files.list(Path.of(root.toURI()))) {
            dirs = new ArrayList<>(s.filter(p -> p.getFileName().toString().startsWith("format-"))
                    .toList());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        for (Path dir : dirs) {
            int format = Integer.parseInt(dir.getFileName().toString().substring("format-".length()));
            all.put(
                    format,
                    read(format, Files.readAllBytes(dir.resolve(SNAPSHOT)), Files.readAllBytes(dir.resolve(DATA))));
        }
        return all;
    }

    private static <T> Fixture<T> read(int format, byte[] snapshotBytes, byte[] data) throws IOException {
        DataInputDeserializer in = new DataInputDeserializer(snapshotBytes);
        TypeSerializerSnapshot<T> snapshot = TypeSerializerSnapshotSerializationUtil.readSerializerSnapshot(
                in, SerializerFixtures.class.getClassLoader());
        if (in.available() != 0) {
            throw new IOException("the snapshot of format " + format + " has " + in.available() + " bytes left over");
        }
        TypeSerializer<T> restored = snapshot.restoreSerializer();
        DataInputDeserializer values = new DataInputDeserializer(data);
        int n = values.readInt();
        List<T> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(restored.deserialize(values));
        }
        if (values.available() != 0) {
            throw new IOException("the data of format " + format + " has " + values.available() + " bytes left over");
        }
        return new Fixture<>(format, snapshot, out, data);
    }

    /** A resource as bytes (for fixtures that are not a serializer's). */
    public static byte[] resource(String path) throws IOException {
        try (InputStream in = SerializerFixtures.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IOException("no resource " + path);
            }
            return in.readAllBytes();
        }
    }
}
