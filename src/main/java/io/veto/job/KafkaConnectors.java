package io.veto.job;

import io.veto.decision.Decision;
import io.veto.event.DlqRecord;
import io.veto.event.Ingested;
import io.veto.event.PanKeySupplier;
import io.veto.kafka.AlertSerializer;
import io.veto.kafka.DecisionSerializer;
import io.veto.kafka.DlqSerializer;
import io.veto.kafka.KafkaSecurity;
import io.veto.kafka.PaymentsDeserializer;
import io.veto.kafka.RuleUpdatesDeserializer;
import io.veto.rule.RulesKeySupplier;
import io.veto.sequence.Alert;
import io.veto.stage.RuleSetUpdate;
import io.veto.stage.rules.RuleStatusAggregator;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Builds the Kafka source and sinks of the job from its options. */
public final class KafkaConnectors {
    private KafkaConnectors() {}

    public static KafkaSource<Ingested> paymentsSource(JobOptions o, PanKeySupplier keys) {
        return paymentsSourceBuilder(o, keys).build();
    }

    /** The payments source's builder, for callers that bound it (tests, backtests). */
    public static KafkaSourceBuilder<Ingested> paymentsSourceBuilder(JobOptions o, PanKeySupplier keys) {
        OffsetsInitializer start = switch (o.startFrom) {
            case EARLIEST -> OffsetsInitializer.earliest();
            case LATEST -> OffsetsInitializer.latest();
            case COMMITTED -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
        };
        return KafkaSource.<Ingested>builder()
                .setBootstrapServers(o.bootstrapServers)
                .setTopics(o.paymentsTopic)
                .setGroupId(o.groupId)
                .setStartingOffsets(start)
                .setProperties(KafkaSecurity.references(o.kafkaPropertiesFile))
                .setDeserializer(new PaymentsDeserializer(o.panPolicy, keys, o.maxRecordBytes, o.maxFutureSkew))
                .setProperty("fetch.max.wait.ms", "5")
                .setProperty("isolation.level", "read_committed")
                .setProperty("commit.offsets.on.checkpoint", "true");
    }

    /**
     * The rules topic, read from where the job's checkpoint left it, or from {@code --rules-start-from}
     * on a fresh start. Always at-least-once friendly: re-applying a rule set is harmless.
     */
    public static KafkaSource<RuleSetUpdate> rulesSource(JobOptions o) {
        return rulesSource(o, RulesKeySupplier.fromEnvironment());
    }

    /** The rules source, accepting rule sets signed for the key {@code keys} supplies where it runs. */
    public static KafkaSource<RuleSetUpdate> rulesSource(JobOptions o, RulesKeySupplier keys) {
        return rulesSourceBuilder(o, keys).build();
    }

    /** The rules source's builder, with the key from the TaskManager's environment. */
    public static KafkaSourceBuilder<RuleSetUpdate> rulesSourceBuilder(JobOptions o) {
        return rulesSourceBuilder(o, RulesKeySupplier.fromEnvironment());
    }

    /** The rules source's builder, for callers that bound it (tests, backtests). */
    public static KafkaSourceBuilder<RuleSetUpdate> rulesSourceBuilder(JobOptions o, RulesKeySupplier keys) {
        return KafkaSource.<RuleSetUpdate>builder()
                .setBootstrapServers(o.bootstrapServers)
                .setTopics(o.rulesTopic)
                .setGroupId(o.groupId + "-rules")
                .setStartingOffsets(
                        o.rulesStartFrom == JobOptions.StartFrom.EARLIEST
                                ? OffsetsInitializer.earliest()
                                : o.rulesStartFrom == JobOptions.StartFrom.LATEST
                                        ? OffsetsInitializer.latest()
                                        : OffsetsInitializer.committedOffsets(OffsetResetStrategy.LATEST))
                .setProperties(KafkaSecurity.references(o.kafkaPropertiesFile))
                .setDeserializer(new RuleUpdatesDeserializer(keys))
                .setProperty("isolation.level", "read_committed")
                .setProperty("partition.discovery.interval.ms", "60000");
    }

    /** Rule-set status messages: few, keyed by rule-set name, at-least-once. */
    public static KafkaSink<RuleStatusAggregator.StatusRecord> rulesStatusSink(JobOptions o) {
        return KafkaSink.<RuleStatusAggregator.StatusRecord>builder()
                .setBootstrapServers(o.bootstrapServers)
                .setRecordSerializer(new StatusSerializer(o.rulesStatusTopic))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .setKafkaProducerConfig(KafkaSecurity.references(o.kafkaPropertiesFile))
                .build();
    }

    public static KafkaSink<Decision> decisionsSink(JobOptions o) {
        return KafkaSink.<Decision>builder()
                .setBootstrapServers(o.bootstrapServers)
                .setRecordSerializer(new DecisionSerializer(o.decisionsTopic))
                .setDeliveryGuarantee(guarantee(o))
                .setTransactionalIdPrefix(o.transactionalIdPrefix)
                .setKafkaProducerConfig(producerProperties(o))
                .build();
    }

    public static KafkaSink<DlqRecord> dlqSink(JobOptions o) {
        return KafkaSink.<DlqRecord>builder()
                .setBootstrapServers(o.bootstrapServers)
                .setRecordSerializer(new DlqSerializer(o.dlqTopic))
                .setDeliveryGuarantee(guarantee(o))
                .setTransactionalIdPrefix(o.transactionalIdPrefix + "-dlq")
                .setKafkaProducerConfig(producerProperties(o))
                .build();
    }

    public static KafkaSink<Alert> alertsSink(JobOptions o) {
        return KafkaSink.<Alert>builder()
                .setBootstrapServers(o.bootstrapServers)
                .setRecordSerializer(new AlertSerializer(o.alertsTopic))
                .setDeliveryGuarantee(guarantee(o))
                .setTransactionalIdPrefix(o.transactionalIdPrefix + "-alerts")
                .setKafkaProducerConfig(producerProperties(o))
                .build();
    }

    private static DeliveryGuarantee guarantee(JobOptions o) {
        return o.delivery == JobOptions.Delivery.EXACTLY_ONCE
                ? DeliveryGuarantee.EXACTLY_ONCE
                : DeliveryGuarantee.AT_LEAST_ONCE;
    }

    /**
     * The decision and DLQ producers: idempotent, and in exactly-once mode transactional with a
     * timeout that must outlast a checkpoint plus a restart (an open transaction that times out is
     * aborted by the broker, and its decisions with it) and stay within the broker's
     * {@code transaction.max.timeout.ms} (15 minutes by default), or the producer cannot start.
     */
    public static Properties producerProperties(JobOptions o) {
        Properties p = KafkaSecurity.references(o.kafkaPropertiesFile);
        p.setProperty("linger.ms", Long.toString(o.producerLinger.toMillis()));
        p.setProperty("acks", "all");
        p.setProperty("enable.idempotence", "true");
        p.setProperty("compression.type", "lz4");
        p.setProperty("transaction.timeout.ms", Long.toString(o.transactionTimeout.toMillis()));
        return p;
    }

    private static final class StatusSerializer
            implements KafkaRecordSerializationSchema<RuleStatusAggregator.StatusRecord> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        StatusSerializer(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(
                RuleStatusAggregator.StatusRecord r, KafkaSinkContext ctx, Long ts) {
            return new ProducerRecord<>(topic, r.name().getBytes(StandardCharsets.UTF_8), r.json());
        }
    }
}
