package io.veto.kafka;

import io.veto.decision.Decision;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Writes a decision to the decisions topic, keyed by paymentId so a payment's retries compact, stamped with its decision time. */
public final class DecisionSerializer implements KafkaRecordSerializationSchema<Decision> {
    private static final long serialVersionUID = 1L;
    private final String topic;

    public DecisionSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Decision d, KafkaSinkContext context, Long timestamp) {
        // The record time is when Veto decided, not the payment's event time: a catch-up or backtest
        // over old payments must not write decisions that the topic's time retention deletes at once.
        return new ProducerRecord<>(
                topic, null, d.decidedAt(), d.paymentId().getBytes(StandardCharsets.UTF_8), DecisionJson.write(d));
    }
}
