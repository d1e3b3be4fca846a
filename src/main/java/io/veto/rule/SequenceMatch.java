package io.veto.rule;

/**
 * One completed match of a sequence rule: the rule, and the events that make it up, in order.
 * Deterministic for the same events and rule set, so a replay finds the same match.
 *
 * @param ruleId the sequence rule
 * @param stateKey the rule's id and pattern fingerprint ({@code id@fingerprint}): which version of
 *     the pattern found it
 * @param eventIds the matched events' ids, first to last; the last one completes the match
 * @param firstEventTime event time of the first matched event
 * @param lastEventTime event time of the completing event
 */
public record SequenceMatch(
        String ruleId, String stateKey, String[] eventIds, long firstEventTime, long lastEventTime) {
    public String completingEventId() {
        return eventIds[eventIds.length - 1];
    }
}
