package io.veto.card;

/**
 * A rule set as published on the rules topic, not yet decoded or checked: the decision operator
 * decodes and compiles it itself so that a bad publication is rejected where it would run.
 *
 * @param origin where it came from, {@code topic/partition/offset}, for the status message
 */
public record RuleSetUpdate(byte[] json, String origin) {}
