package io.veto.scoring;

import io.veto.decision.Decision;
import io.veto.decision.Reason;
import io.veto.decision.ShadowResult;
import io.veto.event.PaymentEvent;
import io.veto.feature.Entity;
import io.veto.feature.EventWindow;
import io.veto.feature.FeatureSpec;
import io.veto.feature.FeatureValues;
import io.veto.feature.WindowNeeds;
import io.veto.rule.CompiledRuleSet;
import io.veto.rule.Evaluation;
import io.veto.rule.SequenceMatch;
import java.util.List;
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
    private final WindowNeeds needs;
    private final long horizon;
    private final FeatureValues values = new FeatureValues();

    public CardScorer(CompiledRuleSet rules) {
        this.rules = rules;
        this.cardFeatures = rules.features(Entity.CARD);
        this.needs = WindowNeeds.of(cardFeatures);
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
        values.clear();
        cardFeatures(window, payment, watermark, values);
        return decide(payment, values, payment.eventTime() <= watermark, now);
    }

    /**
     * Adds {@code payment} to the card's window and puts the card features the rules read into
     * {@code out}; then drops what no later on-time payment can need.
     *
     * @param window the card's window; may be null when {@link #horizon()} is 0
     */
    public void cardFeatures(EventWindow window, PaymentEvent payment, long watermark, FeatureValues out) {
        if (horizon <= 0) {
            return;
        }
        window.track(needs);
        window.add(payment);
        for (FeatureSpec spec : cardFeatures) {
            out.put(spec, window.compute(spec, payment));
        }
        // No later on-time payment is at or before min(watermark, ts): what only it could need goes.
        window.expire(Math.min(watermark, payment.eventTime()), horizon);
    }

    /** Adds a refund, reversal or chargeback to the card's window; whether the window changed. */
    public boolean recordFeedback(EventWindow window, PaymentEvent feedback) {
        if (horizon <= 0) {
            return false;
        }
        window.track(needs);
        return window.add(feedback);
    }

    /**
     * Decides a payment whose features are all in {@code features}; a feature of an entity the
     * payment does not have (no device on a card-present payment) reads as 0.
     *
     * @param late whether the payment was behind the watermark when it arrived
     */
    public Decision decide(PaymentEvent payment, FeatureValues features, boolean late, long now) {
        return decide(payment, features, late, now, List.of());
    }

    /**
     * Decides a payment whose features are all in {@code features}, with the sequence matches it
     * completes.
     */
    public Decision decide(
            PaymentEvent payment, FeatureValues features, boolean late, long now, List<SequenceMatch> matches) {
        for (Entity e : Entity.values()) {
            if (e != Entity.CARD) {
                for (FeatureSpec spec : rules.features(e)) {
                    if (features.get(spec) == null) {
                        features.put(spec, 0.0);
                    }
                }
            }
        }
        long ts = payment.eventTime();
        String[] names = new String[features.size()];
        double[] vals = new double[names.length];
        int[] i = {0};
        features.forEach((n, v) -> {
            names[i[0]] = n;
            vals[i[0]++] = v;
        });
        Evaluation ev = rules.evaluate(payment, features, matches);
        ShadowResult shadow = ev.shadowOutcome() == null
                ? null
                : new ShadowResult(
                        ev.shadowOutcome().name(),
                        ev.shadowScore(),
                        ev.shadowReasons().toArray(new Reason[0]));
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
                late,
                payment.cardToken(),
                payment.bin(),
                payment.last4(),
                names,
                vals);
    }
}
