package io.veto.decision;

/**
 * Why a rule contributed to a decision: the rule, its points (or direct outcome), and a sentence
 * with the values that made it fire, e.g. {@code "7 payments on this card in 10 minutes (card.count_10m=7)"}.
 *
 * @param events for a sequence rule, the ids of the matched events, first to last (the last is the
 *     payment decided); null for a rule on single payments
 */
public record Reason(String ruleId, int points, String outcome, String detail, String[] events) {
    public Reason(String ruleId, int points, String outcome, String detail) {
        this(ruleId, points, outcome, detail, null);
    }
}
