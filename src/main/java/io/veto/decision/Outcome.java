package io.veto.decision;

/** A decision's outcome, ordered from mildest to strictest so the strictest can win. */
public enum Outcome {
    APPROVE,
    REVIEW,
    DENY;

    public Outcome atLeast(Outcome other) {
        return other != null && other.ordinal() > ordinal() ? other : this;
    }
}
