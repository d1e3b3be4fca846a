package io.veto.kafka;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.config.ConfigData;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.provider.ConfigProvider;

/**
 * Kafka config provider that resolves the references {@link KafkaSecurity} puts into the job's
 * Kafka client settings, in the process where each client is created: {@code ${veto:env:NAME}}
 * from that process's environment variable {@code NAME} (a {@code VETO_KAFKA_*} one), and
 * {@code ${veto:/path/file.properties:key}} from that file. Unlike Kafka's own file and
 * environment providers it fails, naming what to set, when a setting is missing, instead of
 * handing the client the unresolved reference.
 */
public final class KafkaSecretsProvider implements ConfigProvider {
    static final String ENV = "env";

    private final Map<String, String> env;

    /** Kafka's constructor: the environment of this process. */
    public KafkaSecretsProvider() {
        this(System.getenv());
    }

    KafkaSecretsProvider(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public void configure(Map<String, ?> configs) {}

    @Override
    public ConfigData get(String path) {
        throw new ConfigException("the '" + KafkaSecurity.PROVIDER + "' config provider resolves named settings only");
    }

    @Override
    public ConfigData get(String path, Set<String> keys) {
        Map<String, String> data = new HashMap<>();
        if (ENV.equals(path)) {
            for (String name : keys) {
                if (!name.startsWith(KafkaSecurity.ENV_PREFIX)) {
                    throw new ConfigException("the '" + KafkaSecurity.PROVIDER + "' config provider reads "
                            + KafkaSecurity.ENV_PREFIX + "* variables only, not " + name);
                }
                String value = env.get(name);
                if (value == null) {
                    throw new ConfigException(
                            "environment variable " + name + " is not set in this process (" + where()
                                    + "): Kafka settings from VETO_KAFKA_* variables must be set where the job is submitted, on the JobManager and on every TaskManager");
                }
                data.put(name, value);
            }
        } else {
            Properties file;
            try {
                file = KafkaSecurity.read(Path.of(path));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(
                        e.getMessage() + " (in " + where()
                                + "): the Kafka properties file must be at the same path where the job is submitted, on the JobManager and on every TaskManager");
            }
            for (String key : keys) {
                String value = file.getProperty(key);
                if (value == null) {
                    throw new ConfigException(
                            "Kafka properties file " + path + " in " + where() + " has no '" + key + "'");
                }
                data.put(key, value);
            }
        }
        return new ConfigData(data);
    }

    private static String where() {
        String host = System.getenv("HOSTNAME");
        return "pid " + ProcessHandle.current().pid() + (host == null ? "" : " on " + host);
    }

    @Override
    public void close() {}
}
