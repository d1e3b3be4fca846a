package io.veto.card;

import io.veto.event.PaymentEvent;
import io.veto.rule.SequenceMatch;
import java.util.Arrays;

/**
 * A payment whose entity features are still on their way: its card features (computed when it
 * arrived, in the card's own order) and the entity answers so far. Answers may come before the
 * payment (they travel another channel): then {@code payment} is still null. Kept in keyed state
 * ({@link PendingPayments}) so a restore resumes the wait.
 */
public final class Pending {
    public String paymentId;
    public PaymentEvent payment;
    public long eventTime;
    public String rulesVersion;
    public int parts;
    public int received;
    /**
     * Whether the payment was behind the watermark when it arrived (decided later, but late all the
     * same), or an entity answered it partially ({@link io.veto.entity.EntityFeatures#partial()}).
     */
    public boolean late;
    /** Qualified feature names ({@code card.count_10m}, {@code merchant.count_1m}) and their values. */
    public String[] names = new String[0];

    public double[] values = new double[0];
    /** The sequence matches the payment completed when it arrived. */
    public SequenceMatch[] matches = new SequenceMatch[0];

    public Pending() {}

    /** Records the payment's arrival: what to wait for, and whether it was late. */
    public void arrived(PaymentEvent payment, String rulesVersion, int parts, boolean late) {
        this.payment = payment;
        this.paymentId = payment.paymentId();
        this.eventTime = payment.eventTime();
        this.rulesVersion = rulesVersion;
        this.parts = parts;
        this.late |= late;
    }

    public void add(String name, double value) {
        int n = names.length;
        names = Arrays.copyOf(names, n + 1);
        values = Arrays.copyOf(values, n + 1);
        names[n] = name;
        values[n] = value;
    }

    public static SequenceMatch[] concat(SequenceMatch[] a, SequenceMatch[] b) {
        if (b == null || b.length == 0) {
            return a;
        }
        if (a == null || a.length == 0) {
            return b;
        }
        SequenceMatch[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    public boolean complete() {
        return payment != null && received >= parts;
    }
}
