package io.veto.decision;

/**
 * The one decision Veto writes for a payment (decisions topic, key = paymentId). Deterministic: the
 * same events and rule set give the same content; only {@code decidedAt} is wall-clock.
 *
 * @param late the payment's event time was behind the watermark when it arrived, or an entity
 *     stage answered it from a window that may miss events still on their way (its request was
 *     behind that stage's watermark, or was answered in a quiet spell before the watermark came):
 *     it is decided all the same, with the features the windows held. A decision that is not late
 *     is exact, and a replay gives the same one.
 * @param cardToken the keyed card token (not the card number): what card allow and block lists name
 * @param featureNames every window feature computed for the payment, qualified ({@code card.count_10m}),
 *     with its value at the same index of {@code featureValues}: what backtests and analysts replay
 */
public record Decision(
        String paymentId,
        String eventId,
        Outcome decision,
        int score,
        Reason[] reasons,
        String ruleSetVersion,
        ShadowResult shadow,
        long eventTime,
        long decidedAt,
        boolean late,
        String cardToken,
        String cardBin,
        String cardLast4,
        String[] featureNames,
        double[] featureValues) {}
