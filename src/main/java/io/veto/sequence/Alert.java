package io.veto.sequence;

/**
 * An entity-level detection on the alerts topic: a sequence rule with an {@code alert:} matched on
 * one card's (or customer's) events. Raised for every match, also one completed by a refund or by
 * time, which has no decision to carry it.
 *
 * @param alertId {@code ruleId:completingEventId}: the same on a replay, so consumers can de-duplicate
 * @param alert the alert's name from the rule ({@code card-under-attack})
 * @param entity {@code card} or {@code customer}
 * @param entityKey the card token (never a card number) or the customer id
 * @param eventIds the matched events, first to last
 * @param decidedPaymentId the payment whose decision carries the match, or null when none does
 */
public record Alert(
        String alertId,
        String alert,
        String ruleId,
        String entity,
        String entityKey,
        String[] eventIds,
        long firstEventTime,
        long lastEventTime,
        long detectedAt,
        String ruleSetVersion,
        String decidedPaymentId) {}
