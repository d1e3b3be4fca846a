package io.veto.rule;

import dev.cel.common.types.CelType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.runtime.CelVariableResolver;
import io.veto.event.PaymentEvent;
import io.veto.feature.Entity;
import io.veto.feature.FeatureValues;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The names a rule condition can use, their CEL types, and how each is read from a payment. Text
 * fields a payment lacks read as {@code ""}; numbers as 0. Amounts are doubles inside conditions
 * (CEL has no decimal type); the decision itself keeps the exact amount.
 */
public final class PaymentVariables implements CelVariableResolver {

    /** Payment fields, in the order the README documents them. */
    public static final Map<String, CelType> FIELDS = fields();

    /** Entity maps holding window features: {@code card.count_10m}. */
    public static final CelType FEATURE_MAP = MapType.create(SimpleType.STRING, SimpleType.DOUBLE);

    private PaymentEvent payment;
    private FeatureValues features;

    private static Map<String, CelType> fields() {
        Map<String, CelType> m = new LinkedHashMap<>();
        m.put("amount", SimpleType.DOUBLE);
        m.put("currency", SimpleType.STRING);
        m.put("country", SimpleType.STRING);
        m.put("mcc", SimpleType.STRING);
        m.put("channel", SimpleType.STRING);
        m.put("card_present", SimpleType.BOOL);
        m.put("merchant_id", SimpleType.STRING);
        m.put("customer_id", SimpleType.STRING);
        m.put("terminal_id", SimpleType.STRING);
        m.put("device_id", SimpleType.STRING);
        m.put("ip_address", SimpleType.STRING);
        m.put("card_bin", SimpleType.STRING);
        m.put("card_last4", SimpleType.STRING);
        m.put("event_hour", SimpleType.INT);
        return Collections.unmodifiableMap(m);
    }

    /** Points this resolver at the next payment; it is reused to avoid allocating per payment. */
    public PaymentVariables reset(PaymentEvent payment, FeatureValues features) {
        this.payment = payment;
        this.features = features;
        return this;
    }

    @Override
    public Optional<Object> find(String name) {
        Object v = value(name);
        return Optional.ofNullable(v);
    }

    /** The value of a payment field or entity map, for conditions and explanations. */
    public Object value(String name) {
        PaymentEvent p = payment;
        switch (name) {
            case "amount":
                return p.amount() == null ? 0.0 : p.amount().doubleValue();
            case "currency":
                return text(p.currency());
            case "country":
                return text(p.country());
            case "mcc":
                return text(p.mcc());
            case "channel":
                return text(p.channel());
            case "card_present":
                return "POS".equals(p.channel());
            case "merchant_id":
                return text(p.merchantId());
            case "customer_id":
                return text(p.customerId());
            case "terminal_id":
                return text(p.terminalId());
            case "device_id":
                return text(p.deviceId());
            case "ip_address":
                return text(p.ip());
            case "card_bin":
                return text(p.bin());
            case "card_last4":
                return text(p.last4());
            case "event_hour":
                return (long) Instant.ofEpochMilli(p.eventTime())
                        .atZone(ZoneOffset.UTC)
                        .getHour();
            default:
                Entity e = Entity.fromRuleName(name);
                return e == null ? null : features.of(e);
        }
    }

    private static String text(String s) {
        return s == null ? "" : s;
    }
}
