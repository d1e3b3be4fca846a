package io.veto.kafka;

import io.veto.event.DlqRecord;
import io.veto.event.EventParser;
import io.veto.event.Ingested;
import io.veto.event.InvalidEventException;
import io.veto.event.PanKey;
import io.veto.event.PanMasker;
import io.veto.event.PanPolicy;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads payments-topic records into events. Never throws for bad input: anything that is not a
 * valid event becomes a DLQ record with the reason, masked payload and source coordinates, so no
 * record can restart the job. A missing PAN key fails here at task start, before any record.
 */
public final class PaymentsDeserializer implements KafkaRecordDeserializationSchema<Ingested> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(PaymentsDeserializer.class);
    /** DLQ payloads are cut to this many characters (under Kafka's 1 MB default); the source offset finds the rest. */
    static final int MAX_DLQ_PAYLOAD_CHARS = 512 * 1024;

    private final PanPolicy panPolicy;
    private final PanKeySupplier keySupplier;
    private final int maxRecordBytes;
    private transient EventParser parser;

    public PaymentsDeserializer(PanPolicy panPolicy, PanKeySupplier keySupplier, int maxRecordBytes) {
        this.panPolicy = panPolicy;
        this.keySupplier = keySupplier;
        this.maxRecordBytes = maxRecordBytes;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        byte[] key = panPolicy == PanPolicy.TOKENIZE ? keySupplier.get() : null;
        if (panPolicy == PanPolicy.TOKENIZE && key == null) {
            throw new IllegalStateException(PanKey.missingMessage());
        }
        parser = new EventParser(panPolicy, key, maxRecordBytes);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Ingested> out) {
        String source = record.topic() + "/" + record.partition() + "/" + record.offset();
        try {
            out.collect(Ingested.of(parser.parse(record.value(), source)));
        } catch (InvalidEventException e) {
            out.collect(Ingested.rejected(dlq(record, e.getMessage())));
        } catch (RuntimeException e) {
            // A parser bug must not turn into a restart loop on one record: park it with the cause.
            LOG.error("unexpected error parsing {}", source, e);
            out.collect(Ingested.rejected(dlq(record, "internal error: " + PanMasker.mask(String.valueOf(e)))));
        }
    }

    private static DlqRecord dlq(ConsumerRecord<byte[], byte[]> record, String error) {
        byte[] v = record.value();
        // Mask before cutting: a cut could leave part of a card number that no longer looks like one.
        String payload = v == null ? "" : PanMasker.mask(new String(v, StandardCharsets.UTF_8));
        if (payload.length() > MAX_DLQ_PAYLOAD_CHARS) {
            payload = payload.substring(0, MAX_DLQ_PAYLOAD_CHARS);
        }
        return new DlqRecord(
                record.topic(),
                record.partition(),
                record.offset(),
                record.timestamp(),
                error,
                payload,
                System.currentTimeMillis());
    }

    @Override
    public TypeInformation<Ingested> getProducedType() {
        return TypeInformation.of(Ingested.class);
    }
}
