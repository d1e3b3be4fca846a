package io.veto.kafka;

import io.veto.event.DlqRecord;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a rejected record to the DLQ topic, keyed by its source coordinates. A record that cannot
 * be written (it cannot happen with {@link DlqRecord#of}'s cap, but a bug must not restart the job
 * on it forever) is counted in {@value #FAILURES}, logged masked and dropped.
 */
public final class DlqSerializer implements KafkaRecordSerializationSchema<DlqRecord> {
    private static final long serialVersionUID = 1L;
    public static final String FAILURES = "dlq_write_failures";
    private final String topic;
    private final SinkGuard guard = new SinkGuard(FAILURES);

    public DlqSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        guard.open(context);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DlqRecord r, KafkaSinkContext context, Long timestamp) {
        String where = r.sourceTopic() + "/" + r.sourcePartition() + "/" + r.sourceOffset();
        try {
            byte[] key = where.getBytes(StandardCharsets.UTF_8);
            byte[] value = DecisionJson.write(r);
            return guard.fits("the DLQ record of " + where, key, value)
                    ? new ProducerRecord<>(topic, null, null, key, value)
                    : null;
        } catch (RuntimeException e) {
            guard.dropped("the DLQ record of " + where, "it could not be written", e);
            return null;
        }
    }
}
