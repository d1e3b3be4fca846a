package io.veto.kafka;

import io.veto.decision.DecisionJson;
import io.veto.sequence.Alert;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Writes an entity alert to the alerts topic, keyed by the entity ({@code card:<token>}), stamped with when it was raised. */
public final class AlertSerializer implements KafkaRecordSerializationSchema<Alert> {
    private static final long serialVersionUID = 1L;
    private final String topic;

    public AlertSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Alert a, KafkaSinkContext context, Long timestamp) {
        byte[] key = (a.entity() + ":" + a.entityKey()).getBytes(StandardCharsets.UTF_8);
        return new ProducerRecord<>(topic, null, a.detectedAt(), key, DecisionJson.write(a));
    }
}
