package io.veto.cli;

import io.veto.rule.CompiledRuleSet;
import io.veto.rule.RuleProblem;
import io.veto.rule.RuleSet;
import io.veto.rule.RuleSetCompiler;
import io.veto.rule.RuleSetException;
import io.veto.rule.RuleSetLimits;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;

/**
 * A rule-set directory read and compiled with the job's own compiler; on failure every problem has
 * been printed as {@code file:line:col: problem} and {@link #compiled} is null.
 */
record Loaded(Path dir, RuleSet ruleSet, CompiledRuleSet compiled, int problems) {

    static Loaded load(Path dir, PrintWriter err) {
        RuleSet rs;
        try {
            rs = RuleSet.fromDirectory(dir);
        } catch (UncheckedIOException e) {
            err.println(RuleSetDirs.display(dir) + ": " + e.getMessage());
            return new Loaded(dir, null, null, 1);
        }
        try {
            CompiledRuleSet compiled = RuleSetCompiler.forJob().compile(rs);
            // The job refuses a published set over a limit: say so before it is published.
            List<RuleProblem> limits = RuleSetLimits.check(compiled);
            if (!limits.isEmpty()) {
                throw new RuleSetException(limits);
            }
            return new Loaded(dir, rs, compiled, 0);
        } catch (RuleSetException e) {
            // In file order, as an editor lists them; the compiler finds some only after reading every file.
            e.problems().stream()
                    .sorted(Comparator.comparing(RuleProblem::file)
                            .thenComparingInt(RuleProblem::line)
                            .thenComparingInt(RuleProblem::column))
                    .forEach(p -> err.println(RuleSetDirs.display(dir, p)));
            return new Loaded(dir, rs, null, e.problems().size());
        }
    }

    boolean ok() {
        return compiled != null;
    }
}
