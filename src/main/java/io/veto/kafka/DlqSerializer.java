package io.veto.kafka;

import io.veto.decision.DecisionJson;
import io.veto.event.DlqRecord;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Writes a rejected record to the DLQ topic, keyed by its source coordinates. */
public final class DlqSerializer implements KafkaRecordSerializationSchema<DlqRecord> {
    private static final long serialVersionUID = 1L;
    private final String topic;

    public DlqSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DlqRecord r, KafkaSinkContext context, Long timestamp) {
        byte[] key = (r.sourceTopic() + "/" + r.sourcePartition() + "/" + r.sourceOffset()).getBytes(StandardCharsets.UTF_8);
        return new ProducerRecord<>(topic, null, null, key, DecisionJson.write(r));
    }
}
