package io.veto.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code rules diff DIR_A DIR_B}: what changes if B replaces A. Exit codes follow diff(1): 0 the
 * sets are the same, 1 they differ, and anything else is trouble (here 1 too when a set does not
 * compile, with its problems on stderr, since a broken set cannot be compared).
 */
@Command(
        name = "diff",
        mixinStandardHelpOptions = true,
        versionProvider = VetoCli.Version.class,
        description = {
            "Show what changes if rule set DIR_B replaces DIR_A: thresholds, rules, lists, examples.",
            "Exits 0 when they are the same, 1 when they differ or one has a problem."
        })
final class DiffCommand implements Callable<Integer> {
    static final int DIFFERENT = 1;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR_A", description = "The rule set as it is (e.g. the published one)")
    Path a;

    @Parameters(index = "1", paramLabel = "DIR_B", description = "The rule set as it would be")
    Path b;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            for (Path dir : List.of(a, b)) {
                if (!RuleSetDirs.isRuleSet(dir)) {
                    err.println(RuleSetDirs.display(dir) + ": not a rule set (no ruleset.yaml)");
                    return VetoCli.PROBLEM;
                }
            }
            Loaded before = Loaded.load(a, err);
            Loaded after = Loaded.load(b, err);
            if (!before.ok() || !after.ok()) {
                err.println("cannot compare: fix the problems above first");
                return VetoCli.PROBLEM;
            }
            String va = before.compiled().version();
            String vb = after.compiled().version();
            if (va.equals(vb)) {
                out.println("same rule set: " + va);
                return VetoCli.OK;
            }
            out.println("--- " + RuleSetDirs.display(a) + "  " + va);
            out.println("+++ " + RuleSetDirs.display(b) + "  " + vb);
            List<String> lines = RuleSetDiff.diff(before.compiled(), after.compiled());
            if (lines.isEmpty()) {
                out.println("no change to thresholds, rules, lists or examples (comments or formatting only)");
            }
            lines.forEach(out::println);
            return DIFFERENT;
        } finally {
            out.flush();
            err.flush();
        }
    }
}
