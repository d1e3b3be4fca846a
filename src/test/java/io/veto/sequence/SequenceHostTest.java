package io.veto.sequence;

import static io.veto.testing.CardEvents.pay;
import static io.veto.testing.Payments.BEGINNING;
import static org.assertj.core.api.Assertions.assertThat;

import io.veto.event.PaymentEvent;
import io.veto.rule.CompiledSequence;
import io.veto.rule.RuleSetCompiler;
import io.veto.rule.SequenceMatch;
import io.veto.testing.Payments;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link SequenceHost} over the heap store the offline decider uses: what it keeps, and for how long. */
class SequenceHostTest {
    private static final long MINUTE = 60_000L;
    private static final String CARD = "card-a";

    /** A small payment, then a large one, within 10 minutes. */
    private static final String PAIR = """
              - id: pair
                within: 10m
                points: 10
                steps:
                  - name: small
                    where: amount < 2
                  - name: large
                    where: amount >= %s
            """;
    /** Three small payments within 5 minutes. */
    private static final String TRIO = """
              - id: trio
                within: 5m
                points: 10
                steps:
                  - name: small
                    where: amount < 2
                    times: 3
            """;

    private final InMemoryKeyedStateStore store = new InMemoryKeyedStateStore();
    private final List<Long> timers = new ArrayList<>();
    private SequenceHost host;

    @BeforeEach
    void setUp() {
        host = new SequenceHost(
                store, TypeInformation.of(PaymentEvent.class).createSerializer(new SerializerConfigImpl()), null);
        store.setCurrentKey(CARD);
    }

    @AfterEach
    void tearDown() throws Exception {
        host.close();
    }

    private static List<CompiledSequence> sequences(String... rules) throws Exception {
        return RuleSetCompiler.forJob()
                .compile(Payments.ruleSet("t", 40, 80, "sequences:\n" + String.join("", rules)))
                .sequences();
    }

    private static PaymentEvent small(String id, long t) {
        return pay(id, t).amount("1.00").build();
    }

    private static PaymentEvent large(String id, long t, String amount) {
        return pay(id, t).amount(amount).build();
    }

    private List<SequenceMatch> event(PaymentEvent e, List<CompiledSequence> active) throws Exception {
        timers.clear();
        return host.onEvent(e, active, timers::add);
    }

    private List<SequenceMatch> timer(long t, List<CompiledSequence> active) throws Exception {
        timers.clear();
        return host.onTimer(t, active, timers::add);
    }

    /** How many entries one of the host's states holds for the current key. */
    private int size(String state) throws Exception {
        return host.stateEntries().getOrDefault(state, 0);
    }

    private int bufferedEvents() throws Exception {
        return size("sharedBuffer-events");
    }

    private int bufferNodes() throws Exception {
        return size("sharedBuffer-entries-with-lockable-edges");
    }

    private int nfaStates() throws Exception {
        return size(SequenceHost.NFA_STATE);
    }

    private static List<List<String>> ids(List<SequenceMatch> matches) {
        return matches.stream().map(m -> List.of(m.eventIds())).toList();
    }

    @Test
    void shouldKeepNothingForAnEventThatStartsNoSequence() throws Exception {
        List<CompiledSequence> active = sequences(PAIR.formatted("200"), TRIO);
        assertThat(event(large("l1", BEGINNING, "50"), active)).isEmpty();

        assertThat(store.entries()).isZero();
        assertThat(host.hasState()).isFalse();
        assertThat(timers).isEmpty();
    }

    @Test
    void shouldDropEverythingWhenAnEventComesWithinAfterThePartialMatchStarted() throws Exception {
        List<CompiledSequence> active = sequences(PAIR.formatted("200"));
        event(small("s1", BEGINNING), active);
        assertThat(bufferedEvents()).isEqualTo(1);
        assertThat(bufferNodes()).isEqualTo(1);
        assertThat(nfaStates()).isEqualTo(1);
        assertThat(host.hasState()).isTrue();
        assertThat(host.stateEntries())
                .as("events, nodes, counter, NFA state, clock and its timer")
                .hasSize(6)
                .allSatisfy((state, entries) -> assertThat(entries).isEqualTo(1));
        assertThat(store.entries()).as("all of it in one keyed value").isEqualTo(1);

        // One millisecond before 'within' the partial match is alive ...
        assertThat(event(large("l1", BEGINNING + 10 * MINUTE - 1, "50"), active))
                .isEmpty();
        assertThat(nfaStates()).isEqualTo(1);
        // ... at 'within' it is gone, and the large payment finds nothing to complete.
        assertThat(event(large("l2", BEGINNING + 10 * MINUTE, "500"), active)).isEmpty();

        assertThat(store.entries()).isZero();
        assertThat(host.hasState()).isFalse();
        assertThat(timers).isEmpty();
    }

