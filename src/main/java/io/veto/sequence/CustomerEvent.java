package io.veto.sequence;

import io.veto.event.PaymentEvent;

/**
 * An event on its way to the customer-sequence stage (keyed by customer id), with the rule-set
 * version that sent it there and whether the card stage waits for an answer (it does for a payment).
 */
public record CustomerEvent(String customerId, PaymentEvent event, String rulesVersion, boolean wantsAnswer) {}
