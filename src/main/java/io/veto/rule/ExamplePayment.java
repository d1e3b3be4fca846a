package io.veto.rule;

import io.veto.event.EventType;
import java.math.BigDecimal;

/**
 * One payment of an {@link Example}, with the defaults filled in.
 *
 * @param time event time in epoch milliseconds
 * @param line where the analyst wrote it (a repeated payment shares the line)
 * @param type PAYMENT, or another event a sequence rule reads (a REFUND refers to the payment before it)
 * @param lat where a card-present payment happened, or null
 */
public record ExamplePayment(
        long time,
        BigDecimal amount,
        String currency,
        String mcc,
        String country,
        String channel,
        String merchant,
        String customer,
        String terminal,
        String device,
        String ip,
        String card,
        int line,
        EventType type,
        Double lat,
        Double lon) {

    /** A payment (the kind examples mostly have), without a location. */
    public ExamplePayment(
            long time,
            BigDecimal amount,
            String currency,
            String mcc,
            String country,
            String channel,
            String merchant,
            String customer,
            String terminal,
            String device,
            String ip,
            String card,
            int line) {
        this(
                time,
                amount,
                currency,
                mcc,
                country,
                channel,
                merchant,
                customer,
                terminal,
                device,
                ip,
                card,
                line,
                EventType.PAYMENT,
                null,
                null);
    }
}
