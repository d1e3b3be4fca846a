package io.veto.sequence;

import io.veto.event.PaymentEvent;
import io.veto.rule.CompiledSequence;
import io.veto.rule.SequenceMatch;
import io.veto.time.Times;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.KeyedStateStore;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.cep.configuration.SharedBufferCacheConfig;
import org.apache.flink.cep.nfa.ComputationState;
import org.apache.flink.cep.nfa.NFA;
import org.apache.flink.cep.nfa.NFAState;
import org.apache.flink.cep.nfa.NFAStateSerializer;
import org.apache.flink.cep.nfa.sharedbuffer.SharedBuffer;
import org.apache.flink.cep.nfa.sharedbuffer.SharedBufferAccessor;
import org.apache.flink.configuration.Configuration;

/**
 * Runs every sequence rule of a rule set over one key's events, inside a keyed operator that
 * already owns that key (the card stage): flink-cep's NFAs, compiled from the rule files, hosted
 * side by side, so sequence rules can be added, changed and removed while the job runs.
 *
 * <p>How the state is laid out (what flink-cep 2.2.1 allows, see docs/ARCHITECTURE.md):
 * <ul>
 *   <li>one {@link SharedBuffer} for all rules (its state names are fixed, so a second one would
 *       alias the first); each NFA registers its own copy of an event it takes, so rules never
 *       share buffer entries;
 *   <li>each rule's {@link NFAState} in a map keyed by {@code ruleId@fingerprint}: an edit that
 *       changes the pattern is a new key, and partial matches of a pattern that is no longer
 *       active are released (lazily, on the key's next event or timer);
 *   <li>a per-key clock: events are processed at once, in arrival order, with timestamps made
 *       monotone per key (a card's events keep their order on the topic, so this is its event
 *       time except for stragglers), because flink-cep's buffer breaks on a timestamp older than
 *       one it has seen.
 * </ul>
 *
 * <p>All of it lives in one keyed value per key ({@link PackedKeyedStateStore}): read once when an
 * event or timer of the key comes, worked on in hash maps, written back once. flink-cep keeps it
 * in several map states, which on RocksDB made a dozen state accesses and two iterators per event.
 *
 * <p>A key with no partial match holds no state at all: a rule's entry is removed as soon as its
 * NFA is back to its start, the clock when no entry is left. Partial matches end with their
 * {@code within}: an event-time timer at the earliest expiry prunes them on idle keys.
 *
 * <p>Not thread-safe; one per operator subtask. Call {@link #close()} when the operator closes.
 */
public final class SequenceHost implements AutoCloseable {
    public static final String NFA_STATE = "sequence-nfa";
    public static final String CLOCK_STATE = "sequence-clock";
    public static final String TIMER_STATE = "sequence-timer";

    /** Registers an event-time timer for the current key. */
    public interface Timers {
        void at(long eventTime);
    }

    private static final int MAX_CACHED_NFAS = 256;

    private final PackedKeyedStateStore packed;
    private final SharedBuffer<PaymentEvent> buffer;
    private final MapState<String, NFAState> states;
    private final ValueState<Long> clock;
    /** The event-time timer last registered for the key and not yet fired: registering it again is a state write for nothing. */
    private final ValueState<Long> timer;

    private final RuntimeContext runtime;
    private final Map<String, NFA<PaymentEvent>> nfas = new HashMap<>();
    private final Map<String, NFAState> loaded = new HashMap<>();
    private long released;

    /** @param runtime the operator's runtime context, or null outside Flink */
    public SequenceHost(KeyedStateStore store, TypeSerializer<PaymentEvent> eventSerializer, RuntimeContext runtime) {
        this.runtime = runtime;
        this.packed = new PackedKeyedStateStore(store);
        this.buffer = new SharedBuffer<>(packed, eventSerializer, new SharedBufferCacheConfig());
        this.states = packed.getMapState(
                new MapStateDescriptor<>(NFA_STATE, StringSerializer.INSTANCE, new NFAStateSerializer()));
        this.clock = packed.getState(new ValueStateDescriptor<>(CLOCK_STATE, LongSerializer.INSTANCE));
        this.timer = packed.getState(new ValueStateDescriptor<>(TIMER_STATE, LongSerializer.INSTANCE));
        packed.seal();
    }

