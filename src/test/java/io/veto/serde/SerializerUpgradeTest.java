package io.veto.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.veto.card.Pending;
import io.veto.card.PendingPayments;
import io.veto.entity.EntityFeatures;
import io.veto.entity.EntityRequest;
import io.veto.entity.EntitySerializers;
import io.veto.event.EventType;
import io.veto.event.PaymentEvent;
import io.veto.event.PaymentEventSerializer;
import io.veto.feature.Entity;
import io.veto.feature.EventWindow;
import io.veto.feature.EventWindowSerializer;
import io.veto.feature.FeatureSpec;
import io.veto.feature.WindowNeeds;
import io.veto.rule.SequenceMatch;
import io.veto.testing.SerializerFixtures;
import io.veto.testing.SerializerFixtures.Fixture;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every one of Veto's serializers reads what earlier releases wrote, in the manner of Flink's
 * {@code TypeSerializerUpgradeTestBase}: for each committed fixture (snapshot and data written by
 * a release, one per data format), the snapshot is read back, the current serializer's snapshot
 * judges it (compatible as is for the current format, after migration for an older one), the data
 * is read with the restored serializer and must equal the values that release wrote; and the
 * current serializer must write today's values byte for byte as the current format's fixture
 * holds them, so a format that changes without a version bump fails here.
 *
 * <p>The values of each serializer ({@link #specs()}) must never change: they are what every
 * committed format wrote. To add a format: bump the serializer's {@code FORMAT}, keep a serializer
 * of the old one in its snapshot, run {@code mvn -o test -Dtest=SerializerUpgradeTest
 * -Dveto.state-fixtures.write=true} and commit the new {@code format-<n>} directory.
 */
class SerializerUpgradeTest {
    private static final long T0 = Instant.parse("2026-11-28T12:00:00Z").toEpochMilli();

    /** One serializer under test: its fixture name, current format and serializer, and the values of the fixtures. */
    record Spec<T>(String name, int format, TypeSerializer<T> serializer, List<T> values) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Spec<?>> specs() {
        return Stream.of(
                new Spec<>("payment-event", PaymentEventSerializer.FORMAT, PaymentEventSerializer.INSTANCE, payments()),
                new Spec<>(
                        "entity-request",
                        EntitySerializers.FORMAT,
                        EntitySerializers.RequestSerializer.INSTANCE,
                        requests()),
                new Spec<>(
                        "entity-features",
                        EntitySerializers.FORMAT,
                        EntitySerializers.FeaturesSerializer.INSTANCE,
                        answers()),
                new Spec<>("event-window", EventWindowSerializer.FORMAT, EventWindowSerializer.INSTANCE, windows()),
                new Spec<>(
                        "pending-payments",
                        PendingPayments.Serializer.FORMAT,
                        PendingPayments.Serializer.INSTANCE,
                        pending()));
    }

    /** A payment of every event type (each type's code in the data), odd amounts, absent fields, coordinates. */
    private static List<PaymentEvent> payments() {
        List<PaymentEvent> out = new ArrayList<>();
        String[] amounts = {"12.50", "0", "0.0001", "123456789012345678901234567890.12", "1E+3"};
        int i = 0;
        for (EventType t : EventType.values()) {
            out.add(new PaymentEvent(
                    "evt-" + i,
                    t,
                    "pay-" + i,
                    T0 + i * 1_000L,
                    "tok-" + (i % 3),
                    "411111",
                    "1111",
                    "cust-" + i,
                    "mer-" + i,
                    "5411",
                    i % 2 == 0 ? null : "T-" + i,
                    new BigDecimal(amounts[i % amounts.length]),
                    "EUR",
                    "DE",
                    "10.0.0." + i,
                    "dev-" + i,
                    "ECOM",
                    i % 3 == 0 ? 52.52 : null,
                    i % 3 == 0 ? 13.4 : null,
                    "payments/" + (i % 4) + "/" + i));
            i++;
        }
        out.add(new PaymentEvent(
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
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                -0.5,
                null));
        return out;
    }

    private static List<EntityRequest> requests() {
        List<EntityRequest> out = new ArrayList<>();
        List<PaymentEvent> payments = payments();
        int i = 0;
        for (Entity e : Entity.values()) {
            out.add(new EntityRequest(e.ruleName() + ":k-" + i, e, payments.get(i % payments.size()), new String[] {
                e.ruleName() + ".count_10m", e.ruleName() + ".sum_amount_1h"
            }));
            i++;
        }
        return out;
    }

    private static List<EntityFeatures> answers() {
        List<EntityFeatures> out = new ArrayList<>();
        int i = 0;
        for (Entity e : Entity.values()) {
            out.add(new EntityFeatures(
                    "tok-" + i, "pay-" + i, T0 + i, e, new String[] {e.ruleName() + ".count_10m"}, new double[] {
                        i + 0.25
                    }));
            i++;
        }
        out.add(new EntityFeatures(
                "tok-c",
                "pay-c",
                T0,
                Entity.CUSTOMER,
                new String[0],
                new double[0],
                new SequenceMatch[] {new SequenceMatch("seq-ato", "seq-ato@1f", new String[] {"e1", "e2"}, T0 - 5, T0)},
                true));
        return out;
    }

    /** Windows with every optional part the layout has: hashes, feedback, hour buckets, remembered values. */
    private static List<EventWindow> windows() {
        Set<FeatureSpec> specs = new LinkedHashSet<>();
        for (String n : List.of(
                "count_10m",
                "avg_amount_30d",
                "max_amount_30d",
                "distinct_country_30d",
                "distinct_device_24h",
                "chargeback_rate_28d",
                "refund_count_1h",
                "since_last")) {
            specs.add(FeatureSpec.parse(Entity.CARD, n));
        }
        WindowNeeds needs = WindowNeeds.of(specs);
        List<EventWindow> out = new ArrayList<>();
        out.add(new EventWindow());
        EventWindow w = new EventWindow();
        String[] countries = {"DE", "FR", "IT"};
        long t = T0;
        for (int i = 0; i < 60; i++) {
            t += 3_600_000L + i * 7_919L;
            w.track(needs);
            if (i % 9 == 4) {
                w.add(new PaymentEvent(
                        "evt-f" + i,
                        i % 2 == 0 ? EventType.CHARGEBACK : EventType.REFUND,
                        "pay-" + (i - 1),
                        t,
                        "tok",
                        "411111",
                        "1111",
                        "cust",
                        "mer",
                        "5411",
                        null,
                        new BigDecimal("5.00"),
                        "EUR",
                        "DE",
                        null,
                        null,
                        "ECOM",
                        null,
                        null,
                        "p/0/" + i));
            } else {
                w.add(new PaymentEvent(
                        "evt-" + i,
                        EventType.PAYMENT,
                        "pay-" + i,
                        t,
                        "tok",
                        "411111",
                        "1111",
                        "cust",
                        "mer-" + (i % 4),
                        "5411",
                        null,
                        new BigDecimal((i * 37 % 500) + "." + (i % 100)),
                        "EUR",
                        countries[i % 3],
                        "10.0.0.1",
                        "dev-" + (i % 5),
                        "ECOM",
                        null,
                        null,
                        "p/0/" + i));
            }
            w.expire(t - 2_000, needs.horizon());
            if (i == 10 || i == 59) {
                out.add(EventWindowSerializer.INSTANCE.copy(w));
            }
        }
        return out;
    }

    private static List<PendingPayments> pending() {
        PendingPayments none = new PendingPayments();
        PendingPayments some = new PendingPayments();
        Pending waiting = new Pending();
        waiting.paymentId = "pay-1";
        waiting.payment = payments().get(0);
        waiting.eventTime = waiting.payment.eventTime();
        waiting.rulesVersion = "default@abc";
        waiting.parts = 3;
        waiting.received = 1;
        waiting.late = true;
        waiting.names = new String[] {"card.count_10m", "merchant.count_1h"};
        waiting.values = new double[] {2.0, 7.5};
        waiting.matches =
                new SequenceMatch[] {new SequenceMatch("seq-a", "seq-a@1", new String[] {"e1", "e2"}, 5L, 9L)};
        Pending early = new Pending();
        early.paymentId = "pay-2";
        early.eventTime = T0 + 1;
        early.received = 1;
        some.add(waiting);
        some.add(early);
        return List.of(none, some);
    }

    /** The values as the current serializer reads them back: what a fixture's values must equal field for field. */
    private static <T> List<T> canonical(Spec<T> spec) throws Exception {
        byte[] data = SerializerFixtures.data(spec.serializer(), spec.values());
        DataInputDeserializer in = new DataInputDeserializer(data);
        int n = in.readInt();
        List<T> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(spec.serializer().deserialize(in));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    <T> void shouldReadEveryCommittedFormatAndWriteTheCurrentOneUnchanged(Spec<T> spec) throws Exception {
        if (SerializerFixtures.writing()) {
            SerializerFixtures.write(spec.name(), spec.format(), spec.serializer(), spec.values());
            return;
        }
        TreeMap<Integer, Fixture<T>> fixtures = SerializerFixtures.readAll(spec.name());
        assertThat(fixtures).as("committed fixtures of %s", spec.name()).containsKey(spec.format());

        List<T> expected = canonical(spec);
        TypeSerializerSnapshot<T> current = spec.serializer().snapshotConfiguration();
        for (Fixture<T> f : fixtures.values()) {
            TypeSerializerSchemaCompatibility<T> c = current.resolveSchemaCompatibility(f.snapshot());
            if (f.format() == spec.format()) {
                assertThat(c.isCompatibleAsIs())
                        .as("%s format %d: %s", spec.name(), f.format(), c)
                        .isTrue();
            } else {
                assertThat(c.isCompatibleAfterMigration())
                        .as("%s format %d: %s", spec.name(), f.format(), c)
                        .isTrue();
            }
            assertThat(f.values())
                    .as("%s format %d read back", spec.name(), f.format())
                    .usingRecursiveFieldByFieldElementComparator()
                    .containsExactlyElementsOf(expected);
        }
        assertThat(SerializerFixtures.data(spec.serializer(), spec.values()))
                .as(
                        "%s writes format %d as its fixture holds it: a changed layout needs a new format",
                        spec.name(), spec.format())
                .isEqualTo(fixtures.get(spec.format()).data());
    }

    /**
     * Releases before versioned snapshots wrote Flink's {@code SimpleTypeSerializerSnapshot}
     * (version 3, no content) under the same class names: that is data format 1, the same bytes.
     */
    @Test
    void shouldTakeTheUnversionedSnapshotsOfEarlierReleasesAsFormatOne() throws Exception {
        for (Spec<?> spec : specs().toList()) {
            assertLegacyIsFormatOne(spec);
        }
    }

    private static <T> void assertLegacyIsFormatOne(Spec<T> spec) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        // As TypeSerializerSnapshot.writeVersionedSnapshot wrote them: class name, version, no content.
        out.writeUTF(spec.serializer().snapshotConfiguration().getClass().getName());
        out.writeInt(3);
        TypeSerializerSnapshot<T> legacy = TypeSerializerSnapshot.readVersionedSnapshot(
                new DataInputDeserializer(out.getCopyOfBuffer()), SerializerUpgradeTest.class.getClassLoader());
        assertThat(((VersionedSnapshot<T>) legacy).format()).isEqualTo(1);
        TypeSerializerSchemaCompatibility<T> c =
                spec.serializer().snapshotConfiguration().resolveSchemaCompatibility(legacy);
        assertThat(c.isCompatibleAsIs()).as("%s: %s", spec.name(), c).isTrue();
        assertThat(legacy.restoreSerializer()).isSameAs(spec.serializer());
    }
}
