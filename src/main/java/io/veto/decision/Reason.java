package io.veto.decision;

/**
 * Why a rule contributed to a decision: the rule, its points (or direct outcome), and a sentence
 * with the values that made it fire, e.g. {@code "7 payments on this card in 10 minutes (card.count_10m=7)"}.
 */
public record Reason(String ruleId, int points, String outcome, String detail) {}
