package io.veto.rule;

import java.util.List;
import java.util.stream.Collectors;

/** A rule set that cannot be used, with every problem found (not just the first). */
public final class RuleSetException extends Exception {
    private final List<RuleProblem> problems;

    public RuleSetException(List<RuleProblem> problems) {
        super(problems.stream().map(RuleProblem::toString).collect(Collectors.joining("\n")));
        this.problems = List.copyOf(problems);
    }

    public List<RuleProblem> problems() {
        return problems;
    }
}