    /** For {@link io.veto.rule.RuleStatus}-style metrics: partial matches released because their rule went away. */
    public long releasedPartialMatches() {
        return released;
    }

    /**
     * Runs one event of the current key through every active sequence; returns the matches it
     * completes (and any that a skip strategy held back until now), in rule order.
     */
    public List<SequenceMatch> onEvent(PaymentEvent e, List<CompiledSequence> active, Timers timers) throws Exception {
        return onEvent(e, active, List.of(), timers);
    }

    /**
     * As {@link #onEvent(PaymentEvent, List, Timers)}, keeping also the partial matches of
     * {@code alsoKeep}: during a rule-set switch an event may run with the version it was stamped
     * with upstream while the newest version's sequences already hold state.
     */
    public List<SequenceMatch> onEvent(
            PaymentEvent e, List<CompiledSequence> active, List<CompiledSequence> alsoKeep, Timers timers)
            throws Exception {
        packed.begin();
        boolean done = false;
        try {
            List<SequenceMatch> out = process(e, active, alsoKeep, timers);
            done = true;
            return out;
        } finally {
            packed.end(done);
        }
    }

    private List<SequenceMatch> process(
            PaymentEvent e, List<CompiledSequence> active, List<CompiledSequence> alsoKeep, Timers timers)
            throws Exception {
        Long last = clock.value();
        if (last == null && !anyMayStart(e, active)) {
            return List.of();
        }
        long ts = last == null ? e.eventTime() : Math.max(last, e.eventTime());
        List<SequenceMatch> out = List.of();
        long next = Long.MAX_VALUE;
        try (SharedBufferAccessor<PaymentEvent> acc = buffer.getAccessor()) {
            load(last != null);
            releaseInactive(active, alsoKeep, acc);
            for (CompiledSequence s : active) {
                NFAState st = loaded.get(s.stateKey());
                if (st == null) {
                    if (!s.mayStart(e)) {
                        continue;
                    }
                    st = nfa(s).createInitialNFAState();
                }
                NFA<PaymentEvent> nfa = nfa(s);
                out = collect(out, s, nfa.advanceTime(acc, st, ts, s.skip()).f0);
                Collection<Map<String, List<PaymentEvent>>> found = nfa.process(acc, st, e, ts, s.skip(), () -> ts);
                if (!found.isEmpty() && s.oneMatchPerIncident()) {
                    found = List.of(first(s, found));
                    dropPartialMatches(st, acc);
                }
                out = collect(out, s, found);
                next = Math.min(next, store(s.stateKey(), st, nfa.getWindowTime(), ts));
            }
            finish(ts, next, acc, timers);
        }
        return out;
    }

    /**
     * An event-time timer of the current key fired: prunes partial matches whose {@code within}
     * has passed (and releases those of rules no longer active); returns matches that only time
     * could complete (a sequence ending in "not followed by").
     */
    public List<SequenceMatch> onTimer(long timestamp, List<CompiledSequence> active, Timers timers) throws Exception {
        packed.begin();
        boolean done = false;
        try {
            List<SequenceMatch> out = expire(timestamp, active, timers);
            done = true;
            return out;
        } finally {
            packed.end(done);
        }
    }

    private List<SequenceMatch> expire(long timestamp, List<CompiledSequence> active, Timers timers) throws Exception {
        Long registered = timer.value();
        if (registered != null && registered <= timestamp) {
            timer.clear();
        }
        Long last = clock.value();
        if (last == null) {
            return List.of();
        }
        long ts = Math.max(last, timestamp);
        List<SequenceMatch> out = List.of();
        long next = Long.MAX_VALUE;
        try (SharedBufferAccessor<PaymentEvent> acc = buffer.getAccessor()) {
            load(true);
            releaseInactive(active, List.of(), acc);
            for (CompiledSequence s : active) {
                NFAState st = loaded.get(s.stateKey());
                if (st == null) {
                    continue;
                }
                NFA<PaymentEvent> nfa = nfa(s);
                out = collect(out, s, nfa.advanceTime(acc, st, ts, s.skip()).f0);
                next = Math.min(next, store(s.stateKey(), st, nfa.getWindowTime(), ts));
            }
            finish(ts, next, acc, timers);
        }
        return out;
    }

