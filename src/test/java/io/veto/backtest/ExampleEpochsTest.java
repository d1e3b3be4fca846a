package io.veto.backtest;

import static io.veto.backtest.ExampleEpochs.WEEK;
import static org.assertj.core.api.Assertions.assertThat;

import io.veto.backtest.ExampleEpochs.Placement;
import io.veto.backtest.ExampleEpochs.Span;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ExampleEpochsTest {
    private static final long NOV_28 = Instant.parse("2026-11-28T12:00:00Z").toEpochMilli();
    private static final long DEC_1 = Instant.parse("2026-12-01T00:00:00Z").toEpochMilli();
    private static final long JAN_1 = Instant.parse("2027-01-01T00:00:00Z").toEpochMilli();
    private static final long H30D = Duration.ofDays(30).toMillis();

    @Test
    void shouldMoveExamplesOfOneStartByWholeWeeksMoreThanTheHorizonApart() {
        List<Span> spans = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            spans.add(new Span(NOV_28, NOV_28 + Duration.ofHours(i).toMillis()));
        }
        List<Placement> p = ExampleEpochs.place(spans, H30D, new TreeSet<>());
        assertThat(p).allMatch(x -> x.round() == 0 && x.shift() % WEEK == 0);
        assertThat(p.get(0).shift()).isZero();
        assertApart(spans, p, H30D);
    }

    @Test
    void shouldNeverMoveAnExampleAcrossATimeWhenARuleStartsOrStopsApplying() {
        // A rule in force in December only: one example in it, one before it (not yet in force), one after a list
        // entry expired.
        TreeSet<Long> changes = new TreeSet<>(List.of(DEC_1, JAN_1));
        long dec20 = Instant.parse("2026-12-20T12:00:00Z").toEpochMilli();
        long nov30 = Instant.parse("2026-11-30T12:00:00Z").toEpochMilli();
        List<Span> spans = List.of(
                new Span(NOV_28, NOV_28 + 60_000),
                new Span(dec20, dec20),
                new Span(nov30, nov30),
                new Span(NOV_28, NOV_28),
                new Span(JAN_1 + 1, JAN_1 + 1));
        List<Placement> p = ExampleEpochs.place(spans, H30D, changes);
        for (int i = 0; i < spans.size(); i++) {
            assertThat(ExampleEpochs.crosses(spans.get(i), p.get(i).shift(), changes))
                    .as("example %d", i)
                    .isFalse();
        }
        assertThat(p.get(1).shift()).as("alone in December").isZero();
        assertThat(p.get(2).shift()).as("before December, moved back").isNegative();
        assertApart(spans, p, H30D);
    }

    @Test
    void shouldRunAnExampleThatSpansAChangeWhereAnotherIsInASecondRound() {
        TreeSet<Long> changes = new TreeSet<>(List.of(DEC_1));
        List<Span> spans = List.of(new Span(DEC_1 - 60_000, DEC_1 + 60_000), new Span(DEC_1 - 1_000, DEC_1 + 1_000));
        List<Placement> p = ExampleEpochs.place(spans, Duration.ofMinutes(10).toMillis(), changes);
        assertThat(p).containsExactly(new Placement(0, 0), new Placement(0, 1));
    }

    /** Within each round, every two examples are more than the horizon apart once moved. */
    private static void assertApart(List<Span> spans, List<Placement> p, long horizon) {
        for (int i = 0; i < spans.size(); i++) {
            for (int j = 0; j < spans.size(); j++) {
                if (i == j || p.get(i).round() != p.get(j).round()) {
                    continue;
                }
                long iLast = spans.get(i).last() + p.get(i).shift();
                long jFirst = spans.get(j).first() + p.get(j).shift();
                long jLast = spans.get(j).last() + p.get(j).shift();
                long iFirst = spans.get(i).first() + p.get(i).shift();
                assertThat(jFirst - iLast > horizon || iFirst - jLast > horizon)
                        .as("examples %d and %d apart", i, j)
                        .isTrue();
            }
        }
    }
}