    @Test
    void shouldDropEverythingWhenTheTimerAtWithinFires() throws Exception {
        List<CompiledSequence> active = sequences(PAIR.formatted("200"), TRIO);
        event(small("s1", BEGINNING), active);
        event(small("s2", BEGINNING + MINUTE), active);
        assertThat(store.entries()).isGreaterThan(0);

        // trio's first partial match (5m) ends first, the pair's last (10m after s2) last.
        assertThat(timer(BEGINNING + 5 * MINUTE, active)).isEmpty();
        assertThat(timers).containsExactly(BEGINNING + 6 * MINUTE);
        assertThat(timer(BEGINNING + 6 * MINUTE, active)).isEmpty();
        assertThat(timers).containsExactly(BEGINNING + 10 * MINUTE);
        assertThat(timer(BEGINNING + 10 * MINUTE, active)).isEmpty();
        assertThat(timers).containsExactly(BEGINNING + 11 * MINUTE);
        assertThat(bufferedEvents()).as("only s2, for the pair").isEqualTo(1);
        assertThat(timer(BEGINNING + 11 * MINUTE, active)).isEmpty();

        assertThat(store.entries()).isZero();
        assertThat(host.hasState()).isFalse();
        assertThat(timers).as("no timer once nothing is under way").isEmpty();
        // A late timer on a key without state is a no-op.
        assertThat(timer(BEGINNING + 12 * MINUTE, active)).isEmpty();
        assertThat(store.entries()).isZero();
    }

    @Test
    void shouldRequestATimerAtTheEarliestPartialMatchsStartPlusWithin() throws Exception {
        List<CompiledSequence> active = sequences(PAIR.formatted("200"), TRIO);
        event(small("s1", BEGINNING), active);
        assertThat(timers).as("trio's 5m before the pair's 10m").containsExactly(BEGINNING + 5 * MINUTE);
        event(small("s2", BEGINNING + 3 * MINUTE), active);
        assertThat(timers)
                .as("the same earliest expiry: already registered, not asked for again")
                .isEmpty();

        timer(BEGINNING + 5 * MINUTE, active);
        // trio's match from s1 has ended; its match from s2 (8m) ends before the pair's from s1 (10m).
        assertThat(timers).containsExactly(BEGINNING + 8 * MINUTE);
        event(large("l1", BEGINNING + 6 * MINUTE, "50"), active);
        assertThat(timers).isEmpty();
        // A timer that is not the one registered last (an older one) leaves the registration alone.
        timer(BEGINNING + 7 * MINUTE, active);
        assertThat(timers).isEmpty();
        timer(BEGINNING + 8 * MINUTE, active);
        assertThat(timers).as("the pair's match from s1").containsExactly(BEGINNING + 10 * MINUTE);
    }

    @Test
    void shouldCompleteAMatchAndKeepNothingOfIt() throws Exception {
        List<CompiledSequence> active = sequences(PAIR.formatted("200"));
        event(small("s1", BEGINNING), active);
        List<SequenceMatch> m = event(large("l1", BEGINNING + MINUTE, "250"), active);

        assertThat(m).singleElement().satisfies(x -> {
            assertThat(x.ruleId()).isEqualTo("pair");
            assertThat(x.stateKey()).isEqualTo(active.get(0).stateKey());
            assertThat(x.eventIds()).containsExactly("evt-s1", "evt-l1");
            assertThat(x.firstEventTime()).isEqualTo(BEGINNING);
            assertThat(x.lastEventTime()).isEqualTo(BEGINNING + MINUTE);
        });
        assertThat(store.entries()).isZero();
    }

    @Test
    void shouldReleaseTheStateOfARuleNoLongerActiveAndKeepTheOthersProgress() throws Exception {
        List<CompiledSequence> both = sequences(PAIR.formatted("200"), TRIO);
        List<CompiledSequence> trioOnly = List.of(both.get(1));
        event(small("s1", BEGINNING), both);
        assertThat(nfaStates()).isEqualTo(2);
        assertThat(bufferedEvents()).as("each rule keeps its own copy of s1").isEqualTo(2);

        // The pair is removed: a large payment that would have completed it completes nothing.
        assertThat(event(large("l1", BEGINNING + MINUTE, "500"), trioOnly)).isEmpty();
        assertThat(nfaStates()).isEqualTo(1);
        assertThat(bufferedEvents()).as("only the trio's s1").isEqualTo(1);
        assertThat(bufferNodes()).isEqualTo(1);
        assertThat(host.releasedPartialMatches()).isEqualTo(1);

        event(small("s2", BEGINNING + 2 * MINUTE), trioOnly);
        List<SequenceMatch> m = event(small("s3", BEGINNING + 3 * MINUTE), trioOnly);
        assertThat(ids(m)).containsExactly(List.of("evt-s1", "evt-s2", "evt-s3"));
        // skip-past-last-event ends the matches that s2 and s3 started: nothing is left.
        assertThat(store.entries()).isZero();
        assertThat(host.hasState()).isFalse();
    }

