package io.veto.cli;

import picocli.CommandLine.Command;

/** The {@code rules} group: check, test, compare and publish rule-set directories. */
@Command(
        name = "rules",
        mixinStandardHelpOptions = true,
        versionProvider = VetoCli.Version.class,
        description = "Check, test, compare and publish rule sets.",
        subcommands = {ValidateCommand.class, TestCommand.class, DiffCommand.class, PublishCommand.class, KeygenCommand.class})
final class RulesCommand {}
