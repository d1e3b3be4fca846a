package io.veto.event;

import java.math.BigDecimal;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * One event from the payments topic after validation and card tokenization. It never holds a raw
 * card number: {@code cardToken} is the keyed HMAC token (or the upstream token), with the BIN and
 * last four digits kept for rules and explanations.
 *
 * <p>{@code amount} is exact (decimal); {@code amountMicros} is the same amount as a fixed-point
 * long with four decimals, which window state stores compactly and sums exactly.
 *
 * <p>Flink serializes it with {@link PaymentEventSerializer}.
 */
@TypeInfo(PaymentEventSerializer.Factory.class)
public record PaymentEvent(
        String eventId,
        EventType type,
        String paymentId,
        long eventTime,
        String cardToken,
        String bin,
        String last4,
        String customerId,
        String merchantId,
        String mcc,
        String terminalId,
        BigDecimal amount,
        String currency,
        String country,
        String ip,
        String deviceId,
        String channel,
        Double lat,
        Double lon,
        String source) {

    /** Scale of {@link #amountFixed(BigDecimal)}: four decimals hold every ISO 4217 currency. */
    public static final int AMOUNT_SCALE = 4;

    public boolean needsDecision() {
        return type == EventType.PAYMENT;
    }

    /** The amount as a fixed-point long with {@link #AMOUNT_SCALE} decimals; 0 when absent. */
    public long amountFixed() {
        return amountFixed(amount);
    }

    public static long amountFixed(BigDecimal amount) {
        return amount == null ? 0L : amount.movePointRight(AMOUNT_SCALE).longValueExact();
    }

    public static BigDecimal fromFixed(long fixed) {
        return BigDecimal.valueOf(fixed, AMOUNT_SCALE).stripTrailingZeros();
    }
}
