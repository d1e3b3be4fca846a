package io.veto.stage;

import io.veto.stage.rules.RuleStatusAggregator;

/**
 * One subtask's answer to a published rule set; {@link RuleStatusAggregator} turns the answers of
 * all subtasks of all rule-aware stages into one status message.
 *
 * @param stage which operator answered (every stage that evaluates rules must switch)
 */
public record RuleAck(
        String name,
        String version,
        boolean applied,
        String[] problems,
        String stage,
        int subtask,
        int parallelism,
        String origin) {}
