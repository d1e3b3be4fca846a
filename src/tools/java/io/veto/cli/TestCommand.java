package io.veto.cli;

import io.veto.backtest.GraphExamples;
import io.veto.backtest.LocalCluster;
import io.veto.scoring.ExampleRunner;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code rules test [DIR...]}: runs every example of the rule set through the job itself (its graph
 * on a local MiniCluster, all examples of a set in one run: {@link GraphExamples}) and reports each
 * as PASS or FAIL, with the actual decision and reasons of a failure; exit 1 when any example fails
 * or the rule set does not compile.
 */
@Command(
        name = "test",
        mixinStandardHelpOptions = true,
        versionProvider = VetoCli.Version.class,
        description = {
            "Run the examples written in a rule set's files through the job (its graph, on a local MiniCluster).",
            "Exits 1 if any example fails or the rule set has a problem."
        })
final class TestCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(
            arity = "0..*",
            paramLabel = "DIR",
            description = "Rule-set directories, or directories holding them (default: rules/default)")
    List<Path> dirs = List.of(RuleSetDirs.DEFAULT);

    @Option(
            names = {"-v", "--verbose"},
            description = "Also show the decision and reasons of passing examples")
    boolean verbose;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean failed = false;
        // The job's local cluster starts while the rule sets load and compile; every set runs on it.
        CompletableFuture<LocalCluster> cluster = CompletableFuture.supplyAsync(LocalCluster::oneSlot);
        try {
            for (Path d : dirs) {
                List<Path> sets = RuleSetDirs.find(d, err);
                failed |= sets.isEmpty();
                for (Path dir : sets) {
                    failed |= !test(dir, cluster, out, err);
                }
            }
        } finally {
            cluster.thenAccept(TestCommand::close);
        }
        out.flush();
        err.flush();
        return failed ? VetoCli.PROBLEM : VetoCli.OK;
    }

    private static void close(LocalCluster cluster) {
        try {
            cluster.close();
        } catch (Exception e) {
            // Stopping the local cluster failed: nothing of the results depends on it.
        }
    }

    /** Runs one rule set's examples; true when all passed. */
    private boolean test(Path dir, CompletableFuture<LocalCluster> cluster, PrintWriter out, PrintWriter err) {
        Loaded l = Loaded.load(dir, err);
        if (!l.ok()) {
            err.println(RuleSetDirs.display(dir) + ": " + ValidateCommand.plural(l.problems(), "problem")
                    + "; no example was run");
            return false;
        }
        out.println(RuleSetDirs.display(dir) + " (" + l.compiled().version() + ")");
        List<ExampleRunner.Result> results;
        try {
            results = GraphExamples.run(cluster.join(), l.ruleSet(), l.compiled());
        } catch (Exception e) {
            err.println(RuleSetDirs.display(dir) + ": the examples could not be run: " + e);
            return false;
        }
        int failures = 0;
        for (ExampleRunner.Result r : results) {
            String where = RuleSetDirs.display(dir.resolve(r.example().file())) + ":"
                    + r.example().line();
            out.println("  " + (r.passed() ? "PASS" : "FAIL") + "  " + where + "  "
                    + r.example().name());
            if (!r.passed()) {
                failures++;
                r.mismatches().forEach(m -> out.println("        " + m));
            }
            if (!r.passed() || verbose) {
                ExampleRunner.describe(r.decision()).forEach(line -> out.println("        " + line));
            }
        }
        if (results.isEmpty()) {
            out.println("  no examples: write some under 'examples:' in a rule or list file (see rules/README.md)");
        } else {
            out.println(ValidateCommand.plural(results.size(), "example") + ": " + (results.size() - failures)
                    + " passed, " + failures + " failed");
        }
        return failures == 0;
    }
}
