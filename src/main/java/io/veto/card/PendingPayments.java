package io.veto.card;

import io.veto.event.PaymentEventSerializer;
import io.veto.rule.SequenceMatch;
import io.veto.serde.VersionedSnapshot;
import io.veto.serde.Wire;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The payments of one card still waiting for entity answers (usually none or one), kept in one
 * keyed value: reading whether a card has any is a point lookup, where a map state needs an
 * iterator (RocksDB: a seek) — and the card stage asks at every timer of the card.
 */
public final class PendingPayments {
    private Pending[] items;

    public PendingPayments() {
        this(new Pending[0]);
    }

    private PendingPayments(Pending[] items) {
        this.items = items;
    }

    /** The waiting payment (or early answers) of this payment id, or null. */
    public Pending get(String paymentId) {
        for (Pending p : items) {
            if (p.paymentId.equals(paymentId)) {
                return p;
            }
        }
        return null;
    }

    public void add(Pending p) {
        items = Arrays.copyOf(items, items.length + 1);
        items[items.length - 1] = p;
    }

    public void remove(Pending p) {
        removeIf(x -> x == p);
    }

    /** Removes and returns those that match, in the order they were added. */
    public List<Pending> removeIf(Predicate<Pending> which) {
        List<Pending> removed = new ArrayList<>(1);
        List<Pending> kept = new ArrayList<>(items.length);
        for (Pending p : items) {
            (which.test(p) ? removed : kept).add(p);
        }
        if (!removed.isEmpty()) {
            items = kept.toArray(new Pending[0]);
        }
        return removed;
    }

    public boolean isEmpty() {
        return items.length == 0;
    }

    public int size() {
        return items.length;
    }

    /** Flink's serializer. Format 1: a count, then each payment's fields; the event with Veto's own serializer. */
    public static final class Serializer extends TypeSerializerSingleton<PendingPayments> {
        private static final long serialVersionUID = 1L;
        public static final Serializer INSTANCE = new Serializer();
        /** The data format this serializer writes (see {@link VersionedSnapshot}). */
        public static final int FORMAT = 1;

        @Override
        public boolean isImmutableType() {
            return false;
        }

        @Override
        public PendingPayments createInstance() {
            return new PendingPayments();
        }

        @Override
        public PendingPayments copy(PendingPayments from) {
            Pending[] c = new Pending[from.items.length];
            for (int i = 0; i < c.length; i++) {
                c[i] = copy(from.items[i]);
            }
            return new PendingPayments(c);
        }

        private static Pending copy(Pending p) {
            Pending c = new Pending();
            c.paymentId = p.paymentId;
            c.payment = p.payment;
            c.eventTime = p.eventTime;
            c.rulesVersion = p.rulesVersion;
            c.parts = p.parts;
            c.received = p.received;
            c.late = p.late;
            c.names = p.names.clone();
            c.values = p.values.clone();
            c.matches = p.matches == null ? null : p.matches.clone();
            return c;
        }

        @Override
        public PendingPayments copy(PendingPayments from, PendingPayments reuse) {
            return copy(from);
        }

        @Override
        public int getLength() {
            return -1;
        }

        @Override
        public void serialize(PendingPayments all, DataOutputView out) throws IOException {
            Wire.writeVarInt(out, all.items.length);
            for (Pending p : all.items) {
                Wire.writeString(out, p.paymentId);
                out.writeBoolean(p.payment != null);
                if (p.payment != null) {
                    PaymentEventSerializer.INSTANCE.serialize(p.payment, out);
                }
                out.writeLong(p.eventTime);
                Wire.writeString(out, p.rulesVersion);
                Wire.writeVarInt(out, p.parts);
                Wire.writeVarInt(out, p.received);
                out.writeBoolean(p.late);
                Wire.writeStrings(out, p.names);
                for (double v : p.values) {
                    out.writeDouble(v);
                }
                SequenceMatch[] m = p.matches == null ? new SequenceMatch[0] : p.matches;
                Wire.writeVarInt(out, m.length);
                for (SequenceMatch x : m) {
                    Wire.writeString(out, x.ruleId());
                    Wire.writeString(out, x.stateKey());
                    Wire.writeStrings(out, x.eventIds());
                    out.writeLong(x.firstEventTime());
                    out.writeLong(x.lastEventTime());
                }
            }
        }

        @Override
        public PendingPayments deserialize(DataInputView in) throws IOException {
            Pending[] items = new Pending[Wire.readVarInt(in)];
            for (int i = 0; i < items.length; i++) {
                Pending p = new Pending();
                p.paymentId = Wire.readString(in);
                p.payment = in.readBoolean() ? PaymentEventSerializer.INSTANCE.deserialize(in) : null;
                p.eventTime = in.readLong();
                p.rulesVersion = Wire.readString(in);
                p.parts = Wire.readVarInt(in);
                p.received = Wire.readVarInt(in);
                p.late = in.readBoolean();
                p.names = Wire.readStrings(in);
                p.values = new double[p.names.length];
                for (int k = 0; k < p.values.length; k++) {
                    p.values[k] = in.readDouble();
                }
                SequenceMatch[] m = new SequenceMatch[Wire.readVarInt(in)];
                for (int k = 0; k < m.length; k++) {
                    m[k] = new SequenceMatch(
                            Wire.readString(in),
                            Wire.readString(in),
                            Wire.readStrings(in),
                            in.readLong(),
                            in.readLong());
                }
                p.matches = m;
                items[i] = p;
            }
            return new PendingPayments(items);
        }

        @Override
        public PendingPayments deserialize(PendingPayments reuse, DataInputView in) throws IOException {
            return deserialize(in);
        }

        @Override
        public void copy(DataInputView source, DataOutputView target) throws IOException {
            serialize(deserialize(source), target);
        }

        @Override
        public TypeSerializerSnapshot<PendingPayments> snapshotConfiguration() {
            return new Snapshot();
        }
    }

    /** Data format 1 (the layout of {@link Serializer}) is the current one. */
    public static final class Snapshot extends VersionedSnapshot<PendingPayments> {
        public Snapshot() {
            super(Serializer.FORMAT, f -> f == Serializer.FORMAT ? Serializer.INSTANCE : null);
        }
    }
}