    /** Whether the current key holds any sequence state (for tests and metrics). */
    public boolean hasState() throws Exception {
        return packed.exists();
    }

    /**
     * What the current key holds, per state (flink-cep's buffer: events, nodes, event counters; the
     * NFA states; the clock), in entries; empty when nothing. For tests and diagnostics.
     */
    public Map<String, Integer> stateEntries() throws Exception {
        return packed.entries();
    }

    /**
     * The match that started first — flink-cep returns it first: its partial matches are ordered by
     * start time and then by the order the key's events came in (times are clamped, so a straggler
     * counts as the time it came) — and of the matches from that same first event, the one with the
     * most events (the whole incident).
     */
    private static Map<String, List<PaymentEvent>> first(
            CompiledSequence s, Collection<Map<String, List<PaymentEvent>>> matches) {
        Iterator<Map<String, List<PaymentEvent>>> it = matches.iterator();
        Map<String, List<PaymentEvent>> best = it.next();
        String start = firstEventId(s, best);
        int bestSize = size(best);
        while (it.hasNext()) {
            Map<String, List<PaymentEvent>> m = it.next();
            if (start.equals(firstEventId(s, m)) && size(m) > bestSize) {
                best = m;
                bestSize = size(m);
            }
        }
        return best;
    }

    private static String firstEventId(CompiledSequence s, Map<String, List<PaymentEvent>> m) {
        for (var step : s.definition().steps()) {
            List<PaymentEvent> events = m.get(step.name());
            if (events != null && !events.isEmpty()) {
                return events.get(0).eventId();
            }
        }
        return "";
    }

    private static int size(Map<String, List<PaymentEvent>> m) {
        int n = 0;
        for (List<PaymentEvent> events : m.values()) {
            n += events.size();
        }
        return n;
    }

    /**
     * Skip past the last event: every partial match under way started at or before the event that
     * just completed a match, so none may become another match of the same incident. Releases them
     * and leaves the NFA at its start.
     */
    private void dropPartialMatches(NFAState st, SharedBufferAccessor<PaymentEvent> acc) throws Exception {
        PriorityQueue<ComputationState> keep = new PriorityQueue<>(NFAState.COMPUTATION_STATE_COMPARATOR);
        for (ComputationState cs : st.getPartialMatches()) {
            if (cs.getStartEventID() == null) {
                keep.add(cs);
            } else {
                release(cs, acc);
            }
        }
        st.setNewPartialMatches(keep);
        st.setStateChanged();
    }

    private static boolean anyMayStart(PaymentEvent e, List<CompiledSequence> active) {
        for (CompiledSequence s : active) {
            if (s.mayStart(e)) {
                return true;
            }
        }
        return false;
    }

    private void load(boolean any) throws Exception {
        loaded.clear();
        if (any) {
            for (Map.Entry<String, NFAState> en : states.entries()) {
                loaded.put(en.getKey(), en.getValue());
            }
        }
    }

    /** Releases what partial matches of rules no longer active hold in the buffer, and drops their state. */
    private void releaseInactive(
            List<CompiledSequence> active, List<CompiledSequence> alsoKeep, SharedBufferAccessor<PaymentEvent> acc)
            throws Exception {
        if (loaded.isEmpty()) {
            return;
        }
        Set<String> keep = new HashSet<>();
        for (CompiledSequence s : active) {
            keep.add(s.stateKey());
        }
        for (CompiledSequence s : alsoKeep) {
            keep.add(s.stateKey());
        }
        List<String> gone = new ArrayList<>();
        for (Map.Entry<String, NFAState> en : loaded.entrySet()) {
            if (keep.contains(en.getKey())) {
                continue;
            }
            NFAState st = en.getValue();
            for (ComputationState cs : st.getPartialMatches()) {
                release(cs, acc);
                released += cs.getStartEventID() == null ? 0 : 1;
            }
            for (ComputationState cs : st.getCompletedMatches()) {
                release(cs, acc);
            }
            states.remove(en.getKey());
            gone.add(en.getKey());
        }
        gone.forEach(loaded::remove);
    }

