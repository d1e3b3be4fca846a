package io.veto.rule;

import java.io.IOException;
import java.io.Serializable;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * A rule set as analysts wrote it: its name and the text of each of its files. This, not compiled
 * code, is what travels (job graph, rules topic, checkpoints); every operator compiles it itself.
 * Its version is the name plus a hash of the content, so the same files always give the same
 * version and any change gives a new one.
 */
public record RuleSet(String name, SortedMap<String, String> files) implements Serializable {

    public static final String MANIFEST = "ruleset.yaml";

    public RuleSet {
        files = Collections.unmodifiableSortedMap(new TreeMap<>(files));
    }

    /** {@code name@hash}, e.g. {@code default@3f2a9c1b04de}. */
    public String version() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, String> f : files.entrySet()) {
                sha.update(f.getKey().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(f.getValue().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return name + "@" + HexFormat.of().formatHex(sha.digest(), 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads a rule-set directory: {@value #MANIFEST} and every other {@code *.yaml}/{@code *.yml}
     * file below it, by path relative to the directory. The name is the directory's name until the
     * manifest names it.
     */
    public static RuleSet fromDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new UncheckedIOException(new IOException("rule set directory not found: " + dir));
        }
        SortedMap<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
                String n = p.getFileName().toString();
                if (Files.isRegularFile(p) && (n.endsWith(".yaml") || n.endsWith(".yml"))) {
                    files.put(
                            dir.relativize(p).toString().replace('\\', '/'),
                            Files.readString(p, StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read rule set " + dir + ": " + e.getMessage(), e);
        }
        String name = manifestName(files.get(MANIFEST));
        return new RuleSet(
                name != null
                        ? name
                        : dir.toAbsolutePath().normalize().getFileName().toString(),
                files);
    }

    /**
     * The {@code name:} of a manifest, or null when it has none or cannot be read (the compiler then
     * reports why). Read as YAML nodes, like every rule file, so it constructs no objects.
     */
    public static String manifestName(String manifest) {
        if (manifest == null) {
            return null;
        }
        try {
            Node root = new Yaml(new LoaderOptions()).compose(new StringReader(manifest));
            if (root instanceof MappingNode m) {
                for (NodeTuple t : m.getValue()) {
                    if (t.getKeyNode() instanceof ScalarNode k
                            && k.getValue().equals("name")
                            && t.getValueNode() instanceof ScalarNode v
                            && !v.getValue().isBlank()) {
                        return v.getValue().trim();
                    }
                }
            }
        } catch (RuntimeException e) {
            return null;
        }
        return null;
    }
}
