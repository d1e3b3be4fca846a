package io.veto.sequence;

import static io.veto.testing.CardEvents.pay;
import static io.veto.testing.Payments.BEGINNING;
import static org.assertj.core.api.Assertions.assertThat;

import io.veto.event.PaymentEvent;
import io.veto.rule.CompiledSequence;
import io.veto.rule.RuleSetCompiler;
import io.veto.rule.SequenceMatch;
import io.veto.testing.Payments;
import io.veto.testing.SerializerFixtures;
import io.veto.testing.SerializerFixtures.Fixture;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.api.common.typeutils.base.array.BytePrimitiveArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * The packed sequence state of a card part-way through a match, as this release wrote it
 * (committed under {@code state-fixtures/serializers/packed-sequence-state/}): its snapshot, with
 * flink-cep's serializers inside, is compatible with the current one, and a current host that
 * loads the bytes completes the match with the next payment. A state whose inner serializer
 * changed is refused, not misread. Regenerate with {@code -Dveto.state-fixtures.write=true} (see
 * {@link SerializerFixtures}) when the layout changes.
 */
class PackedStateUpgradeTest {
    private static final String NAME = "packed-sequence-state";
    private static final String CARD = "card-a";
    private static final String PAIR = """
              - id: pair
                within: 10m
                points: 10
                steps:
                  - name: small
                    where: amount < 2
                  - name: large
                    where: amount >= 200
            """;

    /** The heap store the offline decider uses, remembering the descriptor of the packed value. */
    private static final class Capturing implements SyncKeyedStateStore {
        final InMemoryKeyedStateStore store = new InMemoryKeyedStateStore();
        final Map<String, ValueStateDescriptor<?>> descriptors = new LinkedHashMap<>();

        @Override
        public <T> ValueState<T> getState(ValueStateDescriptor<T> d) {
            descriptors.put(d.getName(), d);
            return store.getState(d);
        }

        @SuppressWarnings("unchecked")
        TypeSerializer<byte[]> packedSerializer() {
            return ((ValueStateDescriptor<byte[]>) descriptors.get(PackedKeyedStateStore.STATE)).getSerializer();
        }

        ValueState<byte[]> packed() {
            store.setCurrentKey(CARD);
            return store.getState(
                    new ValueStateDescriptor<>(PackedKeyedStateStore.STATE, BytePrimitiveArraySerializer.INSTANCE));
        }

        @Override
        public String getBackendTypeIdentifier() {
            return "capturing";
        }
    }

    private static List<CompiledSequence> pair() throws Exception {
        return RuleSetCompiler.forJob()
                .compile(Payments.ruleSet("t", 40, 80, "sequences:\n" + PAIR))
                .sequences();
    }

    private static SequenceHost host(Capturing c) {
        SequenceHost h = new SequenceHost(
                c, TypeInformation.of(PaymentEvent.class).createSerializer(new SerializerConfigImpl()), null);
        c.store.setCurrentKey(CARD);
        return h;
    }

    private static List<SequenceMatch> event(SequenceHost h, PaymentEvent e) throws Exception {
        return h.onEvent(e, pair(), t -> {});
    }

    @Test
    void shouldRestoreTheCommittedStateOfAPartialMatchAndCompleteIt() throws Exception {
        Capturing now = new Capturing();
        try (SequenceHost h = host(now)) {
            if (SerializerFixtures.writing()) {
                assertThat(event(h, pay("s1", BEGINNING).amount("1.00").build()))
                        .isEmpty();
                SerializerFixtures.write(
                        NAME,
                        PackedStateSerializer.LAYOUT,
                        now.packedSerializer(),
                        List.of(now.packed().value()));
                return;
            }
            TreeMap<Integer, Fixture<byte[]>> fixtures = SerializerFixtures.readAll(NAME);
            assertThat(fixtures).containsKey(PackedStateSerializer.LAYOUT);
            Fixture<byte[]> f = fixtures.get(PackedStateSerializer.LAYOUT);

            TypeSerializerSchemaCompatibility<byte[]> c =
                    now.packedSerializer().snapshotConfiguration().resolveSchemaCompatibility(f.snapshot());
            assertThat(c.isCompatibleAsIs()).as("%s", c).isTrue();

            now.packed().update(f.values().get(0));
            assertThat(h.stateEntries()).as("the fixture holds a partial match").containsKey(SequenceHost.NFA_STATE);
            List<SequenceMatch> matches =
                    event(h, pay("l1", BEGINNING + 60_000).amount("450.00").build());
            assertThat(matches).hasSize(1);
            assertThat(matches.get(0).eventIds()).containsExactly("evt-s1", "evt-l1");
            assertThat(now.store.entries())
                    .as("a completed match leaves nothing")
                    .isZero();
        }
    }

    @Test
    void shouldTakeThePlainByteArrayOfTheReleaseBeforeAsIs() throws Exception {
        Capturing now = new Capturing();
        try (SequenceHost h = host(now)) {
            var c = now.packedSerializer()
                    .snapshotConfiguration()
                    .resolveSchemaCompatibility(BytePrimitiveArraySerializer.INSTANCE.snapshotConfiguration());
            assertThat(c.isCompatibleAsIs()).isTrue();
        }
    }

    @Test
    void shouldRefuseStateWhoseInnerSerializerChanged() throws Exception {
        Capturing now = new Capturing();
        try (SequenceHost h = host(now)) {
            PackedStateSerializer.Snapshot current =
                    (PackedStateSerializer.Snapshot) now.packedSerializer().snapshotConfiguration();
            Map<String, TypeSerializer<?>[]> changed = new LinkedHashMap<>();
            for (var e : current.states().entrySet()) {
                List<TypeSerializer<?>> s = new ArrayList<>();
                for (var snapshot : e.getValue()) {
                    s.add(snapshot.restoreSerializer());
                }
                changed.put(e.getKey(), s.toArray(TypeSerializer[]::new));
            }
            changed.put(SequenceHost.CLOCK_STATE, new TypeSerializer<?>[] {StringSerializer.INSTANCE});
            var old = new PackedStateSerializer(changed).snapshotConfiguration();

            assertThat(current.resolveSchemaCompatibility(old).isIncompatible()).isTrue();
        }
    }
}
