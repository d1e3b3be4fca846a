package io.veto.event;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where the PAN tokenization key comes from: the environment variable {@value #ENV_KEY} (the key
 * itself) or {@value #ENV_KEY_FILE} (a file holding it). Never from job configuration, which the
 * Flink web UI shows to anyone who can open it.
 */
public final class PanKey {
    public static final String ENV_KEY = "VETO_PAN_KEY";
    public static final String ENV_KEY_FILE = "VETO_PAN_KEY_FILE";
    public static final int MIN_BYTES = 16;

    private PanKey() {}

    /** The key from the process environment, if one is configured. */
    public static Optional<byte[]> fromEnvironment() {
        return from(System.getenv());
    }

    /**
     * The key from the given environment; empty when neither variable is set, an exception with a
     * clear message when one is set but unusable.
     */
    public static Optional<byte[]> from(Map<String, String> env) {
        String inline = env.get(ENV_KEY);
        if (inline != null && !inline.isBlank()) {
            return Optional.of(check(inline.trim().getBytes(StandardCharsets.UTF_8), ENV_KEY));
        }
        String file = env.get(ENV_KEY_FILE);
        if (file != null && !file.isBlank()) {
            try {
                String text = Files.readString(Path.of(file.trim()), StandardCharsets.UTF_8)
                        .trim();
                return Optional.of(check(text.getBytes(StandardCharsets.UTF_8), ENV_KEY_FILE + "=" + file));
            } catch (IOException e) {
                throw new IllegalStateException(
                        "cannot read the PAN tokenization key file " + file + " (" + ENV_KEY_FILE + "): "
                                + e.getMessage(),
                        e);
            }
        }
        return Optional.empty();
    }

    /** The key, or a start-up failure that tells the operator exactly what to set. */
    public static byte[] require() {
        return fromEnvironment().orElseThrow(() -> new IllegalStateException(missingMessage()));
    }

    public static String missingMessage() {
        return "Raw card numbers (pan) must be tokenized, but no key is configured: set "
                + ENV_KEY + " (at least " + MIN_BYTES + " bytes) or " + ENV_KEY_FILE
                + " (path to a file holding it) in the environment of the job client and of every"
                + " TaskManager, or start the job with --pan-policy reject to send events that carry a"
                + " raw PAN to the DLQ instead.";
    }

    private static byte[] check(byte[] key, String where) {
        if (key.length < MIN_BYTES) {
            throw new IllegalStateException("the PAN tokenization key from " + where + " is " + key.length
                    + " bytes; at least " + MIN_BYTES + " are required");
        }
        return key;
    }
}
