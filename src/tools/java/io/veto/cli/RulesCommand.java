package io.veto.cli;

import io.veto.backtest.report.ReportCommand;
import picocli.CommandLine.Command;

/** The {@code rules} group: check, test, compare and publish rule-set directories, and report on backtests. */
@Command(
        name = "rules",
        mixinStandardHelpOptions = true,
        versionProvider = VetoCli.Version.class,
        description = "Check, test, compare, backtest, report on, sign and publish rule sets.",
        subcommands = {
            ValidateCommand.class,
            TestCommand.class,
            DiffCommand.class,
            PublishCommand.class,
            KeygenCommand.class,
            BacktestCommand.class,
            HistoryCommand.class,
            ReportCommand.class
        })
final class RulesCommand {}
