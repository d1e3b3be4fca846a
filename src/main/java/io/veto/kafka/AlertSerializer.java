package io.veto.kafka;

import io.veto.sequence.Alert;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes an entity alert to the alerts topic, keyed by the entity ({@code card:<token>}), stamped
 * with when it was raised. One that cannot be written is counted in {@value #FAILURES}, logged
 * masked and dropped (its match is also in the payment's decision), never a restart.
 */
public final class AlertSerializer implements KafkaRecordSerializationSchema<Alert> {
    private static final long serialVersionUID = 1L;
    public static final String FAILURES = "alert_write_failures";
    private final String topic;
    private final SinkGuard guard = new SinkGuard(FAILURES);

    public AlertSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        guard.open(context);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Alert a, KafkaSinkContext context, Long timestamp) {
        try {
            byte[] key = (a.entity() + ":" + a.entityKey()).getBytes(StandardCharsets.UTF_8);
            byte[] value = DecisionJson.write(a);
            return guard.fits("an alert of " + a.entity(), key, value)
                    ? new ProducerRecord<>(topic, null, a.detectedAt(), key, value)
                    : null;
        } catch (RuntimeException e) {
            guard.dropped("an alert of " + a.entity(), "it could not be written", e);
            return null;
        }
    }
}
