package io.veto.generator;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;

/**
 * Everything that shapes the synthetic payments stream of {@link PaymentGenerator}. Two generators
 * built from equal configs (and no {@link #liveClock()}) produce byte-identical streams.
 *
 * @param seed seeds the world (cards, customers, merchants) and the traffic drawn from it
 * @param cards number of cards; customers hold one to three of them
 * @param merchants number of merchants
 * @param fraudRate share of PAYMENT events that belong to an injected fraud scenario (0 to 0.5)
 * @param startTime event time of the simulated clock's first event (ignored with a live clock)
 * @param meanGapMicros mean event-time gap between consecutive events of the simulated clock
 *     (exponentially distributed). Together with {@code cards} it sets how active a card is: the
 *     default 2 s over 10,000 cards gives a few payments per card per day, which keeps genuine
 *     traffic clear of velocity rules
 * @param accountEventShare share of events that are LOGIN / PASSWORD_RESET / DEVICE_CHANGE
 * @param refundShare share of events that are REFUND or REVERSAL of an earlier payment
 * @param chargebackShare share of events that are CHARGEBACK of an earlier payment
 * @param epochMillisTime write {@code eventTime} as an epoch-millisecond number instead of ISO-8601
 * @param liveClock when non-null, "live" mode: each event's time is this clock's now at generation
 *     (never going backwards) instead of the simulated clock; the stream then depends on timing
 * @param runId when non-empty, put into every eventId/paymentId ({@code evt-<runId>-<seq>}) so that
 *     separate runs against one topic never reuse an id; empty gives {@code evt-<seq>}
 */
public record GeneratorConfig(
        long seed,
        int cards,
        int merchants,
        double fraudRate,
        Instant startTime,
        long meanGapMicros,
        double accountEventShare,
        double refundShare,
        double chargebackShare,
        boolean epochMillisTime,
        Clock liveClock,
        String runId) {

    public GeneratorConfig {
        Objects.requireNonNull(startTime, "startTime");
        Objects.requireNonNull(runId, "runId");
        if (cards < 1) {
            throw new IllegalArgumentException("cards must be >= 1, got " + cards);
        }
        if (merchants < 20) {
            throw new IllegalArgumentException("merchants must be >= 20, got " + merchants);
        }
        if (!(fraudRate >= 0 && fraudRate <= 0.5)) {
            throw new IllegalArgumentException("fraudRate must be in [0, 0.5], got " + fraudRate);
        }
        if (meanGapMicros < 1) {
            throw new IllegalArgumentException("meanGapMicros must be >= 1, got " + meanGapMicros);
        }
        if (!(accountEventShare >= 0
                && refundShare >= 0
                && chargebackShare >= 0
                && accountEventShare + refundShare + chargebackShare <= 0.5)) {
            throw new IllegalArgumentException("event shares must be >= 0 and add up to at most 0.5");
        }
        if (!runId.matches("[A-Za-z0-9_.]*")) {
            throw new IllegalArgumentException("runId may only hold letters, digits, '_' and '.'");
        }
    }

    /**
     * Realistic defaults with a fixed seed and start time: 10,000 cards, 2,000 merchants, 1% fraud,
     * a 2 s mean gap, 3% account events, 1.5% refunds/reversals, 0.2% chargebacks, ISO times.
     */
    public static GeneratorConfig defaults() {
        return new GeneratorConfig(
                20_261_128L,
                10_000,
                2_000,
                0.01,
                Instant.parse("2026-01-05T08:00:00Z"),
                2_000_000L,
                0.03,
                0.015,
                0.002,
                false,
                null,
                "");
    }

    /** Whether event times follow {@link #liveClock()} instead of the simulated clock. */
    public boolean live() {
        return liveClock != null;
    }

    public GeneratorConfig withSeed(long seed) {
        return new GeneratorConfig(
                seed,
                cards,
                merchants,
                fraudRate,
                startTime,
                meanGapMicros,
                accountEventShare,
                refundShare,
                chargebackShare,
                epochMillisTime,
                liveClock,
                runId);
    }

    public GeneratorConfig withCards(int cards) {
        return new GeneratorConfig(
                seed,
                cards,
                merchants,
                fraudRate,
                startTime,
                meanGapMicros,
                accountEventShare,
                refundShare,
                chargebackShare,
                epochMillisTime,
                liveClock,
                runId);
    }

    public GeneratorConfig withMerchants(int merchants) {
        return new GeneratorConfig(
                seed,
                cards,
                merchants,
                fraudRate,
                startTime,
                meanGapMicros,
                accountEventShare,
                refundShare,
                chargebackShare,
                epochMillisTime,
                liveClock,
                runId);
    }

    public GeneratorConfig withFraudRate(double fraudRate) {
        return new GeneratorConfig(
                seed,
                cards,
                merchants,
                fraudRate,
                startTime,
                meanGapMicros,
                accountEventShare,
                refundShare,
                chargebackShare,
                epochMillisTime,
                liveClock,
                runId);
    }

    public GeneratorConfig withStartTime(Instant startTime) {
        return new GeneratorConfig(
                seed,
                cards,
                merchants,
                fraudRate,
                startTime,
                meanGapMicros,
                accountEventShare,
                refundShare,
                chargebackShare,
                epochMillisTime,
                liveClock,
                runId);
    }

    public GeneratorConfig withMeanGapMicros(long meanGapMicros) {
        return new GeneratorConfig(
                seed,
                cards,
                merchants,
                fraudRate,
                startTime,
                meanGapMicros,
                accountEventShare,
                refundShare,
                chargebackShare,
                epochMillisTime,
                liveClock,
                runId);
    }

    /** Shares of account events, refunds/reversals and chargebacks among all events. */
    public GeneratorConfig withEventShares(double accountEventShare, double refundShare, double chargebackShare) {
        return new GeneratorConfig(
                seed,
                cards,
                merchants,
                fraudRate,
                startTime,
                meanGapMicros,
                accountEventShare,
                refundShare,
                chargebackShare,
                epochMillisTime,
                liveClock,
                runId);
    }

    public GeneratorConfig withEpochMillisTime(boolean epochMillisTime) {
        return new GeneratorConfig(
                seed,
                cards,
                merchants,
                fraudRate,
                startTime,
                meanGapMicros,
                accountEventShare,
                refundShare,
                chargebackShare,
                epochMillisTime,
                liveClock,
                runId);
    }

    /** Live mode when non-null (e.g. {@link Clock#systemUTC()}); null for the simulated clock. */
    public GeneratorConfig withLiveClock(Clock liveClock) {
        return new GeneratorConfig(
                seed,
                cards,
                merchants,
                fraudRate,
                startTime,
                meanGapMicros,
                accountEventShare,
                refundShare,
                chargebackShare,
                epochMillisTime,
                liveClock,
                runId);
    }

    public GeneratorConfig withRunId(String runId) {
        return new GeneratorConfig(
                seed,
                cards,
                merchants,
                fraudRate,
                startTime,
                meanGapMicros,
                accountEventShare,
                refundShare,
                chargebackShare,
                epochMillisTime,
                liveClock,
                runId);
    }
}
