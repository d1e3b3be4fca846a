package io.veto.event;

import static org.assertj.core.api.Assertions.assertThat;

import io.veto.card.CardInput;
import io.veto.entity.EntityFeatures;
import io.veto.entity.EntityRequest;
import io.veto.entity.EntitySerializers;
import io.veto.feature.Entity;
import io.veto.rule.SequenceMatch;
import io.veto.serde.SerializerTypeInfo;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/** Veto's own serializers of what travels between operators: exact round trips, also of odd values. */
class PaymentEventSerializerTest {
    private static <T> T roundTrip(TypeSerializer<T> s, T value) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        s.serialize(value, out);
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        T back = s.deserialize(in);
        assertThat(in.available()).as("everything written is read").isZero();
        return back;
    }

    private static PaymentEvent full() {
        return new PaymentEvent(
                "evt-1",
                EventType.PAYMENT,
                "pay-1",
                1_796_000_000_123L,
                "tok_abc",
                "411111",
                "1111",
                "cust-1",
                "mer-00042",
                "5411",
                "T00004201",
                new BigDecimal("1250.50"),
                "EUR",
                "DE",
                "81.12.4.7",
                "dev-9f1c",
                "ECOM",
                52.52,
                -13.4,
                "payments/2/18211");
    }

    @Test
    void shouldReadBackEveryField() throws IOException {
        PaymentEvent e = full();
        PaymentEvent back = roundTrip(PaymentEventSerializer.INSTANCE, e);
        assertThat(back).isEqualTo(e);
        assertThat(back.amount().scale())
                .as("the amount keeps its scale: it is money")
                .isEqualTo(2);
    }

    @Test
    void shouldReadBackNullsUnicodeAndExtremeAmounts() throws IOException {
        List<BigDecimal> amounts = List.of(
                new BigDecimal("0"),
                new BigDecimal("0.0001"),
                new BigDecimal("999999999999.9999"),
                new BigDecimal("123456789012345678901234567890.12"),
                new BigDecimal("1E+3"));
        for (BigDecimal amount : amounts) {
            PaymentEvent e = new PaymentEvent(
                    "évt-ü-€",
                    null,
                    null,
                    Long.MIN_VALUE,
                    null,
                    null,
                    null,
                    "客户-1",
                    null,
                    null,
                    null,
                    amount,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    0.0,
                    null);
            PaymentEvent back = roundTrip(PaymentEventSerializer.INSTANCE, e);
            assertThat(back).isEqualTo(e);
            assertThat(back.amount().scale()).isEqualTo(amount.scale());
        }
    }

    @Test
    void shouldBeUsedByFlinkForThePaymentAndWhatCarriesIt() {
        SerializerConfigImpl config = new SerializerConfigImpl();
        assertThat(TypeInformation.of(PaymentEvent.class)).isInstanceOf(SerializerTypeInfo.class);
        assertThat(TypeInformation.of(PaymentEvent.class).createSerializer(config))
                .isSameAs(PaymentEventSerializer.INSTANCE);
        assertThat(TypeInformation.of(EntityRequest.class).createSerializer(config))
                .isInstanceOf(EntitySerializers.RequestSerializer.class);
        assertThat(TypeInformation.of(EntityFeatures.class).createSerializer(config))
                .isInstanceOf(EntitySerializers.FeaturesSerializer.class);
        // A record with a payment field stays a POJO whose field uses the payment's serializer.
        PojoTypeInfo<CardInput> cardInput = (PojoTypeInfo<CardInput>) TypeInformation.of(CardInput.class);
        assertThat(cardInput.getTypeAt(cardInput.getFieldIndex("event"))).isInstanceOf(SerializerTypeInfo.class);
    }

    @Test
    void shouldReadBackEntityRequestsAndAnswers() throws IOException {
        EntityRequest r = new EntityRequest(
                "merchant:mer-00042", Entity.MERCHANT, full(), new String[] {"count_10m", "distinct_card_1h"});
        EntityRequest back = roundTrip(EntitySerializers.RequestSerializer.INSTANCE, r);
        assertThat(back.key()).isEqualTo(r.key());
        assertThat(back.entity()).isEqualTo(Entity.MERCHANT);
        assertThat(back.event()).isEqualTo(r.event());
        assertThat(back.features()).containsExactly(r.features());

        EntityFeatures f = new EntityFeatures(
                "tok_abc", "pay-1", 17L, Entity.IP, new String[] {"distinct_card_1h"}, new double[] {3.0});
        EntityFeatures fb = roundTrip(EntitySerializers.FeaturesSerializer.INSTANCE, f);
        assertThat(fb.cardToken()).isEqualTo("tok_abc");
        assertThat(fb.paymentId()).isEqualTo("pay-1");
        assertThat(fb.eventTime()).isEqualTo(17L);
        assertThat(fb.entity()).isEqualTo(Entity.IP);
        assertThat(fb.names()).containsExactly("distinct_card_1h");
        assertThat(fb.values()).containsExactly(3.0);
        assertThat(fb.partial()).isFalse();

        EntityFeatures partial = new EntityFeatures(
                "tok_abc",
                "pay-2",
                18L,
                Entity.CUSTOMER,
                new String[0],
                new double[0],
                new SequenceMatch[] {new SequenceMatch("seq-x", "seq-x@abc", new String[] {"e1", "e2"}, 1L, 18L)},
                true);
        EntityFeatures pb = roundTrip(EntitySerializers.FeaturesSerializer.INSTANCE, partial);
        assertThat(pb.partial()).isTrue();
        assertThat(pb.matches())
                .singleElement()
                .satisfies(m -> assertThat(m.eventIds()).containsExactly("e1", "e2"));
    }
}
