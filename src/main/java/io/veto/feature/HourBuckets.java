package io.veto.feature;

import java.util.Arrays;

/**
 * The packed hour buckets of an {@link EventWindow}: its history older than 24 hours, one record
 * per UTC hour that had any event, oldest first, in a byte array. Packing matters: a card with a
 * few payments a day has about one non-empty hour per payment, and a bucket of count and sum takes
 * 3-4 bytes here where plain columns take 16.
 *
 * <p>Record layout; every number is an unsigned LEB128 varint:
 * <ol>
 *   <li>head: {@code gap << 3 | min(count, 7)}, where gap is the first record's hours since the
 *       epoch (zig-zag) and then the hours since the previous record, and count the number of
 *       payments; when count is 7 or more, {@code count - 7} follows</li>
 *   <li>amount sum, as an {@linkplain #writeAmount amount}</li>
 *   <li>with {@link #FEEDBACK}: {@code chargebacks << 1 | (refunds > 0)}, then refunds if any
 *       (refunds and reversals)</li>
 *   <li>with {@link #EXTREMES}, only when count &ge; 2: max and min amounts, {@link #NO_MAX} /
 *       {@link #NO_MIN} when unknown (the column was added after payments were folded into the
 *       bucket); with one payment both are the sum</li>
 *   <li>with {@link #SPREAD}, only when count &ge; 2: 8 bytes, the IEEE bits of the sum of squared
 *       deviations of the amounts from the bucket's mean, in fixed-point units squared, NaN when
 *       unknown; with one payment it is 0</li>
 * </ol>
 * An amount is written {@code zigzag(v / 10^(2c)) << 2 | c} with the largest c in 0..2 that divides
 * evenly: amounts are fixed point with 4 decimals but most currencies use 2, so sums are usually
 * whole cents and this saves a byte; c = 3 means a plain zig-zag varint follows (values beyond
 * 2^60). Reads scan forward with a {@link Reader}; the rare writes (folding payments in, dropping
 * old hours, a column change) go through a decoded {@link Table}.
 */
final class HourBuckets {
    static final long HOUR = 3_600_000L;

    static final int FEEDBACK = 1;
    static final int EXTREMES = 2;
    static final int SPREAD = 4;

    static final long NO_MAX = Long.MIN_VALUE;
    static final long NO_MIN = Long.MAX_VALUE;

    /**
     * Running totals over all buckets, kept in state beside them so that count, sum and feedback
     * over a long window need only the few records at its far edge: indexes into a {@code long[TOTALS]}.
     * {@link #NEWEST_START} bounds every bucket's start from above.
     */
    static final int PAYMENTS = 0;

    static final int AMOUNT = 1;
    static final int CHARGEBACKS = 2;
    static final int REFUNDS = 3;
    static final int NEWEST_START = 4;
    static final int TOTALS = 5;

    /** Divisors of {@link Writer#amount}: units of the 4th decimal, cents, whole units. */
    private static final long[] SCALES = {1L, 100L, 10_000L};

    private HourBuckets() {}

    /** Streams the records of a packed array without allocating per record. */
    static final class Reader {
        private final byte[] b;
        private final int columns;
        private int pos;
        private boolean first = true;
        long hour;
        long count;
        long sum;
        long chargebacks;
        long refunds;
        long max = NO_MAX;
        long min = NO_MIN;
        double spread;

        Reader(byte[] packed, int columns) {
            this.b = packed;
            this.columns = columns;
        }

        /** A reader of the records from byte {@code offset} on, the record before being in {@code previousHour}. */
        Reader(byte[] packed, int columns, int offset, long previousHour) {
            this(packed, columns);
            pos = offset;
            first = offset == 0;
            hour = previousHour;
        }

        /** Byte offset of the next record. */
        int position() {
            return pos;
        }

