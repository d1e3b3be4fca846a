package io.veto.feature;

import io.veto.event.EventType;
import io.veto.event.PaymentEvent;
import java.math.BigDecimal;
import java.time.Instant;

/** Payment events with just the fields window tests vary. */
final class TestEvents {
    /** A whole UTC hour, so that hour-granular edges are easy to place. */
    static final long T0 = Instant.parse("2026-11-28T12:00:00Z").toEpochMilli();

    static final long SECOND = 1000L;
    static final long MINUTE = 60 * SECOND;
    static final long HOUR = 60 * MINUTE;
    static final long DAY = 24 * HOUR;

    private TestEvents() {}

    static PaymentEvent payment(long time, String amount) {
        return event(EventType.PAYMENT, "p-" + time + "-" + amount, time, amount, "card-1", "m-1", "dev-1", "DE");
    }

    static PaymentEvent payment(long time, String amount, String country) {
        return event(EventType.PAYMENT, "p-" + time + "-" + amount, time, amount, "card-1", "m-1", "dev-1", country);
    }

    static PaymentEvent feedback(EventType type, String paymentId, long time) {
        return event(type, paymentId, time, "1.00", "card-1", "m-1", "dev-1", "DE");
    }

    static PaymentEvent event(
            EventType type,
            String paymentId,
            long time,
            String amount,
            String card,
            String merchant,
            String device,
            String country) {
        return new PaymentEvent(
                "evt-" + type + "-" + paymentId + "-" + time,
                type,
                paymentId,
                time,
                card,
                card == null ? null : "411111",
                "1111",
                "cust-" + card,
                merchant,
                "5411",
                merchant == null ? null : "t-" + merchant,
                new BigDecimal(amount),
                "EUR",
                country,
                "10.0.0.1",
                device,
                "ECOM",
                null,
                null,
                "test/0/0");
    }
}
