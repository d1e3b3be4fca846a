package io.veto.feature;

import java.io.Serializable;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One window feature as a rule names it: {@code card.count_10m} is (CARD, COUNT, no field, 10
 * minutes); {@code card.sum_amount_24h} is (CARD, SUM, amount, 24 hours). The window is
 * {@code (t - horizon, t]} in event time, where t is the payment's event time, so the payment itself
 * is included.
 */
public record FeatureSpec(Entity entity, Aggregate aggregate, String field, long horizonMillis)
        implements Serializable {

    /** Longest horizon the exact per-event window keeps. */
    public static final long MAX_HORIZON_MILLIS = 24L * 60 * 60 * 1000;

    private static final Pattern NAME = Pattern.compile("([a-z]+)(?:_([a-z]+))?_(\\d+)(s|m|h|d)");

    /** The name as rules write it after the entity, e.g. {@code sum_amount_24h}. */
    public String name() {
        return aggregate.ruleName() + (field == null ? "" : "_" + field) + "_" + horizonText(horizonMillis);
    }

    public String qualifiedName() {
        return entity.ruleName() + "." + name();
    }

    /**
     * Parses the part after the entity; the exception message says what is wrong in words an analyst
     * can act on.
     */
    public static FeatureSpec parse(Entity entity, String name) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "'" + entity.ruleName() + "." + name + "' is not a feature: write <aggregate>[_<field>]_<horizon>,"
                            + " e.g. " + entity.ruleName() + ".count_10m or " + entity.ruleName() + ".sum_amount_24h");
        }
        Aggregate agg;
        try {
            agg = Aggregate.valueOf(m.group(1).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "unknown aggregate '" + m.group(1) + "' in '" + entity.ruleName() + "." + name
                            + "'; known: count, sum, avg, max, min");
        }
        String field = m.group(2);
        if (agg.needsField() && field == null) {
            throw new IllegalArgumentException(
                    "'" + name + "' needs a field, e.g. " + agg.ruleName() + "_amount_" + m.group(3) + m.group(4));
        }
        if (!agg.needsField() && field != null) {
            throw new IllegalArgumentException("'" + agg.ruleName() + "' takes no field: write " + agg.ruleName() + "_" + m.group(3) + m.group(4));
        }
        if (field != null && !field.equals("amount")) {
            throw new IllegalArgumentException(
                    "'" + agg.ruleName() + "' works on amount only, not '" + field + "'");
        }
        long horizon = Long.parseLong(m.group(3)) * unitMillis(m.group(4));
        if (horizon <= 0) {
            throw new IllegalArgumentException("the horizon of '" + name + "' must be positive");
        }
        if (horizon > MAX_HORIZON_MILLIS) {
            throw new IllegalArgumentException(
                    "the horizon of '" + name + "' is longer than the 24h that exact windows keep");
        }
        return new FeatureSpec(entity, agg, field, horizon);
    }

    private static long unitMillis(String unit) {
        return switch (unit) {
            case "s" -> 1000L;
            case "m" -> 60_000L;
            case "h" -> 3_600_000L;
            default -> 86_400_000L;
        };
    }

    static String horizonText(long ms) {
        if (ms % 86_400_000L == 0) {
            return ms / 86_400_000L + "d";
        }
        if (ms % 3_600_000L == 0) {
            return ms / 3_600_000L + "h";
        }
        if (ms % 60_000L == 0) {
            return ms / 60_000L + "m";
        }
        return ms / 1000 + "s";
    }
}
