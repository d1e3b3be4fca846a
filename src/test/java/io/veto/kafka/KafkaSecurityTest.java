package io.veto.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaSecurityTest {
    private static final String JAAS =
            "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"veto\" password=\"s3cret-pw\";";

    @TempDir
    Path dir;

    private Path file(String text) throws IOException {
        Path f = dir.resolve("kafka-client.properties");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void shouldMapEachVetoKafkaVariableToItsPropertyAsAReferenceNeverAValue() {
        Map<String, String> env = Map.of(
                "VETO_KAFKA_SASL_JAAS_CONFIG", JAAS,
                "VETO_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "VETO_KAFKA_SSL_TRUSTSTORE_PASSWORD", "trust-pw",
                "VETO_PAN_KEY", "not-a-kafka-setting",
                "PATH", "/usr/bin");

        Properties p = KafkaSecurity.references(null, env);

        assertThat(p.getProperty("sasl.jaas.config")).isEqualTo("${veto:env:VETO_KAFKA_SASL_JAAS_CONFIG}");
        assertThat(p.getProperty("security.protocol")).isEqualTo("${veto:env:VETO_KAFKA_SECURITY_PROTOCOL}");
        assertThat(p.getProperty("ssl.truststore.password"))
                .isEqualTo("${veto:env:VETO_KAFKA_SSL_TRUSTSTORE_PASSWORD}");
        assertThat(p.getProperty("config.providers")).isEqualTo("veto");
        assertThat(p.getProperty("config.providers.veto.class")).isEqualTo(KafkaSecretsProvider.class.getName());
        assertThat(p).hasSize(5);
        assertThat(p.toString()).doesNotContain("s3cret-pw", "trust-pw", "SASL_SSL");
    }

    @Test
    void shouldNameVariablesAfterPropertiesAndBack() {
        assertThat(KafkaSecurity.propertyName("VETO_KAFKA_SASL_JAAS_CONFIG")).isEqualTo("sasl.jaas.config");
        assertThat(KafkaSecurity.propertyName("VETO_KAFKA_SSL_KEYSTORE_LOCATION"))
                .isEqualTo("ssl.keystore.location");
        assertThat(KafkaSecurity.envName("sasl.oauthbearer.token.endpoint.url"))
                .isEqualTo("VETO_KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL");
    }

    @Test
    void shouldReferenceEverySettingOfTheFileByItsAbsolutePath() throws IOException {
        Path f = file("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config="
                + JAAS.replace("\"", "\\\"") + "\n");

        Properties p = KafkaSecurity.references(f, Map.of());

        String path = f.toAbsolutePath().toString();
        assertThat(p.getProperty("security.protocol")).isEqualTo("${veto:" + path + ":security.protocol}");
        assertThat(p.getProperty("sasl.mechanism")).isEqualTo("${veto:" + path + ":sasl.mechanism}");
        assertThat(p.getProperty("sasl.jaas.config")).isEqualTo("${veto:" + path + ":sasl.jaas.config}");
        assertThat(p.toString()).doesNotContain("s3cret-pw", "PLAIN\"");
    }

    @Test
    void shouldTakeTheFileFromTheEnvironmentWhenNoOptionNamesOneAndLetVariablesWin() throws IOException {
        Path f = file("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n");
        Map<String, String> env =
                Map.of("VETO_KAFKA_PROPERTIES_FILE", f.toString(), "VETO_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512");

        Properties p = KafkaSecurity.references(null, env);

        assertThat(p.getProperty("security.protocol"))
                .isEqualTo("${veto:" + f.toAbsolutePath() + ":security.protocol}");
        assertThat(p.getProperty("sasl.mechanism")).isEqualTo("${veto:env:VETO_KAFKA_SASL_MECHANISM}");
        assertThat(p.getProperty("properties.file"))
                .as("the file variable is no setting")
                .isNull();
    }

    @Test
    void shouldPreferTheOptionsFileOverTheEnvironmentsFile() throws IOException {
        Path option = file("ssl.truststore.type=PEM\n");
        Path other = dir.resolve("other.properties");
        Files.writeString(other, "ssl.truststore.type=JKS\nsecurity.protocol=SSL\n");

        Properties p = KafkaSecurity.references(option, Map.of("VETO_KAFKA_PROPERTIES_FILE", other.toString()));

        assertThat(p.getProperty("ssl.truststore.type"))
                .contains(option.toAbsolutePath().toString());
        assertThat(p.getProperty("security.protocol")).isNull();
    }

    @Test
    void shouldAddNothingWithoutSettings() {
        assertThat(KafkaSecurity.references(null, Map.of("PATH", "/usr/bin", "VETO_PAN_KEY_FILE", "/k")))
                .isEmpty();
    }

    @Test
    void shouldRejectSettingsThatAreNotAboutSecurity() throws IOException {
        Path f = file("security.protocol=SSL\nbootstrap.servers=elsewhere:9092\n");
        assertThatThrownBy(() -> KafkaSecurity.references(f, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'bootstrap.servers'")
                .hasMessageContaining(f.toAbsolutePath().toString());
        assertThatThrownBy(
                        () -> KafkaSecurity.references(null, Map.of("VETO_KAFKA_ISOLATION_LEVEL", "read_uncommitted")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'isolation.level'")
                .hasMessageContaining("VETO_KAFKA_ISOLATION_LEVEL");
    }

    @Test
    void shouldFailOnAFileThatCannotBeRead() {
        assertThatThrownBy(() -> KafkaSecurity.references(dir.resolve("missing.properties"), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("missing.properties");
    }

    @Test
    void shouldBeResolvedByKafkasOwnClientConfiguration() throws IOException {
        Path f = file("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config="
                + JAAS.replace("\"", "\\\"") + "\n");
        Properties p = KafkaSecurity.references(f, Map.of());
        p.setProperty("bootstrap.servers", "127.0.0.1:9");

        // What a KafkaProducer (or consumer, or admin client) does with its properties when it is created.
        ProducerConfig config = new ProducerConfig(withSerializers(p));

        assertThat(config.getString("security.protocol")).isEqualTo("SASL_PLAINTEXT");
        assertThat(config.getString("sasl.mechanism")).isEqualTo("PLAIN");
        assertThat(config.getPassword("sasl.jaas.config").value()).isEqualTo(JAAS);
    }

    @Test
    void shouldFailNamingTheMissingVariableOrFileWhereTheClientIsCreated() throws IOException {
        KafkaSecretsProvider empty = new KafkaSecretsProvider(Map.of());
        assertThatThrownBy(() -> empty.get("env", Set.of("VETO_KAFKA_SASL_JAAS_CONFIG")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("VETO_KAFKA_SASL_JAAS_CONFIG is not set")
                .hasMessageContaining("every TaskManager");
        assertThatThrownBy(() -> empty.get("env", Set.of("HOME")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("VETO_KAFKA_");

        Path f = file("security.protocol=SSL\n");
        Properties p = KafkaSecurity.references(f, Map.of());
        Files.delete(f);
        p.setProperty("bootstrap.servers", "127.0.0.1:9");
        assertThatThrownBy(() -> new ProducerConfig(withSerializers(p)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(f.toAbsolutePath().toString());
    }

    private static Map<String, Object> withSerializers(Properties p) {
        Map<String, Object> m = new HashMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
        m.put("key.serializer", ByteArraySerializer.class.getName());
        m.put("value.serializer", ByteArraySerializer.class.getName());
        return m;
    }
}
