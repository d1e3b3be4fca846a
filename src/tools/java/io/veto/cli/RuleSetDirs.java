package io.veto.cli;

import io.veto.rule.RuleProblem;
import io.veto.rule.RuleSet;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds the rule sets a command was pointed at and names their files the way the analyst typed
 * them: relative to the working directory, so {@code file:line:col} can be clicked in an editor or
 * a CI log.
 */
final class RuleSetDirs {
    static final Path DEFAULT = Path.of("rules/default");

    private RuleSetDirs() {}

    /**
     * The rule sets under {@code dir}: {@code dir} itself when it holds a {@code ruleset.yaml},
     * otherwise each directory right below it that does ({@code rules/} holds {@code rules/default}).
     * Empty, with the reason on {@code err}, when there is none.
     */
    static List<Path> find(Path dir, PrintWriter err) {
        if (!Files.isDirectory(dir)) {
            err.println(display(dir) + ": no such directory");
            return List.of();
        }
        if (isRuleSet(dir)) {
            return List.of(dir);
        }
        List<Path> out = new ArrayList<>();
        try (Stream<Path> children = Files.list(dir)) {
            children.filter(RuleSetDirs::isRuleSet).sorted().forEach(out::add);
        } catch (IOException e) {
            err.println(display(dir) + ": cannot read: " + e.getMessage());
            return List.of();
        }
        if (out.isEmpty()) {
            err.println(display(dir) + ": not a rule set (no " + RuleSet.MANIFEST + ") and holds none");
        }
        return out;
    }

    static boolean isRuleSet(Path dir) {
        return Files.isDirectory(dir) && Files.isRegularFile(dir.resolve(RuleSet.MANIFEST));
    }

    /** The path relative to the working directory when it is below it, else absolute. */
    static String display(Path p) {
        Path cwd = Path.of("").toAbsolutePath().normalize();
        Path abs = p.toAbsolutePath().normalize();
        return (abs.startsWith(cwd) && !abs.equals(cwd) ? cwd.relativize(abs) : abs).toString();
    }

    /** {@code file:line:col: message} with the file named from the working directory. */
    static String display(Path ruleSetDir, RuleProblem p) {
        String file =
                p.file().startsWith("<") ? display(ruleSetDir) + "/" + p.file() : display(ruleSetDir.resolve(p.file()));
        return file + ":" + p.line() + ":" + p.column() + ": " + p.message();
    }
}