        boolean next() {
            if (b == null || pos >= b.length) {
                return false;
            }
            long head = varint();
            long gap = head >>> 3;
            hour = first ? unzigzag(gap) : hour + gap;
            first = false;
            count = head & 7;
            if (count == 7) {
                count += varint();
            }
            sum = readAmount();
            if ((columns & FEEDBACK) != 0) {
                long f = varint();
                chargebacks = f >>> 1;
                refunds = (f & 1) != 0 ? varint() : 0;
            }
            // One payment's max, min and spread follow from its amount; several need the columns.
            boolean several = count >= 2;
            if (several && (columns & EXTREMES) != 0) {
                max = readAmount();
                min = readAmount();
            } else {
                max = count == 1 ? sum : NO_MAX;
                min = count == 1 ? sum : NO_MIN;
            }
            if (several && (columns & SPREAD) != 0) {
                long bits = 0;
                for (int i = 0; i < 8; i++) {
                    bits |= (b[pos++] & 0xffL) << (8 * i);
                }
                spread = Double.longBitsToDouble(bits);
            } else {
                spread = several ? Double.NaN : 0.0;
            }
            return true;
        }

        private long readAmount() {
            long x = varint();
            int c = (int) (x & 3);
            return c == 3 ? unzigzag(varint()) : unzigzag(x >>> 2) * SCALES[c];
        }

        long start() {
            return hour * HOUR;
        }

        private long varint() {
            long v = 0;
            int shift = 0;
            while (true) {
                byte x = b[pos++];
                v |= (long) (x & 0x7f) << shift;
                if (x >= 0) {
                    return v;
                }
                shift += 7;
            }
        }
    }

    /** Decoded buckets as parallel arrays, every column present; missing ones read as unknown. */
    static final class Table {
        int n;
        long[] hours;
        long[] counts;
        long[] sums;
        long[] chargebacks;
        long[] refunds;
        long[] max;
        long[] min;
        double[] spread;

        Table(int capacity) {
            int c = Math.max(4, capacity);
            hours = new long[c];
            counts = new long[c];
            sums = new long[c];
            chargebacks = new long[c];
            refunds = new long[c];
            max = new long[c];
            min = new long[c];
            spread = new double[c];
        }

