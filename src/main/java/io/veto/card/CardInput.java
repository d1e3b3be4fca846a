package io.veto.card;

import io.veto.entity.EntityFeatures;
import io.veto.event.PaymentEvent;

/**
 * What reaches the card stage (keyed by card token): either an event of the card, with how many
 * entity stages will answer for it and the rule-set version that asked them, or one such answer.
 * Exactly one of {@code event} and {@code answer} is set.
 */
public record CardInput(PaymentEvent event, int parts, String rulesVersion, EntityFeatures answer) {
    public static CardInput event(PaymentEvent event, int parts, String rulesVersion) {
        return new CardInput(event, parts, rulesVersion, null);
    }

    public static CardInput answer(EntityFeatures answer) {
        return new CardInput(null, 0, null, answer);
    }

    public String cardToken() {
        return event != null ? event.cardToken() : answer.cardToken();
    }
}
