package io.veto.card;

/**
 * One decision subtask's answer to a published rule set; {@link RuleStatusAggregator} turns the
 * answers of all subtasks into one status message.
 */
public record RuleAck(String name, String version, boolean applied, String[] problems, int subtask, int parallelism, String origin) {}
