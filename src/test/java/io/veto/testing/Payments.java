package io.veto.testing;

import io.veto.event.EventType;
import io.veto.event.PaymentEvent;
import io.veto.rule.RuleSet;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/** Named instants and small builders for tests that need payments and rule sets. */
public final class Payments {
    public static final long BEGINNING = Instant.parse("2026-11-28T12:00:00Z").toEpochMilli();
    public static final long ONE_MINUTE = Duration.ofMinutes(1).toMillis();
    public static final long TEN_MINUTES = Duration.ofMinutes(10).toMillis();

    private Payments() {}

    public static PaymentEvent payment(String id, String card, long eventTime, String amount) {
        return new PaymentEvent(
                "evt-" + id,
                EventType.PAYMENT,
                id,
                eventTime,
                card,
                "411111",
                "1111",
                "cust-1",
                "merch-1",
                "5411",
                null,
                new BigDecimal(amount),
                "EUR",
                "DE",
                "10.0.0.1",
                "dev-1",
                "ECOM",
                null,
                null,
                "test/0/0");
    }

    public static PaymentEvent refund(String paymentId, String card, long eventTime, String amount) {
        return new PaymentEvent(
                "evt-r-" + paymentId,
                EventType.REFUND,
                paymentId,
                eventTime,
                card,
                "411111",
                "1111",
                "cust-1",
                "merch-1",
                "5411",
                null,
                new BigDecimal(amount),
                "EUR",
                "DE",
                null,
                null,
                "ECOM",
                null,
                null,
                "test/0/0");
    }

    /** A rule set from inline YAML: the manifest's thresholds and one rule file. */
    public static RuleSet ruleSet(String name, int review, int deny, String rulesYaml) {
        Map<String, String> files = new TreeMap<>();
        files.put(
                RuleSet.MANIFEST, "name: " + name + "\nthresholds:\n  review: " + review + "\n  deny: " + deny + "\n");
        files.put("rules.yaml", rulesYaml);
        return new RuleSet(name, new TreeMap<>(files));
    }
}
