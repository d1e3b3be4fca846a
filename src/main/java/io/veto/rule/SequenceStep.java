package io.veto.rule;

/**
 * One step of a sequence rule as the analyst wrote it.
 *
 * @param after how this step follows the one before it (ignored for the first step)
 * @param minTimes how many events the step takes at least (1 for a single event)
 * @param maxTimes how many at most; {@link Integer#MAX_VALUE} for "or more"
 * @param until for a step taking "or more" events: a condition that ends the loop, or null
 * @param gapMillis for a step taking several events: the longest time between two of them, 0 for no limit
 */
public record SequenceStep(
        String name,
        String where,
        Contiguity after,
        int minTimes,
        int maxTimes,
        boolean optional,
        boolean greedy,
        boolean consecutive,
        String until,
        long gapMillis,
        int line) {

    /** How a step relates to the step before it, in flink-cep's terms. */
    public enum Contiguity {
        /** The very next event of the key must match. */
        NEXT("next"),
        /** A later event matches; events in between that do not match are skipped. */
        FOLLOWED_BY("followedBy"),
        /** Every later matching event starts its own branch (can multiply partial matches). */
        FOLLOWED_BY_ANY("followedByAny"),
        /** The very next event must not match. */
        NOT_NEXT("notNext"),
        /** No later event (before the next step, or before {@code within} ends) may match. */
        NOT_FOLLOWED_BY("notFollowedBy");

        private final String yaml;

        Contiguity(String yaml) {
            this.yaml = yaml;
        }

        public String yamlName() {
            return yaml;
        }

        public boolean negative() {
            return this == NOT_NEXT || this == NOT_FOLLOWED_BY;
        }

        public static Contiguity fromYaml(String s) {
            for (Contiguity c : values()) {
                if (c.yaml.equals(s)) {
                    return c;
                }
            }
            return null;
        }
    }

    public boolean looping() {
        return maxTimes > 1;
    }

    /** The quantifier as the analyst writes it: {@code 3}, {@code 3+}, {@code 2..5}. */
    public String timesText() {
        if (maxTimes == Integer.MAX_VALUE) {
            return minTimes + "+";
        }
        return minTimes == maxTimes ? Integer.toString(minTimes) : minTimes + ".." + maxTimes;
    }
}
