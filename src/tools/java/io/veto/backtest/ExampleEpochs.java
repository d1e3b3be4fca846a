package io.veto.backtest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeMap;

/**
 * Gives each example of a rule set its own stretch of event time, so that all of them can run
 * through one job and each still starts with fresh windows and sequences: example i is moved by a
 * whole number of weeks (its weekday and hour of day stay), far enough from every other that no
 * window or partial match of one reaches the next (more than the set's longest horizon apart),
 * and never across a time at which a rule starts or stops applying or a list entry expires (its
 * decisions must not change with the move).
 *
 * <p>Examples are placed in order, each at the smallest move (0, then +1 week, -1 week, +2 weeks
 * ...) that fits. One that fits nowhere — it spans such a time itself and another example is
 * already there, or it lies between two such times that other examples fill — goes into a second
 * run (round), and so on: a rule set's examples usually fit in one.
 */
final class ExampleEpochs {
    static final long WEEK = Duration.ofDays(7).toMillis();

    /** Where an example runs: moved by {@code shift} milliseconds (whole weeks), in run {@code round}. */
    record Placement(long shift, int round) {}

    /** The event times an example spans, first to last. */
    record Span(long first, long last) {}

    private ExampleEpochs() {}

    /**
     * @param spans each example's span
     * @param horizon how far back anything of the rule set looks (features, sequences)
     * @param validityChanges times from which a rule or list entry applies differently
     */
    static List<Placement> place(List<Span> spans, long horizon, NavigableSet<Long> validityChanges) {
        List<TreeMap<Long, Long>> rounds = new ArrayList<>();
        List<Placement> out = new ArrayList<>(spans.size());
        for (Span s : spans) {
            for (int round = 0; ; round++) {
                if (round == rounds.size()) {
                    rounds.add(new TreeMap<>());
                }
                Long shift = shift(s, horizon, validityChanges, rounds.get(round));
                if (shift != null) {
                    rounds.get(round).put(s.first() + shift, s.last() + shift);
                    out.add(new Placement(shift, round));
                    break;
                }
            }
        }
        return out;
    }

    /** The smallest move of {@code s} that fits among {@code placed}; null when none does. */
    private static Long shift(Span s, long horizon, NavigableSet<Long> changes, TreeMap<Long, Long> placed) {
        boolean later = true;
        boolean earlier = true;
        for (long weeks = 0; later || earlier; weeks++) {
            if (weeks == 0) {
                if (fits(s.first(), s.last(), horizon, placed)) {
                    return 0L;
                }
                continue;
            }
            long d = weeks * WEEK;
            // Moving farther in a direction that crosses a change crosses it too.
            later = later && !crosses(s, d, changes);
            if (later && fits(s.first() + d, s.last() + d, horizon, placed)) {
                return d;
            }
            earlier = earlier && !crosses(s, -d, changes);
            if (earlier && fits(s.first() - d, s.last() - d, horizon, placed)) {
                return -d;
            }
        }
        return null;
    }

    /** Whether moving every time in {@code s} by {@code d} crosses a validity change. */
    static boolean crosses(Span s, long d, NavigableSet<Long> changes) {
        // A rule applies at t iff from <= t < until: t and t + d agree unless a change c has
        // min(t, t + d) < c <= max(t, t + d); over all t of the span, c in (first + min(d, 0), last + max(d, 0)].
        Long c = changes.higher(s.first() + Math.min(d, 0));
        return c != null && c <= s.last() + Math.max(d, 0);
    }

    /** Whether [first, last] is more than {@code horizon} away from every placed span. */
    private static boolean fits(long first, long last, long horizon, TreeMap<Long, Long> placed) {
        Map.Entry<Long, Long> before = placed.floorEntry(last);
        if (before != null && first - before.getValue() <= horizon) {
            return false;
        }
        Map.Entry<Long, Long> after = placed.higherEntry(last);
        return after == null || after.getKey() - last > horizon;
    }
}
