package io.veto.feature;

import java.io.Serializable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One window feature as a rule names it, {@code <entity>.<aggregate>[_<field>]_<horizon>}:
 * {@code card.count_10m} is (CARD, COUNT, no field, 10 minutes); {@code card.sum_amount_24h} is
 * (CARD, SUM, amount, 24 hours). The window of a payment at event time t is {@code (t - horizon, t]}
 * in event time, so the payment itself is included. Horizons are written with {@code s}, {@code m},
 * {@code h} or {@code d}, from 1s to {@value #MAX_HORIZON_DAYS}d.
 *
 * <table>
 *   <caption>The aggregates</caption>
 *   <tr><th>feature</th><th>value</th></tr>
 *   <tr><td>{@code count_10m}</td><td>payments in the window</td></tr>
 *   <tr><td>{@code sum_amount_1h}, {@code avg_amount_24h}, {@code max_amount_7d}, {@code min_amount_10m}</td>
 *       <td>total, average, largest, smallest amount of those payments (0 when none)</td></tr>
 *   <tr><td>{@code stddev_amount_24h}</td><td>population standard deviation of their amounts (0 for fewer than two)</td></tr>
 *   <tr><td>{@code distinct_country_24h}</td><td>distinct non-empty values of a payment field among them; fields:
 *       card, customer, merchant, terminal, device, ip, country, mcc, currency, bin</td></tr>
 *   <tr><td>{@code chargeback_count_28d}</td><td>CHARGEBACK events whose own event time is in the window</td></tr>
 *   <tr><td>{@code chargeback_rate_28d}</td><td>{@code chargeback_count} / {@code count} of the same window (0 when no payment)</td></tr>
 *   <tr><td>{@code refund_count_7d}, {@code refund_rate_7d}</td><td>the same for REFUND and REVERSAL events</td></tr>
 *   <tr><td>{@code amount_ratio_30d}</td><td>this payment's amount / the average amount of the other payments in the
 *       window; 0 when there is none or their average is 0</td></tr>
 *   <tr><td>{@code since_last}</td><td>milliseconds since the entity's previous payment (at or before this one in event
 *       time); {@link #SINCE_LAST_NONE} (10 years) when it had none in the last 30 days</td></tr>
 * </table>
 *
 * <p>Horizons up to {@link #EXACT_HORIZON_MILLIS} (24h) are exact to the millisecond; longer ones lose
 * at most the window's oldest, partial hour (see {@link EventWindow}).
 */
public record FeatureSpec(Entity entity, Aggregate aggregate, String field, long horizonMillis)
        implements Serializable {

    /** Longest horizon computed from individual payments, exactly. */
    public static final long EXACT_HORIZON_MILLIS = 24L * 60 * 60 * 1000;

    static final int MAX_HORIZON_DAYS = 120;

    /** Longest horizon a rule may name: chargebacks arrive up to about 120 days after the payment. */
    public static final long MAX_HORIZON_MILLIS = MAX_HORIZON_DAYS * 86_400_000L;

    /** How far back {@code since_last} looks; it is the horizon of that spec. */
    public static final long SINCE_LAST_HORIZON_MILLIS = 30L * 86_400_000L;

    /** The value of {@code since_last} when there was no previous payment within its reach: 10 years. */
    public static final double SINCE_LAST_NONE = 10 * 365 * 86_400_000d;

    private static final Pattern HORIZON = Pattern.compile("([a-z_]+)_(\\d{1,9})(s|m|h|d)");
    private static final Pattern WORD = Pattern.compile("[a-z]+");

    public FeatureSpec {
        if (entity == null || aggregate == null) {
            throw new IllegalArgumentException("a feature needs an entity and an aggregate");
        }
        switch (aggregate.fieldKind()) {
            case NONE -> {
                if (field != null) {
                    throw new IllegalArgumentException("'" + aggregate.ruleName() + "' takes no field");
                }
            }
            case AMOUNT -> {
                if (!"amount".equals(field)) {
                    throw new IllegalArgumentException(
                            "'" + aggregate.ruleName() + "' works on amount only, not '" + field + "'");
                }
            }
            case VALUE -> {
                if (ValueField.fromRuleName(field) == null) {
                    throw new IllegalArgumentException("'" + aggregate.ruleName() + "' needs one of " + ValueField.KNOWN
                            + ", not '" + field + "'");
                }
            }
        }
        if (!aggregate.takesHorizon() && horizonMillis != SINCE_LAST_HORIZON_MILLIS) {
            throw new IllegalArgumentException(
                    "'" + aggregate.ruleName() + "' always reaches back " + horizonText(SINCE_LAST_HORIZON_MILLIS));
        }
        // Whole seconds only, so that name() writes exactly this horizon and parses back to it.
        if (horizonMillis <= 0 || horizonMillis > MAX_HORIZON_MILLIS || horizonMillis % 1000 != 0) {
            throw new IllegalArgumentException("a horizon must be whole seconds between 1s and " + MAX_HORIZON_DAYS
                    + "d, not " + horizonMillis + " ms");
        }
    }

    /** The name as rules write it after the entity, e.g. {@code sum_amount_24h} or {@code since_last}. */
    public String name() {
        if (!aggregate.takesHorizon()) {
            return aggregate.ruleName();
        }
        return aggregate.ruleName() + (field == null ? "" : "_" + field) + "_" + horizonText(horizonMillis);
    }

    public String qualifiedName() {
        return entity.ruleName() + "." + name();
    }

    /** Whether the value is exact to the millisecond: horizons up to 24 hours. */
    public boolean exact() {
        return horizonMillis <= EXACT_HORIZON_MILLIS;
    }

    /** The field a DISTINCT counts; null for other aggregates. */
    public ValueField valueField() {
        return aggregate == Aggregate.DISTINCT ? ValueField.fromRuleName(field) : null;
    }

    /**
     * Parses the part after the entity; the exception message says what is wrong in words an analyst
     * can act on.
     */
    public static FeatureSpec parse(Entity entity, String name) {
        String q = entity.ruleName() + "." + name;
        if (name.equals(Aggregate.SINCE_LAST.ruleName())) {
            return new FeatureSpec(entity, Aggregate.SINCE_LAST, null, SINCE_LAST_HORIZON_MILLIS);
        }
        Matcher m = HORIZON.matcher(name);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + q + "' is not a feature: write <aggregate>[_<field>]_<horizon>,"
                    + " e.g. " + entity.ruleName() + ".count_10m or " + entity.ruleName() + ".sum_amount_24h");
        }
        String head = m.group(1);
        String horizonText = m.group(2) + m.group(3);
        Aggregate agg = null;
        for (Aggregate a : Aggregate.values()) {
            String r = a.ruleName();
            // Longest match, so that chargeback_count is not read as an unknown 'chargeback' with a field.
            if ((head.equals(r) || head.startsWith(r + "_"))
                    && (agg == null || r.length() > agg.ruleName().length())) {
                agg = a;
            }
        }
        if (agg == null) {
            int cut = head.indexOf('_');
            throw new IllegalArgumentException("unknown aggregate '" + (cut < 0 ? head : head.substring(0, cut))
                    + "' in '" + q + "'; known: " + Aggregate.KNOWN);
        }
        String a = agg.ruleName();
        if (!agg.takesHorizon()) {
            throw new IllegalArgumentException("'" + a + "' takes no horizon: write " + entity.ruleName() + "." + a);
        }
        String field = head.length() == a.length() ? null : head.substring(a.length() + 1);
        if (field != null && !WORD.matcher(field).matches()) {
            throw new IllegalArgumentException("'" + q + "' is not a feature: write <aggregate>[_<field>]_<horizon>,"
                    + " e.g. " + entity.ruleName() + ".count_10m or " + entity.ruleName() + ".sum_amount_24h");
        }
        switch (agg.fieldKind()) {
            case NONE -> {
                if (field != null) {
                    throw new IllegalArgumentException("'" + a + "' takes no field: write " + a + "_" + horizonText);
                }
            }
            case AMOUNT -> {
                if (field == null) {
                    throw new IllegalArgumentException(
                            "'" + name + "' needs a field, e.g. " + a + "_amount_" + horizonText);
                }
                if (!field.equals("amount")) {
                    throw new IllegalArgumentException("'" + a + "' works on amount only, not '" + field + "'");
                }
            }
            case VALUE -> {
                if (field == null) {
                    throw new IllegalArgumentException("'" + name + "' needs a field, e.g. " + a + "_country_"
                            + horizonText + "; fields: " + ValueField.KNOWN);
                }
                if (ValueField.fromRuleName(field) == null) {
                    throw new IllegalArgumentException(
                            "'" + a + "' counts one of " + ValueField.KNOWN + ", not '" + field + "'");
                }
            }
        }
        long horizon = Long.parseLong(m.group(2)) * unitMillis(m.group(3));
        if (horizon <= 0) {
            throw new IllegalArgumentException("the horizon of '" + name + "' must be positive");
        }
        if (horizon > MAX_HORIZON_MILLIS) {
            throw new IllegalArgumentException(
                    "the horizon of '" + name + "' is longer than the " + MAX_HORIZON_DAYS + "d that windows keep");
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
