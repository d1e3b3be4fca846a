package io.veto.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Runs {@code veto} in-process with captured output, as a terminal or CI job would see it. */
final class Cli {
    record Run(int exit, String out, String err) {
        /** Both streams, for assertions that do not care which one a line went to. */
        String all() {
            return out + err;
        }
    }

    private Cli() {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = VetoCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** Copies a rule-set directory tree, e.g. rules/default, so a test can edit it. */
    static void copy(Path from, Path to) {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces the one occurrence of {@code before} in a file; fails when there is not exactly one. */
    static void edit(Path file, String before, String after) {
        try {
            String text = Files.readString(file);
            int at = text.indexOf(before);
            if (at < 0 || text.indexOf(before, at + 1) >= 0) {
                throw new IllegalArgumentException("'" + before + "' is not in " + file + " exactly once");
            }
            Files.writeString(file, text.substring(0, at) + after + text.substring(at + before.length()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
