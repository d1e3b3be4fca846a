package io.veto.decision;

/**
 * What the shadow rules would have decided for a payment: reported next to the real decision so
 * analysts can see a rule's effect on live traffic before enforcing it; never enforced.
 */
public record ShadowResult(String decision, int score, Reason[] reasons) {}
