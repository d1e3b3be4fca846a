package io.veto.cli;

import picocli.CommandLine.Command;

/** The {@code rules} group: check, test, compare and publish rule-set directories. */
@Command(
        name = "rules",
        mixinStandardHelpOptions = true,
        versionProvider = VetoCli.Version.class,
        description = "Check, test, compare, publish and backtest rule sets.",
        subcommands = {ValidateCommand.class, TestCommand.class, DiffCommand.class, PublishCommand.class, BacktestCommand.class, HistoryCommand.class})
final class RulesCommand {}
