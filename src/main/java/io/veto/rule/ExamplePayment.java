package io.veto.rule;

import java.math.BigDecimal;

/**
 * One payment of an {@link Example}, with the defaults filled in.
 *
 * @param time event time in epoch milliseconds
 * @param line where the analyst wrote it (a repeated payment shares the line)
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
        int line) {}
