package io.veto.entity;

import io.veto.event.PaymentEventSerializer;
import io.veto.feature.Entity;
import io.veto.rule.SequenceMatch;
import io.veto.serde.ImmutableSerializer;
import io.veto.serde.SerializerTypeInfo;
import io.veto.serde.VersionedSnapshot;
import io.veto.serde.Wire;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink serializers of what travels to and from the entity stage: {@link EntityRequest} (also kept
 * in state while it waits at a checkpoint) and {@link EntityFeatures}. Hand-written for the same
 * reason as {@link PaymentEventSerializer}: one of each crosses the network per entity per payment.
 */
public final class EntitySerializers {
    /** The data format both serializers write (see {@link VersionedSnapshot}). */
    public static final int FORMAT = 1;

    private EntitySerializers() {}

    /** Format 1: key, entity code, the event, the feature names. */
    public static final class RequestSerializer extends ImmutableSerializer<EntityRequest> {
        private static final long serialVersionUID = 1L;
        public static final RequestSerializer INSTANCE = new RequestSerializer();

        @Override
        public EntityRequest createInstance() {
            return null;
        }

        @Override
        public void serialize(EntityRequest r, DataOutputView out) throws IOException {
            Wire.writeString(out, r.key());
            out.writeByte(r.entity().code());
            PaymentEventSerializer.INSTANCE.serialize(r.event(), out);
            Wire.writeStrings(out, r.features());
        }

        @Override
        public EntityRequest deserialize(DataInputView in) throws IOException {
            String key = Wire.readString(in);
            Entity entity = Entity.ofCode(in.readByte());
            return new EntityRequest(
                    key, entity, PaymentEventSerializer.INSTANCE.deserialize(in), Wire.readStrings(in));
        }

        @Override
        public TypeSerializerSnapshot<EntityRequest> snapshotConfiguration() {
            return new RequestSnapshot();
        }
    }

    public static final class RequestSnapshot extends VersionedSnapshot<EntityRequest> {
        public RequestSnapshot() {
            super(FORMAT, f -> f == FORMAT ? RequestSerializer.INSTANCE : null);
        }
    }

    public static final class RequestFactory extends TypeInfoFactory<EntityRequest> {
        @Override
        public TypeInformation<EntityRequest> createTypeInfo(
                Type t, Map<String, TypeInformation<?>> genericParameters) {
            return new SerializerTypeInfo<>(EntityRequest.class, () -> RequestSerializer.INSTANCE);
        }
    }

    /** Format 1: card token, payment id, event time, entity code, the names and their values, whether partial, sequence matches. */
    public static final class FeaturesSerializer extends ImmutableSerializer<EntityFeatures> {
        private static final long serialVersionUID = 1L;
        public static final FeaturesSerializer INSTANCE = new FeaturesSerializer();

        @Override
        public EntityFeatures createInstance() {
            return null;
        }

        @Override
        public void serialize(EntityFeatures f, DataOutputView out) throws IOException {
            Wire.writeString(out, f.cardToken());
            Wire.writeString(out, f.paymentId());
            out.writeLong(f.eventTime());
            out.writeByte(f.entity().code());
            Wire.writeStrings(out, f.names());
            Wire.writeVarInt(out, f.values().length);
            for (double v : f.values()) {
                out.writeDouble(v);
            }
            out.writeBoolean(f.partial());
            // Sequence matches of a customer-sequence answer; 0 for a feature stage's.
            SequenceMatch[] matches = f.matches();
            Wire.writeVarInt(out, matches == null ? 0 : matches.length);
            if (matches != null) {
                for (SequenceMatch m : matches) {
                    Wire.writeString(out, m.ruleId());
                    Wire.writeString(out, m.stateKey());
                    Wire.writeStrings(out, m.eventIds());
                    out.writeLong(m.firstEventTime());
                    out.writeLong(m.lastEventTime());
                }
            }
        }

        @Override
        public EntityFeatures deserialize(DataInputView in) throws IOException {
            String card = Wire.readString(in);
            String payment = Wire.readString(in);
            long time = in.readLong();
            Entity entity = Entity.ofCode(in.readByte());
            String[] names = Wire.readStrings(in);
            double[] values = new double[Wire.readVarInt(in)];
            for (int i = 0; i < values.length; i++) {
                values[i] = in.readDouble();
            }
            boolean partial = in.readBoolean();
            int n = Wire.readVarInt(in);
            SequenceMatch[] matches = n == 0 ? null : new SequenceMatch[n];
            for (int i = 0; i < n; i++) {
                matches[i] = new SequenceMatch(
                        Wire.readString(in), Wire.readString(in), Wire.readStrings(in), in.readLong(), in.readLong());
            }
            return new EntityFeatures(card, payment, time, entity, names, values, matches, partial);
        }

        @Override
        public TypeSerializerSnapshot<EntityFeatures> snapshotConfiguration() {
            return new FeaturesSnapshot();
        }
    }

    public static final class FeaturesSnapshot extends VersionedSnapshot<EntityFeatures> {
        public FeaturesSnapshot() {
            super(FORMAT, f -> f == FORMAT ? FeaturesSerializer.INSTANCE : null);
        }
    }

    public static final class FeaturesFactory extends TypeInfoFactory<EntityFeatures> {
        @Override
        public TypeInformation<EntityFeatures> createTypeInfo(
                Type t, Map<String, TypeInformation<?>> genericParameters) {
            return new SerializerTypeInfo<>(EntityFeatures.class, () -> FeaturesSerializer.INSTANCE);
        }
    }
}
