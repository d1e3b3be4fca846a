package io.veto.local;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.veto.kafka.KafkaBrokerExtension;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class EmbeddedKafkaBrokerTest {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void shouldDeliverEveryProducedRecord() {
        String topic = KAFKA.newTopic("payments", 3);
        List<ProducerRecord<byte[], byte[]>> records = IntStream.range(0, 1_000)
                .mapToObj(i -> record(topic, "card-" + (i % 37), "payment-" + i))
                .toList();

        KAFKA.produce(topic, records);
        List<ConsumerRecord<byte[], byte[]>> drained = KAFKA.drain(topic, 1_000, TIMEOUT);

        assertThat(drained).hasSize(1_000);
        assertThat(drained)
                .extracting(r -> new String(r.value(), UTF_8))
                .containsExactlyInAnyOrderElementsOf(
                        IntStream.range(0, 1_000).mapToObj(i -> "payment-" + i).toList());
        assertThat(drained).allSatisfy(r -> {
            int i = Integer.parseInt(new String(r.value(), UTF_8).substring("payment-".length()));
            assertThat(new String(r.key(), UTF_8)).isEqualTo("card-" + (i % 37));
        });
        assertThat(drained).extracting(ConsumerRecord::partition).containsOnly(0, 1, 2);
        // Kafka keeps order per partition: the records of one key arrive in the order they were sent.
        Map<String, List<Integer>> sequenceByKey = drained.stream()
                .collect(Collectors.groupingBy(
                        r -> new String(r.key(), UTF_8),
                        Collectors.mapping(
                                r -> Integer.parseInt(new String(r.value(), UTF_8).substring(8)),
                                Collectors.toList())));
        assertThat(sequenceByKey.values())
                .allSatisfy(sequence -> assertThat(sequence).isSorted());
    }

    @Test
    void shouldHideAbortedTransactionalRecordsFromReadCommittedConsumers() {
        String topic = KAFKA.newTopic("decisions", 3);
        Properties props = KAFKA.broker().clientProperties();
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "veto-test-" + topic);
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();

            producer.beginTransaction();
            for (int i = 0; i < 50; i++) {
                producer.send(record(topic, "k" + i, "aborted-" + i));
            }
            producer.flush();
            producer.abortTransaction();

            producer.beginTransaction();
            for (int i = 0; i < 50; i++) {
                producer.send(record(topic, "k" + i, "committed-" + i));
            }
            producer.commitTransaction();
        }

        List<ConsumerRecord<byte[], byte[]>> committed = KAFKA.drain(topic, 50, TIMEOUT, true);
        List<ConsumerRecord<byte[], byte[]>> everything = KAFKA.drainAll(topic, Duration.ofSeconds(5));

        assertThat(committed)
                .extracting(r -> new String(r.value(), UTF_8))
                .hasSize(50)
                .allMatch(v -> v.startsWith("committed-"));
        // The aborted records really were written: only the isolation level hides them.
        assertThat(everything)
                .extracting(r -> new String(r.value(), UTF_8))
                .hasSize(100)
                .filteredOn(v -> v.startsWith("aborted-"))
                .hasSize(50);
        assertThat(KAFKA.drainAll(topic, Duration.ofSeconds(5), true)).hasSize(50);
    }

    @Test
    void shouldReturnWhatArrivedWhenDrainTimesOut() {
        String topic = KAFKA.newTopic("short", 1);
        KAFKA.produce(topic, List.of(record(topic, "a", "1"), record(topic, "b", "2"), record(topic, "c", "3")));

        long start = System.nanoTime();
        List<ConsumerRecord<byte[], byte[]>> drained = KAFKA.drain(topic, 10, Duration.ofSeconds(1));

        assertThat(drained).hasSize(3);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void shouldTreatCreatingAnExistingTopicAsNoOpAndApplyTopicConfigs() throws Exception {
        EmbeddedKafkaBroker broker = KAFKA.broker();
        broker.createTopic("card-profiles", 2, Map.of("cleanup.policy", "compact"));
        broker.createTopics(5, "card-profiles", "alerts");
        broker.createTopics(1, "alerts");

        try (Admin admin = Admin.create(broker.clientProperties())) {
            assertThat(admin.describeTopics(List.of("card-profiles", "alerts"))
                            .allTopicNames()
                            .get())
                    .extractingFromEntries(
                            e -> e.getKey() + "=" + e.getValue().partitions().size())
                    .containsExactlyInAnyOrder("card-profiles=2", "alerts=5");
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "card-profiles");
            Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
        }
    }

    @Test
    void shouldReleaseItsPortWhenClosedAndTolerateRepeatedClose() throws IOException {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start();
        int port = broker.port();
        assertThat(broker.bootstrapServers()).isEqualTo("127.0.0.1:" + port);
        assertThat(broker.clientProperties()).containsEntry("bootstrap.servers", "127.0.0.1:" + port);

        broker.close();
        assertThatCode(broker::close).doesNotThrowAnyException();

        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
            assertThat(socket.getLocalPort()).isEqualTo(port);
        }
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String key, String value) {
        return new ProducerRecord<>(topic, key.getBytes(UTF_8), value.getBytes(UTF_8));
    }
}
