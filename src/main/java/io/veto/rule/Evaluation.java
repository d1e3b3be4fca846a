package io.veto.rule;

import io.veto.decision.Outcome;
import io.veto.decision.Reason;
import java.util.List;

/** What a rule set says about one payment: the enforced outcome and what shadow rules would say. */
public record Evaluation(
        Outcome outcome,
        int score,
        List<Reason> reasons,
        Outcome shadowOutcome,
        int shadowScore,
        List<Reason> shadowReasons,
        int errors) {}
