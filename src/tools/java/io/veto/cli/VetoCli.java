package io.veto.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code veto} command line for analysts and CI: {@code veto rules validate|test|publish|diff}.
 * Exit codes: 0 success, 1 the rule set has a problem (invalid, an example failed, the job
 * rejected it, or {@code diff} found differences), 2 wrong usage, 3 Kafka could not be reached or
 * did not answer in time.
 */
@Command(
        name = "veto",
        mixinStandardHelpOptions = true,
        versionProvider = VetoCli.Version.class,
        description = "Veto's tools for rule sets.",
        subcommands = {RulesCommand.class})
public final class VetoCli {
    public static final int OK = 0;
    public static final int PROBLEM = 1;
    public static final int USAGE = 2;
    public static final int UNREACHABLE = 3;

    /** A command line with Veto's commands, ready to {@link CommandLine#execute}. */
    public static CommandLine commandLine() {
        return new CommandLine(new VetoCli()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    /** The version from the jar's manifest; a build from source has none. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = VetoCli.class.getPackage().getImplementationVersion();
            return new String[] {"veto " + (v == null ? "(built from source)" : v)};
        }
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
