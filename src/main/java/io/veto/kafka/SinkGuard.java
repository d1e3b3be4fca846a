package io.veto.kafka;

import io.veto.event.PanMasker;
import java.io.Serializable;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.metrics.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the DLQ and alert serializers do with a record they cannot write: count it in a metric and
 * log it masked, then drop it. Thrown from a serializer, or sent to the producer too large, it would
 * fail the sink and restart the job on the same record, forever; a DLQ record is already the end of
 * the line, and an alert is also in its payment's decision.
 */
final class SinkGuard implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SinkGuard.class);
    /**
     * Largest record handed to the producer: under its default {@code max.request.size} (1 MiB)
     * and the broker's {@code message.max.bytes} (1 MiB + 12), with room for the record's headers.
     */
    static final int MAX_RECORD_BYTES = 900 * 1024;

    private final String metric;
    private transient Counter failures;

    SinkGuard(String metric) {
        this.metric = metric;
    }

    void open(SerializationSchema.InitializationContext context) {
        failures = context.getMetricGroup().counter(metric);
    }

    /** Whether a record of this size may go to the producer; counts and logs one that may not. */
    boolean fits(String what, byte[] key, byte[] value) {
        int size = (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
        if (size <= MAX_RECORD_BYTES) {
            return true;
        }
        dropped(what, "it is " + size + " bytes, the limit is " + MAX_RECORD_BYTES, null);
        return false;
    }

    void dropped(String what, String why, RuntimeException e) {
        if (failures != null) {
            failures.inc();
        }
        if (e == null) {
            LOG.error("dropped {}: {} ({} counts these)", PanMasker.mask(what), PanMasker.mask(why), metric);
        } else {
            LOG.error(
                    "dropped {}: {} ({} counts these)",
                    PanMasker.mask(what),
                    PanMasker.mask(why),
                    metric,
                    PanMasker.masked(e));
        }
    }
}