    private void release(ComputationState cs, SharedBufferAccessor<PaymentEvent> acc) throws Exception {
        if (cs.getPreviousBufferEntry() != null) {
            acc.releaseNode(cs.getPreviousBufferEntry(), cs.getVersion());
        }
    }

    /**
     * Keeps a rule's NFA state when it holds a partial match, removes it when it is back at its
     * start; returns when its earliest partial match expires ({@link Long#MAX_VALUE} when none).
     */
    private long store(String key, NFAState st, long window, long ts) throws Exception {
        long expiry = Long.MAX_VALUE;
        for (ComputationState cs : st.getPartialMatches()) {
            if (cs.getStartEventID() != null) {
                expiry = Math.min(expiry, Times.plusSaturating(cs.getStartTimestamp(), window));
            }
        }
        boolean idle = expiry == Long.MAX_VALUE && st.getCompletedMatches().isEmpty();
        if (idle) {
            if (loaded.remove(key) != null) {
                states.remove(key);
            }
            return Long.MAX_VALUE;
        }
        if (st.isStateChanged() || !loaded.containsKey(key)) {
            st.resetStateChanged();
            st.resetNewStartPartialMatch();
            states.put(key, st);
            loaded.put(key, st);
        }
        // Completed matches a skip strategy holds back are released by the next advance of time.
        return expiry == Long.MAX_VALUE ? ts + 1 : expiry;
    }

    private void finish(long ts, long next, SharedBufferAccessor<PaymentEvent> acc, Timers timers) throws Exception {
        if (loaded.isEmpty()) {
            // Nothing under way for this key: no clock, and no per-timestamp event counter left behind.
            acc.advanceTime(Long.MAX_VALUE);
            clock.clear();
            timer.clear();
            return;
        }
        clock.update(ts);
        Long registered = timer.value();
        if (next < Long.MAX_VALUE && (registered == null || registered != next)) {
            timers.at(next);
            timer.update(next);
        }
    }

    private static List<SequenceMatch> collect(
            List<SequenceMatch> out, CompiledSequence s, Collection<Map<String, List<PaymentEvent>>> matches) {
        if (matches.isEmpty()) {
            return out;
        }
        List<SequenceMatch> o = out.isEmpty() ? new ArrayList<>(2) : out;
        for (Map<String, List<PaymentEvent>> m : matches) {
            List<String> ids = new ArrayList<>();
            long first = Long.MAX_VALUE;
            long lastTime = Long.MIN_VALUE;
            // The pattern's steps in order; a map from flink-cep keeps no order of its own.
            for (var step : s.definition().steps()) {
                List<PaymentEvent> events = m.get(step.name());
                if (events == null) {
                    continue;
                }
                for (PaymentEvent e : events) {
                    ids.add(e.eventId());
                    first = Math.min(first, e.eventTime());
                    lastTime = Math.max(lastTime, e.eventTime());
                }
            }
            o.add(new SequenceMatch(s.ruleId(), s.stateKey(), ids.toArray(new String[0]), first, lastTime));
        }
        return o;
    }

    private NFA<PaymentEvent> nfa(CompiledSequence s) throws Exception {
        NFA<PaymentEvent> nfa = nfas.get(s.stateKey());
        if (nfa == null) {
            if (nfas.size() >= MAX_CACHED_NFAS) {
                // Rule sets have churned a lot; the active ones are rebuilt on demand.
                closeNfas();
            }
            nfa = s.nfaFactory().createNFA();
            if (runtime != null) {
                // Step conditions are CEL programs and use nothing of the context; offline there is none.
                nfa.open(runtime, new Configuration());
            }
            nfas.put(s.stateKey(), nfa);
        }
        return nfa;
    }

    private void closeNfas() throws Exception {
        for (NFA<PaymentEvent> nfa : nfas.values()) {
            nfa.close();
        }
        nfas.clear();
    }

    @Override
    public void close() throws Exception {
        closeNfas();
        buffer.releaseCacheStatisticsTimer();
    }
}
