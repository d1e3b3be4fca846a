package io.veto.feature;

import static io.veto.feature.TestEvents.DAY;
import static io.veto.feature.TestEvents.HOUR;
import static io.veto.feature.TestEvents.T0;
import static io.veto.feature.TestEvents.feedback;
import static io.veto.feature.TestEvents.payment;
import static org.assertj.core.api.Assertions.assertThat;

import io.veto.event.EventType;
import io.veto.event.PaymentEvent;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.java.typeutils.PojoField;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.api.java.typeutils.TypeExtractor;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/** {@link EventWindowSerializer}: exact round trips, independent copies, and state written by the old POJO serializer. */
class EventWindowSerializerTest {
    private static final EventWindowSerializer SERIALIZER = EventWindowSerializer.INSTANCE;

    private static final Set<FeatureSpec> RICH = specs(
            "count_10m",
            "avg_amount_30d",
            "stddev_amount_30d",
            "max_amount_30d",
            "distinct_country_30d",
            "distinct_device_24h",
            "chargeback_rate_28d",
            "refund_count_1h",
            "since_last");

    private static Set<FeatureSpec> specs(String... names) {
        Set<FeatureSpec> s = new LinkedHashSet<>();
        for (String n : names) {
            s.add(FeatureSpec.parse(Entity.CARD, n));
        }
        return s;
    }

    /** A month of random payments and feedback, as the card operator feeds them; returns the windows along the way. */
    private static List<EventWindow> windows(long seed) {
        Random rnd = new Random(seed);
        WindowNeeds needs = WindowNeeds.of(RICH);
        EventWindow w = new EventWindow();
        List<EventWindow> out = new ArrayList<>();
        long t = T0;
        String[] countries = {"DE", "FR", "IT", "ES"};
        for (int i = 0; i < 400; i++) {
            t += (long) (rnd.nextDouble() * 4 * HOUR);
            w.track(needs);
            if (rnd.nextInt(20) == 0) {
                w.add(feedback(rnd.nextBoolean() ? EventType.CHARGEBACK : EventType.REFUND, "p", t));
            } else {
                w.add(payment(t, (rnd.nextInt(100_000) / 100.0) + "", countries[rnd.nextInt(countries.length)]));
            }
            w.expire(t - 2_000, needs.horizon());
            if (i % 7 == 0) {
                out.add(SERIALIZER.copy(w));
            }
        }
        return out;
    }

    private static byte[] bytes(TypeSerializer<EventWindow> s, EventWindow w) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(256);
        s.serialize(w, out);
        return out.getCopyOfBuffer();
    }

    private static EventWindow read(TypeSerializer<EventWindow> s, byte[] b) throws IOException {
        return s.deserialize(new DataInputDeserializer(b));
    }

    private static void assertSameFeatures(EventWindow expected, EventWindow actual) {
        PaymentEvent probe = payment(expected.latestTime() + 1, "12.34", "PT");
        EventWindow a = SERIALIZER.copy(expected);
        EventWindow b = SERIALIZER.copy(actual);
        a.add(probe);
        b.add(probe);
        for (FeatureSpec spec : RICH) {
            assertThat(b.compute(spec, probe)).as(spec.name()).isEqualTo(a.compute(spec, probe));
        }
    }

    @Test
    void shouldComputeTheSameAfterARoundTripAndWriteTheSameBytesAgain() throws IOException {
        for (long seed = 1; seed <= 5; seed++) {
            for (EventWindow w : windows(seed)) {
                byte[] once = bytes(SERIALIZER, w);
                EventWindow back = read(SERIALIZER, once);
                assertSameFeatures(w, back);
                assertThat(bytes(SERIALIZER, back)).isEqualTo(once);
                assertThat(back.size).isEqualTo(w.size);
                assertThat(back.cleanupTimer).isEqualTo(w.cleanupTimer);
                assertThat(back.horizon).isEqualTo(w.horizon);
            }
        }
    }

    @Test
    void shouldCopyIndependently() {
        EventWindow w = windows(3).get(10);
        EventWindow copy = SERIALIZER.copy(w);
        int before = w.size;
        copy.add(payment(w.latestTime() + 1, "1.00", "DE"));
        assertThat(w.size).isEqualTo(before);
        assertThat(copy.size).isEqualTo(before + 1);
    }

    /** The POJO serializer Flink used for EventWindow before it had its own. */
    @SuppressWarnings("unchecked")
    private static TypeSerializer<EventWindow> pojoSerializer() {
        List<PojoField> fields = new ArrayList<>();
        for (Field f : EventWindow.class.getFields()) {
            if (!Modifier.isStatic(f.getModifiers())) {
                fields.add(new PojoField(f, TypeExtractor.getForClass(f.getType())));
            }
        }
        return new PojoTypeInfo<>(EventWindow.class, fields).createSerializer(new SerializerConfigImpl());
    }

    @Test
    void shouldMigrateStateWrittenByThePojoSerializer() throws IOException {
        TypeSerializer<EventWindow> pojo = pojoSerializer();
        TypeSerializerSchemaCompatibility<EventWindow> compatibility =
                SERIALIZER.snapshotConfiguration().resolveSchemaCompatibility(pojo.snapshotConfiguration());
        assertThat(compatibility.isCompatibleAfterMigration()).isTrue();

        TypeSerializer<EventWindow> restored = pojo.snapshotConfiguration().restoreSerializer();
        for (EventWindow w : windows(7)) {
            EventWindow migrated = read(SERIALIZER, bytes(SERIALIZER, read(restored, bytes(pojo, w))));
            assertSameFeatures(w, migrated);
        }
    }

    @Test
    void shouldWriteLessThanThePojoSerializer() throws IOException {
        TypeSerializer<EventWindow> pojo = pojoSerializer();
        long own = 0;
        long old = 0;
        for (EventWindow w : windows(11)) {
            own += bytes(SERIALIZER, w).length;
            old += bytes(pojo, w).length;
        }
        System.out.printf("EventWindowSerializer: %,d bytes where the POJO serializer wrote %,d%n", own, old);
        assertThat(own).isLessThan(old);
    }

    @Test
    void shouldKeepTheHourTierAcrossARoundTrip() throws IOException {
        EventWindow w = new EventWindow();
        w.track(RICH);
        w.add(payment(T0, "1.00", "FR"));
        w.add(feedback(EventType.CHARGEBACK, "p", T0 + HOUR));
        w.add(payment(T0 + 3 * DAY, "2.00", "DE"));
        w.expire(T0 + 3 * DAY, WindowNeeds.of(RICH).horizon());
        assertThat(w.buckets).isNotNull();
        assertSameFeatures(w, read(SERIALIZER, bytes(SERIALIZER, w)));
    }
}
