package io.veto.feature;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HourBucketsTest {
    private static final int ALL = HourBuckets.FEEDBACK | HourBuckets.EXTREMES | HourBuckets.SPREAD;

    /** Random buckets: gaps of 1 to 300 hours, counts 0 to 40, amounts of 0, 2 or 4 decimals, some huge. */
    private static HourBuckets.Table table(Random rnd, int n) {
        HourBuckets.Table t = new HourBuckets.Table(n);
        long hour = 490_000 + rnd.nextInt(1000) - (rnd.nextBoolean() ? 1_000_000 : 0);
        for (int i = 0; i < n; i++) {
            hour += 1 + rnd.nextInt(rnd.nextBoolean() ? 3 : 300);
            int b = t.bucket(hour);
            int payments = rnd.nextInt(10) == 0 ? 0 : 1 + rnd.nextInt(rnd.nextBoolean() ? 2 : 40);
            for (int k = 0; k < payments; k++) {
                long amount = switch (rnd.nextInt(4)) {
                    case 0 -> rnd.nextInt(1_000_000);
                    case 1 -> rnd.nextInt(100_000) * 100L;
                    case 2 -> rnd.nextInt(1000) * 10_000L;
                    default -> rnd.nextInt(20) == 0 ? (1L << 61) + rnd.nextInt(1000) : 0L;
                };
                t.addPayment(b, amount);
            }
            t.chargebacks[b] = rnd.nextInt(3);
            t.refunds[b] = rnd.nextInt(5) == 0 ? rnd.nextInt(300) : 0;
        }
        return t;
    }

    private static HourBuckets.Table roundTrip(HourBuckets.Table t, int columns) {
        return HourBuckets.decode(HourBuckets.encode(t, columns), columns);
    }

    @Test
    void shouldDecodeWhatItEncodedWithEveryColumn() {
        Random rnd = new Random(7);
        for (int run = 0; run < 200; run++) {
            HourBuckets.Table t = table(rnd, 1 + rnd.nextInt(60));
            HourBuckets.Table back = roundTrip(t, ALL);

            assertThat(back.n).isEqualTo(t.n);
            for (int i = 0; i < t.n; i++) {
                assertThat(back.hours[i]).isEqualTo(t.hours[i]);
                assertThat(back.counts[i]).isEqualTo(t.counts[i]);
                assertThat(back.sums[i]).isEqualTo(t.sums[i]);
                assertThat(back.chargebacks[i]).isEqualTo(t.chargebacks[i]);
                assertThat(back.refunds[i]).isEqualTo(t.refunds[i]);
                if (t.counts[i] > 0) {
                    assertThat(back.max[i]).isEqualTo(t.max[i]);
                    assertThat(back.min[i]).isEqualTo(t.min[i]);
                    assertThat(back.spread[i]).isEqualTo(t.spread[i]);
                }
            }
        }
    }

    @Test
    void shouldKnowMaxMinAndSpreadOfASinglePaymentWithoutStoringThem() {
        HourBuckets.Table t = new HourBuckets.Table(2);
        t.addPayment(t.bucket(10), 5_000);
        t.addPayment(t.bucket(11), 7_000);
        t.addPayment(t.bucket(11), 9_000);

        HourBuckets.Table bare = roundTrip(t, 0);
        assertThat(bare.max[0]).isEqualTo(5_000);
        assertThat(bare.spread[0]).isZero();
        // Several payments folded without the columns: unknown, not made up.
        assertThat(bare.max[1]).isEqualTo(HourBuckets.NO_MAX);
        assertThat(bare.spread[1]).isNaN();
        assertThat(HourBuckets.encode(t, 0)).hasSizeLessThan(HourBuckets.encode(t, ALL).length);
    }

    @Test
    void shouldRewriteOnlyTheTailToTheSameBytesAsAFullEncoding() {
        Random rnd = new Random(11);
        for (int run = 0; run < 300; run++) {
            int columns = rnd.nextInt(8);
            HourBuckets.Table t = table(rnd, 1 + rnd.nextInt(30));
            byte[] packed = HourBuckets.encode(t, columns);
            HourBuckets.Newest newest = HourBuckets.newest(packed, columns);
            assertThat(newest.hour).isEqualTo(t.hours[t.n - 1]);

            boolean into = rnd.nextBoolean();
            HourBuckets.Table tail =
                    into ? HourBuckets.decodeNewest(packed, columns, newest) : new HourBuckets.Table(2);
            HourBuckets.Table whole = HourBuckets.decode(packed, columns);
            long hour = into ? newest.hour : newest.hour + 1 + rnd.nextInt(5);
            for (int k = rnd.nextInt(4); k >= 0; k--) {
                long amount = rnd.nextInt(50_000) * 100L;
                tail.addPayment(tail.bucket(hour), amount);
                whole.addPayment(whole.bucket(hour), amount);
                hour += rnd.nextInt(2);
            }

            assertThat(HourBuckets.replaceNewest(packed, columns, newest, tail, into))
                    .isEqualTo(HourBuckets.encode(whole, columns));
        }
    }

    @Test
    void shouldDropTheOldestHoursToTheSameBytesAsAFullEncodingAndKeepTheTotals() {
        Random rnd = new Random(13);
        for (int run = 0; run < 300; run++) {
            int columns = rnd.nextInt(8);
            HourBuckets.Table t = table(rnd, 1 + rnd.nextInt(30));
            byte[] packed = HourBuckets.encode(t, columns);
            HourBuckets.Table whole = HourBuckets.decode(packed, columns);
            long cutoff = (t.hours[rnd.nextInt(t.n)] + rnd.nextInt(3) - 1) * HourBuckets.HOUR + rnd.nextInt(2);
            long[] totals = new long[HourBuckets.TOTALS];

            byte[] dropped = HourBuckets.dropUpTo(packed, columns, cutoff, totals);

            HourBuckets.Table kept = new HourBuckets.Table(t.n);
            long payments = 0;
            for (int i = 0; i < whole.n; i++) {
                if (whole.hours[i] * HourBuckets.HOUR > cutoff) {
                    int b = kept.bucket(whole.hours[i]);
                    kept.counts[b] = whole.counts[i];
                    kept.sums[b] = whole.sums[i];
                    kept.chargebacks[b] = whole.chargebacks[i];
                    kept.refunds[b] = whole.refunds[i];
                    kept.max[b] = whole.max[i];
                    kept.min[b] = whole.min[i];
                    kept.spread[b] = whole.spread[i];
                } else {
                    payments += whole.counts[i];
                }
            }
            assertThat(dropped).isEqualTo(HourBuckets.encode(kept, columns));
            assertThat(-totals[HourBuckets.PAYMENTS]).isEqualTo(payments);
        }
    }
}
