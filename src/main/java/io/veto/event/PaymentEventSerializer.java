package io.veto.event;

import io.veto.serde.ImmutableSerializer;
import io.veto.serde.SerializerTypeInfo;
import io.veto.serde.VersionedSnapshot;
import io.veto.serde.Wire;
import java.io.IOException;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink's serializer of {@link PaymentEvent}, between operators and in state (a payment waiting for
 * its entity features). Written by hand because a payment crosses four to five network channels
 * on its way to a decision: Flink's record serializer reflects on every field and encodes strings
 * char by char, which the benchmark's profile showed. Version 1 layout: the strings as
 * {@link Wire#writeString}, the type's {@link EventType#code()} (-1 for none), the event time as 8 bytes, the amount as
 * zig-zag unscaled value and scale (or its text beyond 63 bits), latitude and longitude behind a
 * presence byte. New fields go at the end with a new snapshot version.
 */
public final class PaymentEventSerializer extends ImmutableSerializer<PaymentEvent> {
    private static final long serialVersionUID = 1L;
    public static final PaymentEventSerializer INSTANCE = new PaymentEventSerializer();
    /** The data format this serializer writes (see {@link VersionedSnapshot}). */
    public static final int FORMAT = 1;

    private static final int AMOUNT_NULL = 0;
    private static final int AMOUNT_LONG = 1;
    private static final int AMOUNT_TEXT = 2;

    @Override
    public PaymentEvent createInstance() {
        return null;
    }

    @Override
    public void serialize(PaymentEvent e, DataOutputView out) throws IOException {
        Wire.writeString(out, e.eventId());
        out.writeByte(e.type() == null ? -1 : e.type().code());
        Wire.writeString(out, e.paymentId());
        out.writeLong(e.eventTime());
        Wire.writeString(out, e.cardToken());
        Wire.writeString(out, e.bin());
        Wire.writeString(out, e.last4());
        Wire.writeString(out, e.customerId());
        Wire.writeString(out, e.merchantId());
        Wire.writeString(out, e.mcc());
        Wire.writeString(out, e.terminalId());
        writeAmount(out, e.amount());
        Wire.writeString(out, e.currency());
        Wire.writeString(out, e.country());
        Wire.writeString(out, e.ip());
        Wire.writeString(out, e.deviceId());
        Wire.writeString(out, e.channel());
        out.writeByte((e.lat() != null ? 1 : 0) | (e.lon() != null ? 2 : 0));
        if (e.lat() != null) {
            out.writeDouble(e.lat());
        }
        if (e.lon() != null) {
            out.writeDouble(e.lon());
        }
        Wire.writeString(out, e.source());
    }

    @Override
    public PaymentEvent deserialize(DataInputView in) throws IOException {
        String eventId = Wire.readString(in);
        int t = in.readByte();
        EventType type = t < 0 ? null : EventType.ofCode(t);
        String paymentId = Wire.readString(in);
        long eventTime = in.readLong();
        String cardToken = Wire.readString(in);
        String bin = Wire.readString(in);
        String last4 = Wire.readString(in);
        String customerId = Wire.readString(in);
        String merchantId = Wire.readString(in);
        String mcc = Wire.readString(in);
        String terminalId = Wire.readString(in);
        BigDecimal amount = readAmount(in);
        String currency = Wire.readString(in);
        String country = Wire.readString(in);
        String ip = Wire.readString(in);
        String deviceId = Wire.readString(in);
        String channel = Wire.readString(in);
        int coordinates = in.readByte();
        Double lat = (coordinates & 1) != 0 ? in.readDouble() : null;
        Double lon = (coordinates & 2) != 0 ? in.readDouble() : null;
        String source = Wire.readString(in);
        return new PaymentEvent(
                eventId,
                type,
                paymentId,
                eventTime,
                cardToken,
                bin,
                last4,
                customerId,
                merchantId,
                mcc,
                terminalId,
                amount,
                currency,
                country,
                ip,
                deviceId,
                channel,
                lat,
                lon,
                source);
    }

    private static void writeAmount(DataOutputView out, BigDecimal a) throws IOException {
        if (a == null) {
            out.writeByte(AMOUNT_NULL);
        } else if (a.unscaledValue().bitLength() < 63) {
            out.writeByte(AMOUNT_LONG);
            Wire.writeSignedVarLong(out, a.unscaledValue().longValue());
            Wire.writeSignedVarLong(out, a.scale());
        } else {
            out.writeByte(AMOUNT_TEXT);
            Wire.writeString(out, a.unscaledValue().toString());
            Wire.writeSignedVarLong(out, a.scale());
        }
    }

    private static BigDecimal readAmount(DataInputView in) throws IOException {
        int kind = in.readByte();
        return switch (kind) {
            case AMOUNT_NULL -> null;
            case AMOUNT_LONG -> BigDecimal.valueOf(Wire.readSignedVarLong(in), (int) Wire.readSignedVarLong(in));
            case AMOUNT_TEXT -> new BigDecimal(new BigInteger(Wire.readString(in)), (int) Wire.readSignedVarLong(in));
            default -> throw new IOException("unknown amount encoding " + kind);
        };
    }

    @Override
    public TypeSerializerSnapshot<PaymentEvent> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Data format 1 (the layout above) is the current one. */
    public static final class Snapshot extends VersionedSnapshot<PaymentEvent> {
        public Snapshot() {
            super(FORMAT, f -> f == FORMAT ? INSTANCE : null);
        }
    }

    /** What {@code @TypeInfo} on {@link PaymentEvent} names. */
    public static final class Factory extends TypeInfoFactory<PaymentEvent> {
        @Override
        public TypeInformation<PaymentEvent> createTypeInfo(Type t, Map<String, TypeInformation<?>> genericParameters) {
            return new SerializerTypeInfo<>(PaymentEvent.class, () -> INSTANCE);
        }
    }
}
