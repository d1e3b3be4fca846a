package io.veto.rule;

import java.util.List;

/**
 * The sequence part of a sequence rule, as written: which events of which key, in what order,
 * within how long. The rule part (points, outcome, mode, explanation, an optional decision-time
 * {@code when}) is the rule's {@link RuleDefinition}.
 *
 * @param key whose event stream the steps run over
 * @param withinMillis the longest time from the first to the last event of a match
 * @param skip the after-match skip strategy, as written ({@code skip-past-last-event}, ...)
 * @param alert the alert raised on the alerts topic for every match, or null for none
 * @param fingerprint a hash of everything that shapes the pattern (key, within, skip, steps);
 *     rule sets that keep a sequence's fingerprint keep its partial matches across a change
 */
public record SequenceDefinition(
        SequenceKey key, long withinMillis, String skip, List<SequenceStep> steps, String alert, String fingerprint) {

    /** The entity whose events one sequence instance sees. */
    public enum SequenceKey {
        CARD("card"),
        CUSTOMER("customer");

        private final String yaml;

        SequenceKey(String yaml) {
            this.yaml = yaml;
        }

        public String yamlName() {
            return yaml;
        }
    }
}
