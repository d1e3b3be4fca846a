package io.veto.cli;

import io.veto.rule.CompiledRuleSet;
import io.veto.rule.EntityList;
import io.veto.rule.RuleDefinition;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code rules validate [DIR...]}: compiles each rule set exactly as the job does and prints every
 * problem as {@code file:line:col: problem}; exit 1 when there is any.
 */
@Command(
        name = "validate",
        mixinStandardHelpOptions = true,
        versionProvider = VetoCli.Version.class,
        description = {
            "Check rule sets as the job does: rules, lists and examples.",
            "Prints every problem as file:line:col: problem; exits 1 if there is any."
        })
final class ValidateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(
            arity = "0..*",
            paramLabel = "DIR",
            description = "Rule-set directories, or directories holding them (default: rules/default)")
    List<Path> dirs = List.of(RuleSetDirs.DEFAULT);

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean failed = false;
        for (Path d : dirs) {
            List<Path> sets = RuleSetDirs.find(d, err);
            failed |= sets.isEmpty();
            for (Path dir : sets) {
                Loaded l = Loaded.load(dir, err);
                if (l.ok()) {
                    out.println("OK " + RuleSetDirs.display(dir) + ": " + summary(l.compiled()));
                } else {
                    failed = true;
                    err.println(RuleSetDirs.display(dir) + ": " + l.problems()
                            + (l.problems() == 1 ? " problem" : " problems"));
                }
            }
        }
        out.flush();
        err.flush();
        return failed ? VetoCli.PROBLEM : VetoCli.OK;
    }

    /** {@code default@1a2b3c4d5e6f, 9 rules (1 shadow), 3 lists (8 values), 24 examples}. */
    static String summary(CompiledRuleSet c) {
        long shadow = c.rules().stream().filter(RuleDefinition::shadow).count();
        int values = c.lists().stream()
                .mapToInt((EntityList l) -> l.entries().size())
                .sum();
        return c.version() + ", " + plural(c.size(), "rule") + (shadow > 0 ? " (" + shadow + " shadow)" : "")
                + ", " + plural(c.lists().size(), "list") + " (" + plural(values, "value") + ")"
                + ", " + plural(c.examples().size(), "example");
    }

    static String plural(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