    @Test
    void shouldReleaseARemovedRulesStateOnTheKeysNextTimer() throws Exception {
        List<CompiledSequence> pair = sequences(PAIR.formatted("200"));
        event(small("s1", BEGINNING), pair);
        assertThat(store.entries()).isGreaterThan(0);

        // No sequence rule is active any more; the key's timer comes before 'within'.
        assertThat(timer(BEGINNING + MINUTE, List.of())).isEmpty();
        assertThat(store.entries()).isZero();
        assertThat(timers).isEmpty();
        assertThat(host.releasedPartialMatches()).isEqualTo(1);
    }

    @Test
    void shouldStartAfreshWhenAStepChangesAndKeepTheUnchangedRulesProgress() throws Exception {
        List<CompiledSequence> v1 = sequences(PAIR.formatted("200"), TRIO);
        List<CompiledSequence> v2 = sequences(PAIR.formatted("300"), TRIO);
        assertThat(v2.get(0).stateKey()).isNotEqualTo(v1.get(0).stateKey());
        assertThat(v2.get(1).stateKey()).isEqualTo(v1.get(1).stateKey());
        event(small("s1", BEGINNING), v1);

        // 250 would complete the pair's old version with s1; the new version needs 300 and starts afresh.
        assertThat(event(large("l1", BEGINNING + MINUTE, "250"), v2)).isEmpty();
        assertThat(host.releasedPartialMatches()).isEqualTo(1);
        assertThat(event(small("s2", BEGINNING + 2 * MINUTE), v2)).isEmpty();
        // The trio kept s1 across the change.
        List<SequenceMatch> trio = event(small("s3", BEGINNING + 3 * MINUTE), v2);
        assertThat(trio).extracting(SequenceMatch::ruleId).containsExactly("trio");
        assertThat(ids(trio)).containsExactly(List.of("evt-s1", "evt-s2", "evt-s3"));
        // The new pair's partial matches began at s2, after the change; s1 is in none of them.
        List<SequenceMatch> pair = event(large("l2", BEGINNING + 4 * MINUTE, "350"), v2);
        assertThat(pair).singleElement().satisfies(x -> {
            assertThat(x.stateKey()).isEqualTo(v2.get(0).stateKey());
            assertThat(x.eventIds()).containsExactly("evt-s2", "evt-l2");
        });
    }

    @Test
    void shouldClampAnOlderTimestampAndKeepTheBufferWhole() throws Exception {
        List<CompiledSequence> active = sequences(PAIR.formatted("200"), TRIO);
        event(small("s1", BEGINNING + 2 * MINUTE), active);
        // Two stragglers, older than s1 (one older than the whole 'within'), both at the clamped time.
        assertThat(event(small("s0", BEGINNING), active)).isEmpty();
        List<SequenceMatch> m = event(small("old", BEGINNING - 30 * MINUTE), active);
        assertThat(m).extracting(SequenceMatch::ruleId).containsExactly("trio");
        assertThat(ids(m)).containsExactly(List.of("evt-s1", "evt-s0", "evt-old"));
        // Timers follow the clamped clock: the pair's earliest start is s1's 2m, not s0's.
        assertThat(timers).containsExactly(BEGINNING + 12 * MINUTE);

        List<SequenceMatch> pair = event(large("l1", BEGINNING + 3 * MINUTE, "400"), active);
        assertThat(pair).singleElement().satisfies(x -> assertThat(x.eventIds()).containsExactly("evt-s1", "evt-l1"));
        // Everything that was taken is released again.
        timer(BEGINNING + 12 * MINUTE, active);
        assertThat(store.entries()).isZero();
    }

    @Test
    void shouldKeepKeysApart() throws Exception {
        List<CompiledSequence> active = sequences(PAIR.formatted("200"));
        event(small("s1", BEGINNING), active);
        store.setCurrentKey("card-b");
        assertThat(event(large("l1", BEGINNING + MINUTE, "500"), active)).isEmpty();
        assertThat(host.hasState()).isFalse();
        store.setCurrentKey(CARD);
        assertThat(ids(event(large("l2", BEGINNING + 2 * MINUTE, "500"), active)))
                .containsExactly(List.of("evt-s1", "evt-l2"));
        assertThat(store.entries()).isZero();
    }
}
