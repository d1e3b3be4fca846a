package io.veto.card;

import io.veto.decision.Decision;
import io.veto.decision.Reason;
import io.veto.decision.ShadowResult;
import io.veto.event.PaymentEvent;
import io.veto.feature.Entity;
import io.veto.feature.EventWindow;
import io.veto.feature.FeatureSpec;
import io.veto.feature.FeatureValues;
import io.veto.rule.CompiledRuleSet;
import io.veto.rule.Evaluation;
import java.util.Set;

/**
 * Decides one payment of one card, given that card's window: adds the payment to the window,
 * computes the card features the rules name, evaluates the rules. Plain Java with no Flink in it,
 * so the streaming operator and the offline tools ({@code rules test}, backtests) decide exactly
 * the same way.
 *
 * <p>Not thread-safe: one per operator subtask or tool run.
 */
public final class CardScorer {
    private final CompiledRuleSet rules;
    private final Set<FeatureSpec> cardFeatures;
    private final long horizon;
    private final FeatureValues values = new FeatureValues();

    public CardScorer(CompiledRuleSet rules) {
        this.rules = rules;
        this.cardFeatures = rules.features(Entity.CARD);
        this.horizon = rules.maxHorizon(Entity.CARD);
    }

    public CompiledRuleSet rules() {
        return rules;
    }

    /** How long the card's payments must be kept for these rules; 0 when no rule reads them. */
    public long horizon() {
        return horizon;
    }

    /**
     * Adds {@code payment} to {@code window} (when the rules keep a window), decides it, and drops
     * what no later on-time payment can need.
     *
     * @param window the card's window; may be null when {@link #horizon()} is 0
     * @param watermark the current event-time watermark; a payment at or behind it is late
     * @param now wall-clock time written as {@code decidedAt}
     */
    public Decision decide(EventWindow window, PaymentEvent payment, long watermark, long now) {
        long ts = payment.eventTime();
        values.clear();
        if (horizon > 0) {
            window.add(ts, payment.amountFixed());
            for (FeatureSpec spec : cardFeatures) {
                values.put(spec, window.compute(spec, ts));
            }
            // Anything at or before min(watermark, ts) - horizon is in no later on-time payment's window.
            window.evictUpTo(saturatedMinus(Math.min(watermark, ts), horizon));
        }
        Evaluation ev = rules.evaluate(payment, values);
        ShadowResult shadow =
                ev.shadowOutcome() == null
                        ? null
                        : new ShadowResult(ev.shadowOutcome().name(), ev.shadowScore(), ev.shadowReasons().toArray(new Reason[0]));
        return new Decision(
                payment.paymentId(),
                payment.eventId(),
                ev.outcome(),
                ev.score(),
                ev.reasons().toArray(new Reason[0]),
                rules.version(),
                shadow,
                ts,
                now,
                ts <= watermark,
                payment.cardToken(),
                payment.bin(),
                payment.last4());
    }

    static long saturatedMinus(long a, long b) {
        long r = a - b;
        return ((a ^ b) & (a ^ r)) < 0 ? Long.MIN_VALUE : r;
    }
}
