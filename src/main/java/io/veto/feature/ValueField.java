package io.veto.feature;

import io.veto.event.PaymentEvent;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A payment field whose distinct values a window can count ({@code card.distinct_country_24h}).
 * Windows keep a 64-bit hash of the value, never the value itself (a card token stays out of a
 * merchant's state), so a distinct count is exact up to hash collisions: with 60-bit hashes, the
 * chance that any two of 100,000 values collide is below 1e-8.
 */
public enum ValueField {
    CARD,
    CUSTOMER,
    MERCHANT,
    TERMINAL,
    DEVICE,
    IP,
    COUNTRY,
    MCC,
    CURRENCY,
    BIN;

    /** Hashes use the low 60 bits; the top 4 are free for the field's ordinal where fields share a table. */
    static final long HASH_MASK = (1L << 60) - 1;

    static final String KNOWN =
            Arrays.stream(values()).map(ValueField::ruleName).collect(Collectors.joining(", "));

    private final String ruleName = name().toLowerCase(Locale.ROOT);

    public String ruleName() {
        return ruleName;
    }

    /** The field a rule names, or null; called per payment (FeatureSpec.valueField), so no allocation. */
    public static ValueField fromRuleName(String name) {
        for (ValueField f : FIELDS) {
            if (f.ruleName.equals(name)) {
                return f;
            }
        }
        return null;
    }

    private static final ValueField[] FIELDS = values();

    /** The field's value in a payment; null when the payment does not carry it. */
    public String of(PaymentEvent p) {
        return switch (this) {
            case CARD -> p.cardToken();
            case CUSTOMER -> p.customerId();
            case MERCHANT -> p.merchantId();
            case TERMINAL -> p.terminalId();
            case DEVICE -> p.deviceId();
            case IP -> p.ip();
            case COUNTRY -> p.country();
            case MCC -> p.mcc();
            case CURRENCY -> p.currency();
            case BIN -> p.bin();
        };
    }

    /** The hash a window keeps for the value in {@code p}; 0 (never a hash) when absent or empty. */
    public long hashOf(PaymentEvent p) {
        return hash(of(p));
    }

    /**
     * A 60-bit hash, stable across JVMs and versions since it lives in checkpoints: FNV-1a over the
     * UTF-16 chars, then MurmurHash3's finalizer so that every bit depends on every char. Never 0.
     */
    static long hash(String s) {
        if (s == null || s.isEmpty()) {
            return 0L;
        }
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        h &= HASH_MASK;
        return h == 0 ? 1 : h;
    }
}
