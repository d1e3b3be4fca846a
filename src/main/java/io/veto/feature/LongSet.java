package io.veto.feature;

import java.util.Arrays;

/**
 * A reusable open-addressing set of non-zero longs (value hashes, already well mixed), for
 * counting distinct values without boxing. One per thread: Flink runs a subtask's functions on one
 * thread, and keyed state may be a fresh object on every access, so the scratch space cannot live
 * in the window.
 */
final class LongSet {
    private static final ThreadLocal<LongSet> SCRATCH = ThreadLocal.withInitial(LongSet::new);

    private long[] table = new long[64];
    private int size;

    /** This thread's set, emptied, with room for about {@code expected} values. */
    static LongSet scratch(int expected) {
        LongSet s = SCRATCH.get();
        s.reset(expected);
        return s;
    }

    private void reset(int expected) {
        int want = Integer.highestOneBit(Math.max(32, expected) * 2 - 1) << 1;
        // Shrink a table a busy entity grew, so that clearing it does not dominate later small counts.
        if (want > table.length || table.length > 4 * want) {
            table = new long[want];
        } else {
            Arrays.fill(table, 0L);
        }
        size = 0;
    }

    void add(long v) {
        if (size * 2 >= table.length) {
            long[] old = table;
            table = new long[old.length * 2];
            size = 0;
            for (long x : old) {
                if (x != 0) {
                    add(x);
                }
            }
        }
        int mask = table.length - 1;
        int i = (int) (v ^ (v >>> 32)) & mask;
        while (true) {
            long x = table[i];
            if (x == 0) {
                table[i] = v;
                size++;
                return;
            }
            if (x == v) {
                return;
            }
            i = (i + 1) & mask;
        }
    }

    int size() {
        return size;
    }
}
