package io.veto.kafka;

import io.veto.event.DlqRecord;
import io.veto.event.EventParser;
import io.veto.event.Ingested;
import io.veto.event.InvalidEventException;
import io.veto.event.PanKey;
import io.veto.event.PanKeySupplier;
import io.veto.event.PanMasker;
import io.veto.event.PanPolicy;
import java.time.Duration;
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
    private final PanPolicy panPolicy;
    private final PanKeySupplier keySupplier;
    private final int maxRecordBytes;
    private final Duration maxFutureSkew;
    private transient EventParser parser;

    public PaymentsDeserializer(PanPolicy panPolicy, PanKeySupplier keySupplier, int maxRecordBytes) {
        this(panPolicy, keySupplier, maxRecordBytes, EventParser.DEFAULT_MAX_FUTURE_SKEW);
    }

    public PaymentsDeserializer(
            PanPolicy panPolicy, PanKeySupplier keySupplier, int maxRecordBytes, Duration maxFutureSkew) {
        this.panPolicy = panPolicy;
        this.keySupplier = keySupplier;
        this.maxRecordBytes = maxRecordBytes;
        this.maxFutureSkew = maxFutureSkew;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        byte[] key = panPolicy == PanPolicy.TOKENIZE ? keySupplier.get() : null;
        if (panPolicy == PanPolicy.TOKENIZE && key == null) {
            throw new IllegalStateException(PanKey.missingMessage());
        }
        parser = new EventParser(panPolicy, key, maxRecordBytes, maxFutureSkew);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Ingested> out) {
        String source = record.topic() + "/" + record.partition() + "/" + record.offset();
        try {
            out.collect(Ingested.of(parser.parse(record.value(), source, record.timestamp())));
        } catch (InvalidEventException e) {
            out.collect(Ingested.rejected(dlq(record, e.getMessage())));
        } catch (RuntimeException e) {
            // A parser bug must not turn into a restart loop on one record: park it with the cause.
            LOG.error("unexpected error parsing {}", source, PanMasker.masked(e));
            out.collect(Ingested.rejected(dlq(record, "internal error: " + PanMasker.mask(String.valueOf(e)))));
        }
    }

    private static DlqRecord dlq(ConsumerRecord<byte[], byte[]> record, String error) {
        return DlqRecord.of(
                record.topic(),
                record.partition(),
                record.offset(),
                record.timestamp(),
                error,
                record.value(),
                System.currentTimeMillis());
    }

    @Override
    public TypeInformation<Ingested> getProducedType() {
        return TypeInformation.of(Ingested.class);
    }
}
