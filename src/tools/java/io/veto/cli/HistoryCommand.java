package io.veto.cli;

import io.veto.generator.GeneratorConfig;
import io.veto.generator.History;
import io.veto.job.JobOptions;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code rules history}: writes a labelled history for backtests, the generator's payments with
 * its fraud scenarios and a CHARGEBACK for each fraud some days later.
 */
@Command(
        name = "history",
        mixinStandardHelpOptions = true,
        versionProvider = VetoCli.Version.class,
        sortOptions = false,
        description = {
            "Write a labelled history of payment events (JSON lines, the payments-topic format) for backtests:",
            "the generator's traffic with its fraud scenarios, and a CHARGEBACK for each fraud payment days later."
        })
final class HistoryCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", paramLabel = "FILE.jsonl", required = true, description = "The file to write")
    Path out;

    @Option(names = "--days", defaultValue = "28", description = "Days of payments (default: ${DEFAULT-VALUE})")
    int days;

    @Option(
            names = "--cards",
            defaultValue = "2000",
            description = "Cards; each makes about 4 payments a day (default: ${DEFAULT-VALUE})")
    int cards;

    @Option(
            names = "--fraud-rate",
            defaultValue = "0.01",
            description = "Share of payments in a fraud scenario (default: ${DEFAULT-VALUE})")
    double fraudRate;

    @Option(
            names = "--seed",
            defaultValue = "20261128",
            description = "Same seed, same history (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(
            names = "--start",
            defaultValue = "2026-01-05T08:00:00Z",
            description = "Event time of the first event (default: ${DEFAULT-VALUE})")
    Instant start;

    @Option(
            names = "--chargeback-delay",
            defaultValue = "7d",
            converter = JobOptions.DurationConverter.class,
            description = "Mean time from a fraud payment to its chargeback (default: ${DEFAULT-VALUE})")
    Duration chargebackDelay;

    @Option(
            names = "--chargeback-jitter",
            defaultValue = "4d",
            converter = JobOptions.DurationConverter.class,
            description = "The delay is uniform within the mean plus or minus this (default: ${DEFAULT-VALUE})")
    Duration chargebackJitter;

    @Option(
            names = "--max-events",
            defaultValue = "0",
            description = "Stop the payments after this many events; 0: no limit (default: ${DEFAULT-VALUE})")
    long maxEvents;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        if (days < 1
                || cards < 1
                || !(fraudRate >= 0 && fraudRate <= 0.5)
                || chargebackJitter.compareTo(chargebackDelay) > 0) {
            err.println(
                    "history: --days and --cards must be at least 1, --fraud-rate in [0, 0.5], --chargeback-jitter at most --chargeback-delay");
            return VetoCli.USAGE;
        }
        // The generator's default activity (a 2 s mean gap over 10,000 cards) per card, whatever the number of cards.
        long gapMicros = Math.max(1, 2_000_000L * 10_000 / cards);
        GeneratorConfig config = GeneratorConfig.defaults()
                .withSeed(seed)
                .withCards(cards)
                .withMerchants(Math.max(20, Math.min(2_000, cards / 5)))
                .withFraudRate(fraudRate)
                .withStartTime(start)
                .withMeanGapMicros(gapMicros);
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        History.Counts c;
        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(out), 1 << 16)) {
            c = History.write(
                    new History.Settings(config, Duration.ofDays(days), maxEvents, chargebackDelay, chargebackJitter),
                    o);
        }
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf(
                Locale.ROOT,
                "history | %s: %,d events from %s to %s: %,d payments, %,d of them fraud, each charged back %s +- %s later%n",
                RuleSetDirs.display(out),
                c.events(),
                Instant.ofEpochMilli(c.firstEventTime()),
                Instant.ofEpochMilli(c.lastEventTime()),
                c.payments(),
                c.frauds(),
                days(chargebackDelay),
                days(chargebackJitter));
        stdout.flush();
        return VetoCli.OK;
    }

    private static String days(Duration d) {
        return d.toHours() % 24 == 0 ? d.toDays() + "d" : d.toHours() + "h";
    }
}
