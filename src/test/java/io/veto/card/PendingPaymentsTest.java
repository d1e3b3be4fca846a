package io.veto.card;

import static io.veto.testing.Payments.BEGINNING;
import static io.veto.testing.Payments.payment;
import static org.assertj.core.api.Assertions.assertThat;

import io.veto.rule.SequenceMatch;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class PendingPaymentsTest {
    private static PendingPayments roundTrip(PendingPayments p) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        PendingPayments.Serializer.INSTANCE.serialize(p, out);
        return PendingPayments.Serializer.INSTANCE.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    }

    @Test
    void shouldKeepEveryFieldOfAWaitingPaymentAndOfEarlyAnswersAcrossSerialization() throws Exception {
        PendingPayments all = new PendingPayments();
        Pending waiting = new Pending();
        waiting.arrived(payment("p1", "card-a", BEGINNING, "12.50"), "default@abc", 3, true);
        waiting.add("card.count_10m", 2.0);
        waiting.add("merchant.count_1m", 7.0);
        waiting.received = 1;
        waiting.matches =
                new SequenceMatch[] {new SequenceMatch("seq-a", "seq-a@1", new String[] {"e1", "e2"}, 5L, 9L)};
        Pending early = new Pending();
        early.paymentId = "p2";
        early.eventTime = BEGINNING + 1;
        early.received = 1;
        all.add(waiting);
        all.add(early);

        PendingPayments back = roundTrip(all);

        assertThat(back.size()).isEqualTo(2);
        Pending w = back.get("p1");
        assertThat(w.payment).isEqualTo(waiting.payment);
        assertThat(w.rulesVersion).isEqualTo("default@abc");
        assertThat(w.parts).isEqualTo(3);
        assertThat(w.received).isEqualTo(1);
        assertThat(w.late).isTrue();
        assertThat(w.names).containsExactly("card.count_10m", "merchant.count_1m");
        assertThat(w.values).containsExactly(2.0, 7.0);
        assertThat(w.matches)
                .singleElement()
                .satisfies(m -> assertThat(m.eventIds()).containsExactly("e1", "e2"));
        Pending e = back.get("p2");
        assertThat(e.payment).isNull();
        assertThat(e.eventTime).isEqualTo(BEGINNING + 1);
        assertThat(e.complete()).isFalse();
    }

    @Test
    void shouldCopyDeeplySoAHeapSnapshotDoesNotSeeLaterChanges() {
        PendingPayments all = new PendingPayments();
        Pending p = new Pending();
        p.arrived(payment("p1", "card-a", BEGINNING, "1.00"), "v", 2, false);
        all.add(p);

        PendingPayments copy = PendingPayments.Serializer.INSTANCE.copy(all);
        p.add("merchant.count_1m", 1.0);
        p.received++;

        assertThat(copy.get("p1").names).isEmpty();
        assertThat(copy.get("p1").received).isZero();
        assertThat(copy.get("p1")).isNotSameAs(p);
    }

    @Test
    void shouldRemoveOnlyWhatMatches() {
        PendingPayments all = new PendingPayments();
        for (int i = 0; i < 3; i++) {
            Pending p = new Pending();
            p.paymentId = "p" + i;
            p.eventTime = i;
            all.add(p);
        }
        assertThat(all.removeIf(p -> p.eventTime >= 1))
                .extracting(p -> p.paymentId)
                .containsExactly("p1", "p2");
        assertThat(all.size()).isEqualTo(1);
        assertThat(all.get("p0")).isNotNull();
        assertThat(all.get("p1")).isNull();
    }
}
