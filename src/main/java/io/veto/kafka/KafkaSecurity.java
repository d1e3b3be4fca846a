package io.veto.kafka;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Kafka client security settings (SSL, SASL) for every Kafka source and sink of the job, without
 * a secret in the job's arguments, its configuration or its job graph: the web UI shows the first
 * two, and the JobManager stores the third.
 *
 * <p>The settings come from a properties file ({@code --kafka-properties-file}, or the environment
 * variable {@value #FILE_ENV}) and from environment variables {@code VETO_KAFKA_<NAME>}, the
 * property's name upper-cased with dots as underscores ({@code VETO_KAFKA_SASL_JAAS_CONFIG} is
 * {@code sasl.jaas.config}); a variable wins over the file. Only {@code security.protocol},
 * {@code sasl.*} and {@code ssl.*} are accepted: everything else about the job's Kafka clients is
 * a job option or fixed by Veto.
 *
 * <p>What travels with the job is a reference per setting, never its value:
 * {@code sasl.jaas.config=${veto:env:VETO_KAFKA_SASL_JAAS_CONFIG}} or
 * {@code ${veto:/etc/veto/kafka.properties:sasl.jaas.config}}. Each Kafka client resolves them
 * where it is created (the source's enumerator on the JobManager, readers and writers on the
 * TaskManagers) through {@link KafkaSecretsProvider}, Kafka's own config-provider mechanism. So the
 * file (same path) or the variables must exist there, and where the job is submitted from (which
 * reads the names only).
 */
public final class KafkaSecurity {
    /** Environment variable with the path of the properties file, when no option gives it. */
    public static final String FILE_ENV = "VETO_KAFKA_PROPERTIES_FILE";
    /** Prefix of environment variables that each hold one setting. */
    public static final String ENV_PREFIX = "VETO_KAFKA_";
    /** The config-provider alias in references: {@code ${veto:...}}. */
    static final String PROVIDER = "veto";

    private KafkaSecurity() {}

    /**
     * The properties to add to every Kafka client of the job: references to the settings of
     * {@code file} (or the file {@value #FILE_ENV} names when {@code file} is null) and of the
     * {@code VETO_KAFKA_*} variables of {@code env}, plus the config provider that resolves them.
     * Empty when there are no settings.
     *
     * @throws IllegalArgumentException for a file that cannot be read or a setting that is not a
     *     security setting
     */
    public static Properties references(Path file, Map<String, String> env) {
        Map<String, String> refs = new TreeMap<>();
        Path f = file != null ? file : blankToNull(env.get(FILE_ENV)) == null ? null : Path.of(env.get(FILE_ENV));
        if (f != null) {
            Path absolute = f.toAbsolutePath().normalize();
            String path = absolute.toString();
            if (path.contains(":") || path.contains("}")) {
                throw new IllegalArgumentException("Kafka properties file " + path
                        + ": a path with ':' or '}' cannot be referenced, move the file");
            }
            for (String key : read(absolute).stringPropertyNames()) {
                refs.put(check(key, "in " + absolute), "${" + PROVIDER + ":" + path + ":" + key + "}");
            }
        }
        for (String name : env.keySet()) {
            if (name.startsWith(ENV_PREFIX) && !name.equals(FILE_ENV)) {
                refs.put(
                        check(propertyName(name), "from environment variable " + name),
                        "${" + PROVIDER + ":" + KafkaSecretsProvider.ENV + ":" + name + "}");
            }
        }
        Properties p = new Properties();
        if (!refs.isEmpty()) {
            p.putAll(refs);
            p.setProperty("config.providers", PROVIDER);
            p.setProperty("config.providers." + PROVIDER + ".class", KafkaSecretsProvider.class.getName());
        }
        return p;
    }

    /** The references for the job's clients, from this process's environment. */
    public static Properties references(Path file) {
        return references(file, System.getenv());
    }

    /** {@code VETO_KAFKA_SASL_JAAS_CONFIG} -> {@code sasl.jaas.config}. */
    static String propertyName(String envName) {
        return envName.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
    }

    /** {@code sasl.jaas.config} -> {@code VETO_KAFKA_SASL_JAAS_CONFIG}. */
    public static String envName(String property) {
        return ENV_PREFIX + property.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    static boolean isSecuritySetting(String key) {
        return key.equals("security.protocol") || key.startsWith("sasl.") || key.startsWith("ssl.");
    }

    private static String check(String key, String where) {
        if (!isSecuritySetting(key)) {
            throw new IllegalArgumentException(
                    "Kafka setting '" + key + "' " + where + " is not a security setting: only security.protocol, "
                            + "sasl.* and ssl.* are read there (the rest are job options, e.g. --bootstrap-servers)");
        }
        return key;
    }

    static Properties read(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read the Kafka properties file " + file + ": " + e, e);
        }
        return p;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
