package io.veto.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.veto.decision.Decision;
import io.veto.decision.Outcome;
import io.veto.event.PanKeySupplier;
import io.veto.generator.BadRecords;
import io.veto.generator.GeneratedEvent;
import io.veto.generator.GeneratorConfig;
import io.veto.generator.PaymentGenerator;
import io.veto.kafka.DecisionJson;
import io.veto.kafka.KafkaBrokerExtension;
import io.veto.rule.RuleSet;
import io.veto.testing.JobTestSupport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole job on a MiniCluster at parallelism 2 against a real Kafka broker: generated payments
 * with raw PANs and labelled fraud, mixed with every kind of malformed record, go in; exactly one
 * decision per payment and one DLQ record per bad record come out, and no card number anywhere.
 */
class VetoPipelineITCase {
    private static final byte[] TEST_KEY = "integration-test-key-0123456789".getBytes(StandardCharsets.UTF_8);
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster();

    @Test
    void shouldDecideEveryValidPaymentExactlyOnceAndParkEveryBadRecord() throws Exception {
        JobOptions o = JobTestSupport.freshOptions(KAFKA);

        // Given: 3,000 generated events, and every kind of malformed record twice, interleaved.
        PaymentGenerator generator = new PaymentGenerator(
                GeneratorConfig.defaults().withSeed(42).withCards(300).withFraudRate(0.05));
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        Set<String> paymentIds = new HashSet<>();
        Set<String> pans = new HashSet<>();
        Map<String, String> labels = new HashMap<>();
        for (int i = 0; i < 3_000; i++) {
            GeneratedEvent e = generator.next();
            records.add(new ProducerRecord<>(o.paymentsTopic, e.key().getBytes(StandardCharsets.UTF_8), e.json()));
            JsonNode n = JSON.readTree(e.json());
            if (n.hasNonNull("pan")) {
                pans.add(n.get("pan").asText());
            }
            if (e.type().equals(GeneratedEvent.PAYMENT)) {
                paymentIds.add(e.paymentId());
                if (e.fraudLabel() != null) {
                    labels.put(e.paymentId(), e.fraudLabel());
                }
            }
        }
        List<BadRecords.Sample> bad = new ArrayList<>();
        Random random = new Random(7);
        for (int round = 0; round < 2; round++) {
            bad.addAll(BadRecords.malformedSamples(random));
        }
        for (BadRecords.Sample s : bad) {
            records.add(random.nextInt(records.size()), new ProducerRecord<>(o.paymentsTopic, null, s.payload()));
            if (s.rawPan() != null) {
                pans.add(s.rawPan());
            }
        }
        KAFKA.produce(o.paymentsTopic, records);

        // When: the job reads the topic to its current end (bounded), decides and stops.
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(VetoJob.flinkConfiguration(o));
        VetoJob.configure(env, o);
        PanKeySupplier keys = () -> TEST_KEY.clone();
        RuleSet rules = RuleSet.fromDirectory(Path.of("rules/default"));
        VetoPipeline.build(
                env,
                VetoJob.kafkaIo(
                        o,
                        KafkaConnectors.paymentsSourceBuilder(o, keys)
                                .setStartingOffsets(OffsetsInitializer.earliest())
                                .setBounded(OffsetsInitializer.latest())
                                .build(),
                        KafkaConnectors.rulesSourceBuilder(o)
                                .setBounded(OffsetsInitializer.latest())
                                .build()),
                rules,
                o);
        env.execute("veto-itcase");

        // Then: exactly one decision per valid payment, none lost, none duplicated.
        List<ConsumerRecord<byte[], byte[]>> decisionRecords = KAFKA.drainAll(o.decisionsTopic, Duration.ofSeconds(2));
        List<Decision> decisions =
                decisionRecords.stream().map(r -> DecisionJson.read(r.value())).toList();
        assertThat(decisions).extracting(Decision::paymentId).doesNotHaveDuplicates();
        assertThat(decisions.stream().map(Decision::paymentId).collect(Collectors.toSet()))
                .isEqualTo(paymentIds);
        assertThat(decisionRecords)
                .allSatisfy(r -> assertThat(new String(r.key(), StandardCharsets.UTF_8))
                        .isEqualTo(DecisionJson.read(r.value()).paymentId()));
        assertThat(decisions).extracting(Decision::ruleSetVersion).containsOnly(rules.version());
        assertThat(decisions)
                .filteredOn(d -> d.decision() != Outcome.APPROVE)
                .allSatisfy(d -> assertThat(d.reasons()).isNotEmpty());
        assertThat(decisions)
                .filteredOn(d -> labels.containsKey(d.paymentId()) && d.decision() != Outcome.APPROVE)
                .isNotEmpty();

        // Each bad record is in the DLQ with its reason and where it came from.
        List<JsonNode> dlq = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : KAFKA.drainAll(o.dlqTopic, Duration.ofSeconds(2))) {
            dlq.add(JSON.readTree(r.value()));
        }
        assertThat(dlq).hasSize(bad.size());
        assertThat(dlq).allSatisfy(n -> {
            assertThat(n.get("sourceTopic").asText()).isEqualTo(o.paymentsTopic);
            assertThat(n.get("sourceOffset").asLong()).isNotNegative();
            assertThat(n.get("error").asText()).isNotBlank();
        });
        Map<String, Long> expectedReasons =
                bad.stream().collect(Collectors.groupingBy(BadRecords.Sample::expectedReason, Collectors.counting()));
        expectedReasons.forEach((reason, count) -> assertThat(dlq.stream()
                        .filter(n -> n.get("error").asText().toLowerCase().contains(reason.toLowerCase()))
                        .count())
                .as("DLQ records whose error mentions '%s'", reason)
                .isGreaterThanOrEqualTo(count));

        // No raw card number in any output topic.
        assertThat(pans).isNotEmpty();
        for (String topic : List.of(o.decisionsTopic, o.dlqTopic)) {
            for (ConsumerRecord<byte[], byte[]> r : KAFKA.drainAll(topic, Duration.ofSeconds(1))) {
                String text = new String(r.value(), StandardCharsets.UTF_8)
                        + (r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8));
                for (String pan : pans) {
                    assertThat(text).as("record in %s", topic).doesNotContain(pan);
                }
            }
        }
    }
}