        /** The index of the bucket of {@code hour}, inserting an empty one if needed. */
        int bucket(long hour) {
            int lo = 0;
            int hi = n;
            // Folded payments are mostly newer than every bucket: look at the end first.
            if (n > 0 && hours[n - 1] < hour) {
                lo = n;
            } else {
                while (lo < hi) {
                    int mid = (lo + hi) >>> 1;
                    if (hours[mid] < hour) {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                if (lo < n && hours[lo] == hour) {
                    return lo;
                }
            }
            ensureRoom();
            int tail = n - lo;
            System.arraycopy(hours, lo, hours, lo + 1, tail);
            System.arraycopy(counts, lo, counts, lo + 1, tail);
            System.arraycopy(sums, lo, sums, lo + 1, tail);
            System.arraycopy(chargebacks, lo, chargebacks, lo + 1, tail);
            System.arraycopy(refunds, lo, refunds, lo + 1, tail);
            System.arraycopy(max, lo, max, lo + 1, tail);
            System.arraycopy(min, lo, min, lo + 1, tail);
            System.arraycopy(spread, lo, spread, lo + 1, tail);
            hours[lo] = hour;
            counts[lo] = 0;
            sums[lo] = 0;
            chargebacks[lo] = 0;
            refunds[lo] = 0;
            max[lo] = NO_MAX;
            min[lo] = NO_MIN;
            spread[lo] = 0.0;
            n++;
            return lo;
        }

        /** Appends the record {@code r} has just read. */
        void append(Reader r) {
            ensureRoom();
            hours[n] = r.hour;
            counts[n] = r.count;
            sums[n] = r.sum;
            chargebacks[n] = r.chargebacks;
            refunds[n] = r.refunds;
            max[n] = r.max;
            min[n] = r.min;
            spread[n] = r.spread;
            n++;
        }

        /** Makes room for one more bucket. */
        void ensureRoom() {
            if (n == hours.length) {
                int c = n + (n >> 1) + 1;
                hours = Arrays.copyOf(hours, c);
                counts = Arrays.copyOf(counts, c);
                sums = Arrays.copyOf(sums, c);
                chargebacks = Arrays.copyOf(chargebacks, c);
                refunds = Arrays.copyOf(refunds, c);
                max = Arrays.copyOf(max, c);
                min = Arrays.copyOf(min, c);
                spread = Arrays.copyOf(spread, c);
            }
        }

        /**
         * Adds one payment. Max and min stay unknown in a bucket that already had payments without
         * them; the spread is updated with Welford's step, which is NaN-preserving in the same way.
         */
        void addPayment(int i, long amount) {
            long c = counts[i];
            if (c == 0 || max[i] != NO_MAX) {
                max[i] = c == 0 ? amount : Math.max(max[i], amount);
                min[i] = c == 0 ? amount : Math.min(min[i], amount);
            }
            double oldMean = c == 0 ? 0.0 : (double) sums[i] / c;
            counts[i] = c + 1;
            sums[i] += amount;
            double newMean = (double) sums[i] / counts[i];
            spread[i] = c == 0 ? 0.0 : spread[i] + (amount - oldMean) * (amount - newMean);
        }

        /**
         * Running totals for reads: {@code countsBefore[i]} and {@code sumsBefore[i]} over buckets
         * {@code 0..i-1}, so that the count and sum of any range of hours take two lookups. Built by
         * {@link #withPrefixSums()}; the writes never maintain them.
         */
        long[] countsBefore;

        long[] sumsBefore;

        Table withPrefixSums() {
            countsBefore = new long[n + 1];
            sumsBefore = new long[n + 1];
            for (int i = 0; i < n; i++) {
                countsBefore[i + 1] = countsBefore[i] + counts[i];
                sumsBefore[i + 1] = sumsBefore[i] + sums[i];
            }
            return this;
        }

        /** Index of the first bucket whose hour is after {@code hour}. */
        int firstAfter(long hour) {
            int lo = 0;
            int hi = n;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (hours[mid] <= hour) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
    }

    static Table decode(byte[] packed, int columns) {
        return decode(new Reader(packed, columns), packed == null ? 4 : packed.length / 3 + 1);
    }

    private static Table decode(Reader r, int capacity) {
        Table t = new Table(capacity);
        while (r.next()) {
            t.append(r);
        }
        return t;
    }

    /**
     * Drops the buckets starting at or before {@code cutoff}: only the first one kept is re-coded
     * (its hour becomes absolute), the rest is copied. Returns the new array (null when nothing is
     * left, the same one when nothing was dropped) and subtracts what it dropped from {@code totals}
     * ({@link #TOTALS} layout).
     */
    static byte[] dropUpTo(byte[] packed, int columns, long cutoff, long[] totals) {
        Reader r = new Reader(packed, columns);
        while (true) {
            int start = r.position();
            if (!r.next()) {
                return null;
            }
            if (r.start() > cutoff) {
                if (start == 0) {
                    return packed;
                }
                Table first = new Table(1);
                first.append(r);
                byte[] head = encode(first, columns);
                byte[] out = Arrays.copyOf(head, head.length + packed.length - r.position());
                System.arraycopy(packed, r.position(), out, head.length, packed.length - r.position());
                return out;
            }
            totals[PAYMENTS] -= r.count;
            totals[AMOUNT] -= r.sum;
            totals[CHARGEBACKS] -= r.chargebacks;
            totals[REFUNDS] -= r.refunds;
        }
    }

    /** The packed form of {@code t} with these columns; null when it has no bucket. */
    static byte[] encode(Table t, int columns) {
        return encode(t, columns, null, 0, 0L);
    }

    /**
     * {@code prefix[0..keep)} followed by the records of {@code t}, the first of them coded as
     * following a record in {@code previousHour} (as the first record of all when {@code keep} is 0).
     */
    private static byte[] encode(Table t, int columns, byte[] prefix, int keep, long previousHour) {
        if (t.n == 0) {
            return keep == 0 ? null : Arrays.copyOf(prefix, keep);
        }
        Writer w = new Writer(keep + t.n * 4);
        if (keep > 0) {
            System.arraycopy(prefix, 0, w.b, 0, keep);
            w.n = keep;
        }
        for (int i = 0; i < t.n; i++) {
            long gap = i > 0 ? t.hours[i] - t.hours[i - 1] : keep == 0 ? zigzag(t.hours[0]) : t.hours[0] - previousHour;
            long count = t.counts[i];
            w.varint(gap << 3 | Math.min(count, 7));
            if (count >= 7) {
                w.varint(count - 7);
            }
            w.amount(t.sums[i]);
            if ((columns & FEEDBACK) != 0) {
                w.varint(t.chargebacks[i] << 1 | (t.refunds[i] > 0 ? 1 : 0));
                if (t.refunds[i] > 0) {
                    w.varint(t.refunds[i]);
                }
            }
            if (count >= 2 && (columns & EXTREMES) != 0) {
                w.amount(t.max[i]);
                w.amount(t.min[i]);
            }
            if (count >= 2 && (columns & SPREAD) != 0) {
                long bits = Double.doubleToRawLongBits(t.spread[i]);
                for (int k = 0; k < 8; k++) {
                    w.put((byte) (bits >>> (8 * k)));
                }
            }
        }
        return w.toArray();
    }

    /**
     * The newest record, found by one scan without decoding the rest: where it starts, its hour,
     * and the hour of the record before it.
     */
    static final class Newest {
        int offset;
        long hour;
        long previousHour;
    }

    /** The newest record of a non-empty packed array. */
    static Newest newest(byte[] packed, int columns) {
        Reader r = new Reader(packed, columns);
        Newest last = new Newest();
        while (true) {
            int start = r.position();
            long before = r.hour;
            if (!r.next()) {
                return last;
            }
            last.offset = start;
            last.previousHour = before;
            last.hour = r.hour;
        }
    }

    /**
     * Rewrites only the tail of a packed array: {@code newer} holds the buckets from the newest
     * record's hour on ({@code newest.hour} itself included, decoded from the array and updated, when
     * it has one) and replaces that record. The bytes are the same as encoding the whole table.
     */
    static byte[] replaceNewest(byte[] packed, int columns, Newest newest, Table newer, boolean includesNewest) {
        if (includesNewest) {
            return encode(newer, columns, packed, newest.offset, newest.previousHour);
        }
        return encode(newer, columns, packed, packed.length, newest.hour);
    }

    /** The newest record of a packed array, decoded, as a table to add to. */
    static Table decodeNewest(byte[] packed, int columns, Newest newest) {
        return decode(new Reader(packed, columns, newest.offset, newest.previousHour), 4);
    }

    private static final class Writer {
        private byte[] b;
        private int n;

        Writer(int capacity) {
            b = new byte[Math.max(16, capacity)];
        }

        void put(byte x) {
            if (n == b.length) {
                b = Arrays.copyOf(b, n * 2);
            }
            b[n++] = x;
        }

        /** See the class comment: whole cents or units in fewer bytes. */
        void amount(long v) {
            int c = 2;
            while (c > 0 && v % SCALES[c] != 0) {
                c--;
            }
            long z = zigzag(v / SCALES[c]);
            if ((z >>> 61) == 0) {
                varint(z << 2 | c);
            } else {
                varint(3);
                varint(zigzag(v));
            }
        }

        void varint(long v) {
            while ((v & ~0x7fL) != 0) {
                put((byte) ((v & 0x7f) | 0x80));
                v >>>= 7;
            }
            put((byte) v);
        }

        byte[] toArray() {
            return Arrays.copyOf(b, n);
        }
    }

    static long zigzag(long v) {
        return (v << 1) ^ (v >> 63);
    }

    static long unzigzag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }
}
