package io.veto.feature;

import io.veto.serde.SerializerTypeInfo;
import io.veto.serde.VersionedSnapshot;
import io.veto.serde.Wire;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink's serializer of {@link EventWindow}, the state of every card and entity: read and written
 * once per event, and in every checkpoint. It writes only the used part of each array (Flink's POJO
 * serializer writes whole arrays, spare capacity included) and packs what is regular: event times
 * as varint deltas from the previous one (ascending: a few bytes each instead of 8), amounts as
 * zig-zag varints of the fixed-point value (three bytes for an everyday amount), small counts as
 * varints. Value hashes are random and stay 8 bytes. Reading gives arrays of exactly the used size.
 *
 * <p>Version 1 layout: a presence mask (bit 0 hashes, 1 feedback, 2 buckets, 3 hour totals,
 * 4 remembered values, 5 last folded payment, 6 cleanup timer), layout, horizon, size, times,
 * amounts, then what the mask says is present, in that order.
 */
public final class EventWindowSerializer extends TypeSerializerSingleton<EventWindow> {
    private static final long serialVersionUID = 1L;
    public static final EventWindowSerializer INSTANCE = new EventWindowSerializer();
    /** The data format this serializer writes (see {@link VersionedSnapshot}). */
    public static final int FORMAT = 1;

    private static final int HASHES = 1;
    private static final int FEEDBACK = 1 << 1;
    private static final int BUCKETS = 1 << 2;
    private static final int HOUR_TOTALS = 1 << 3;
    private static final int VALUES = 1 << 4;
    private static final int LAST_FOLDED = 1 << 5;
    private static final int CLEANUP_TIMER = 1 << 6;

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public EventWindow createInstance() {
        return new EventWindow();
    }

    @Override
    public EventWindow copy(EventWindow from) {
        EventWindow w = new EventWindow();
        w.times = Arrays.copyOf(from.times, from.times.length);
        w.amounts = Arrays.copyOf(from.amounts, from.amounts.length);
        w.size = from.size;
        w.hashes = from.hashes == null ? null : from.hashes.clone();
        w.layout = from.layout;
        w.feedbackTimes = from.feedbackTimes == null ? null : from.feedbackTimes.clone();
        w.feedbackKinds = from.feedbackKinds == null ? null : from.feedbackKinds.clone();
        w.feedbackSize = from.feedbackSize;
        // Never changed in place (replaced on every change), so shared safely.
        w.buckets = from.buckets;
        w.hourTotals = from.hourTotals == null ? null : from.hourTotals.clone();
        w.values = from.values == null ? null : from.values.clone();
        w.valueHours = from.valueHours == null ? null : from.valueHours.clone();
        w.valueCount = from.valueCount;
        w.lastFoldedPayment = from.lastFoldedPayment;
        w.cleanupTimer = from.cleanupTimer;
        w.horizon = from.horizon;
        return w;
    }

