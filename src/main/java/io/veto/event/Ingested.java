package io.veto.event;

/**
 * What the source emits for each Kafka record: either a valid event or the DLQ record explaining
 * why it is not one (exactly one of the two is set). Parsing in the source lets watermarks follow
 * each partition's event time.
 */
public record Ingested(PaymentEvent event, DlqRecord rejected) {
    public static Ingested of(PaymentEvent event) {
        return new Ingested(event, null);
    }

    public static Ingested rejected(DlqRecord dlq) {
        return new Ingested(null, dlq);
    }
}
