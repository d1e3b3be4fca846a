package io.veto.kafka;

import io.veto.card.RuleSetUpdate;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Passes each rules-topic record on as it is; the decision operator decodes and checks it. */
public final class RuleUpdatesDeserializer implements KafkaRecordDeserializationSchema<RuleSetUpdate> {
    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RuleSetUpdate> out) {
        if (record.value() != null) {
            out.collect(new RuleSetUpdate(record.value(), record.topic() + "/" + record.partition() + "/" + record.offset()));
        }
    }

    @Override
    public TypeInformation<RuleSetUpdate> getProducedType() {
        return TypeInformation.of(RuleSetUpdate.class);
    }
}