    @Override
    public EventWindow copy(EventWindow from, EventWindow reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(EventWindow w, DataOutputView out) throws IOException {
        int stride = Integer.bitCount(w.layout & WindowNeeds.TRACKED);
        int mask = (w.hashes != null && stride > 0 ? HASHES : 0)
                | (w.feedbackSize > 0 ? FEEDBACK : 0)
                | (w.buckets != null ? BUCKETS : 0)
                | (w.hourTotals != null ? HOUR_TOTALS : 0)
                | (w.valueCount > 0 ? VALUES : 0)
                | (w.lastFoldedPayment != Long.MIN_VALUE ? LAST_FOLDED : 0)
                | (w.cleanupTimer != Long.MIN_VALUE ? CLEANUP_TIMER : 0);
        Wire.writeVarInt(out, mask);
        Wire.writeVarInt(out, w.layout);
        Wire.writeVarLong(out, w.horizon);
        int n = w.size;
        Wire.writeVarInt(out, n);
        writeAscending(out, w.times, n);
        for (int i = 0; i < n; i++) {
            Wire.writeSignedVarLong(out, w.amounts[i]);
        }
        if ((mask & HASHES) != 0) {
            // A window restored or copied without hashes has fewer: its payments count as having no value.
            int have = Math.min(n * stride, w.hashes.length);
            Wire.writeVarInt(out, have);
            for (int i = 0; i < have; i++) {
                out.writeLong(w.hashes[i]);
            }
        }
        if ((mask & FEEDBACK) != 0) {
            Wire.writeVarInt(out, w.feedbackSize);
            writeAscending(out, w.feedbackTimes, w.feedbackSize);
            out.write(w.feedbackKinds, 0, w.feedbackSize);
        }
        if ((mask & BUCKETS) != 0) {
            Wire.writeVarInt(out, w.buckets.length);
            out.write(w.buckets);
        }
        if ((mask & HOUR_TOTALS) != 0) {
            Wire.writeVarInt(out, w.hourTotals.length);
            for (long t : w.hourTotals) {
                Wire.writeSignedVarLong(out, t);
            }
        }
        if ((mask & VALUES) != 0) {
            Wire.writeVarInt(out, w.valueCount);
            for (int i = 0; i < w.valueCount; i++) {
                out.writeLong(w.values[i]);
                Wire.writeSignedVarLong(out, w.valueHours[i]);
            }
        }
        if ((mask & LAST_FOLDED) != 0) {
            Wire.writeSignedVarLong(out, w.lastFoldedPayment);
        }
        if ((mask & CLEANUP_TIMER) != 0) {
            Wire.writeSignedVarLong(out, w.cleanupTimer);
        }
    }

    @Override
    public EventWindow deserialize(DataInputView in) throws IOException {
        EventWindow w = new EventWindow();
        int mask = Wire.readVarInt(in);
        w.layout = Wire.readVarInt(in);
        w.horizon = Wire.readVarLong(in);
        int n = Wire.readVarInt(in);
        w.size = n;
        w.times = readAscending(in, n);
        w.amounts = new long[n];
        for (int i = 0; i < n; i++) {
            w.amounts[i] = Wire.readSignedVarLong(in);
        }
        if ((mask & HASHES) != 0) {
            int stride = Integer.bitCount(w.layout & WindowNeeds.TRACKED);
            int have = Wire.readVarInt(in);
            // Room for every payment, as insertPayment expects; those written without hashes keep 0 (no value).
            w.hashes = new long[Math.max(have, n * stride)];
            for (int i = 0; i < have; i++) {
                w.hashes[i] = in.readLong();
            }
        }
        if ((mask & FEEDBACK) != 0) {
            int f = Wire.readVarInt(in);
            w.feedbackSize = f;
            w.feedbackTimes = readAscending(in, f);
            w.feedbackKinds = new byte[f];
            in.readFully(w.feedbackKinds);
        }
        if ((mask & BUCKETS) != 0) {
            w.buckets = new byte[Wire.readVarInt(in)];
            in.readFully(w.buckets);
        }
        if ((mask & HOUR_TOTALS) != 0) {
            w.hourTotals = new long[Wire.readVarInt(in)];
            for (int i = 0; i < w.hourTotals.length; i++) {
                w.hourTotals[i] = Wire.readSignedVarLong(in);
            }
        }
        if ((mask & VALUES) != 0) {
            int v = Wire.readVarInt(in);
            w.valueCount = v;
            w.values = new long[v];
            w.valueHours = new int[v];
            for (int i = 0; i < v; i++) {
                w.values[i] = in.readLong();
                w.valueHours[i] = (int) Wire.readSignedVarLong(in);
            }
        }
        w.lastFoldedPayment = (mask & LAST_FOLDED) != 0 ? Wire.readSignedVarLong(in) : Long.MIN_VALUE;
        w.cleanupTimer = (mask & CLEANUP_TIMER) != 0 ? Wire.readSignedVarLong(in) : Long.MIN_VALUE;
        return w;
    }

    /** Ascending times: the first zig-zag, then the (non-negative) gaps. */
    private static void writeAscending(DataOutputView out, long[] a, int n) throws IOException {
        long previous = 0;
        for (int i = 0; i < n; i++) {
            if (i == 0) {
                Wire.writeSignedVarLong(out, a[0]);
            } else {
                Wire.writeVarLong(out, a[i] - previous);
            }
            previous = a[i];
        }
    }

    private static long[] readAscending(DataInputView in, int n) throws IOException {
        long[] a = new long[n];
        long previous = 0;
        for (int i = 0; i < n; i++) {
            previous = i == 0 ? Wire.readSignedVarLong(in) : previous + Wire.readVarLong(in);
            a[i] = previous;
        }
        return a;
    }

    @Override
    public EventWindow deserialize(EventWindow reuse, DataInputView source) throws IOException {
        return deserialize(source);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        serialize(deserialize(source), target);
    }

    @Override
    public TypeSerializerSnapshot<EventWindow> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Data format 1 (the layout above) is the current one. */
    public static final class Snapshot extends VersionedSnapshot<EventWindow> {
        public Snapshot() {
            super(FORMAT, f -> f == FORMAT ? INSTANCE : null);
        }
    }

    /** What {@code @TypeInfo} on {@link EventWindow} names. */
    public static final class Factory extends TypeInfoFactory<EventWindow> {
        @Override
        public TypeInformation<EventWindow> createTypeInfo(Type t, Map<String, TypeInformation<?>> genericParameters) {
            return new SerializerTypeInfo<>(EventWindow.class, () -> INSTANCE);
        }
    }
}
