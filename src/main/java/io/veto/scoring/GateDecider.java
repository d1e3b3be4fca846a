package io.veto.scoring;

import io.veto.decision.Decision;
import io.veto.event.PaymentEvent;
import io.veto.feature.Entity;
import io.veto.feature.EventWindow;
import io.veto.feature.FeatureSpec;
import io.veto.feature.FeatureValues;
import io.veto.feature.WindowNeeds;
import io.veto.rule.CompiledRuleSet;
import io.veto.rule.CompiledSequence;
import io.veto.rule.SequenceDefinition;
import io.veto.rule.SequenceMatch;
import io.veto.sequence.InMemoryKeyedStateStore;
import io.veto.sequence.SequenceHost;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;

/**
 * The in-process decider of the job's rule-set gate ({@code RuleSetGuard}, through {@link
 * ExampleRunner}): the gate runs a published set's examples inside an operator, where no job graph
 * can be started. Everything else that decides offline — {@code rules test}, backtests — runs the
 * job's own graph on a MiniCluster instead; this class is the gate's stand-in for it, and {@code
 * GateDecidesAsTheJobTest} proves the two decide alike, payment for payment.
 *
 * <p>It does what the graph's stages do, in one thread and without Flink, behind a watermark that
 * trails the newest event by {@code disorderMillis} (the job's {@code --max-out-of-orderness}):
 * <ul>
 *   <li>the card stage, on arrival: card sequences ({@link SequenceHost}), the card's window and
 *       features ({@link CardScorer});
 *   <li>the entity stage, once the watermark passes an event: for each entity the rules read, all
 *       events of one millisecond added to its window before any payment of them is answered;
 *   <li>the customer stage, once the watermark passes: a customer's events of one millisecond by
 *       event id through the customer sequences;
 *   <li>a payment is decided when all its parts are in, windows are expired as the stages expire
 *       them, and an event already behind the watermark is taken at once (its decision is late).
 * </ul>
 * A payment's decision therefore comes with a later event, or with {@link #flush()} or {@link
 * #finish()}. {@code decidedAt} is the event time, so results never depend on the clock.
 *
 * <p>Not thread-safe.
 */
public final class GateDecider implements AutoCloseable {
    private static final Comparator<PaymentEvent> BY_EVENT_ID = Comparator.comparing(PaymentEvent::eventId);

    private final CardScorer scorer;
    private final Map<Entity, Set<FeatureSpec>> entityFeatures = new EnumMap<>(Entity.class);
    private final Map<Entity, WindowNeeds> needs = new EnumMap<>(Entity.class);
    private final Map<String, EventWindow> windows = new HashMap<>();
    private final Map<String, EventWindow> cardWindows = new HashMap<>();
    private final List<CompiledSequence> cardSequences;
    private final InMemoryKeyedStateStore sequenceState = new InMemoryKeyedStateStore();
    private final SequenceHost sequences;
    private final List<CompiledSequence> customerSequences;
    private final InMemoryKeyedStateStore customerState = new InMemoryKeyedStateStore();
    private final SequenceHost customers;
    private final List<SequenceMatch> allMatches = new ArrayList<>();
    private final long disorderMillis;

    /** Events whose entity or customer part waits for the watermark, by event time, in arrival order. */
    private final TreeMap<Long, List<PaymentEvent>> waiting = new TreeMap<>();
    /** Payments waiting for parts, by payment id. */
    private final Map<String, Waiting> pending = new HashMap<>();
    /** The newest event time taken, or {@link Long#MIN_VALUE}. */
    private long newest = Long.MIN_VALUE;
    /** How far {@link #flush()} or {@link #finish()} moved the watermark. */
    private long flushedTo = Long.MIN_VALUE;

    /** A payment between the card stage and its decision. */
    private static final class Waiting {
        final PaymentEvent payment;
        final FeatureValues values = new FeatureValues();
        final List<SequenceMatch> matches = new ArrayList<>(0);
        final boolean late;
        int parts;

        Waiting(PaymentEvent payment, boolean late) {
            this.payment = payment;
            this.late = late;
        }
    }

    /** For events in event-time order. */
    public GateDecider(CompiledRuleSet rules) {
        this(rules, 0);
    }

    /**
     * @param disorderMillis how far an event may be older than the newest before it and still be on
     *     time: the watermark bound, as the job is given {@code --max-out-of-orderness}
     */
    public GateDecider(CompiledRuleSet rules, long disorderMillis) {
        this.disorderMillis = disorderMillis;
        this.scorer = new CardScorer(rules);
        this.cardSequences = rules.sequences(SequenceDefinition.SequenceKey.CARD);
        var serializer = TypeInformation.of(PaymentEvent.class).createSerializer(new SerializerConfigImpl());
        this.sequences = new SequenceHost(sequenceState, serializer, null);
        this.customerSequences = rules.sequences(SequenceDefinition.SequenceKey.CUSTOMER);
        this.customers = new SequenceHost(customerState, serializer, null);
        for (Entity e : Entity.values()) {
            Set<FeatureSpec> specs = rules.features(e);
            if (e != Entity.CARD && !specs.isEmpty()) {
                entityFeatures.put(e, specs);
                needs.put(e, WindowNeeds.of(specs));
            }
        }
    }

    /**
     * How far event time goes backwards in {@code events}, taken in order: the smallest watermark
     * bound with which none of them is late.
     */
    public static long disorder(List<PaymentEvent> events) {
        long newest = Long.MIN_VALUE;
        long most = 0;
        for (PaymentEvent e : events) {
            newest = Math.max(newest, e.eventTime());
            most = Math.max(most, newest - e.eventTime());
        }
        return most;
    }

    /** Decides {@code events}, in the order given, to the end; the decisions in the order of the payments. */
    public List<Decision> decideAll(List<PaymentEvent> events) {
        Map<String, Decision> byId = new HashMap<>();
        for (PaymentEvent e : events) {
            accept(e).forEach(d -> byId.put(d.paymentId(), d));
        }
        finish().forEach(d -> byId.put(d.paymentId(), d));
        List<Decision> out = new ArrayList<>(byId.size());
        for (PaymentEvent e : events) {
            Decision d = e.needsDecision() ? byId.remove(e.paymentId()) : null;
            if (d != null) {
                out.add(d);
            }
        }
        return out;
    }

    /**
     * The job's watermark after the events taken so far: the newest event time less the disorder
     * bound and 1 ms, as Flink's bounded-out-of-orderness watermarks have it.
     */
    long watermark() {
        long w = newest == Long.MIN_VALUE ? Long.MIN_VALUE : newest - disorderMillis - 1;
        return Math.max(w, flushedTo);
    }

    /** Takes the next event; returns the decisions it completes (usually of earlier payments). */
    public List<Decision> accept(PaymentEvent e) {
        boolean late = e.eventTime() <= watermark();
        newest = Math.max(newest, e.eventTime());
        List<Decision> out = new ArrayList<>();
        // The fan-out: which entity and customer parts the event has, and how many the payment waits for.
        boolean payment = e.needsDecision();
        boolean decided = payment && e.cardToken() != null;
        int parts = 0;
        boolean entityPart = false;
        if (payment || e.type().refersToPayment()) {
            for (Entity entity : entityFeatures.keySet()) {
                if (entity.keyOf(e) != null) {
                    entityPart = true;
                    parts += payment ? 1 : 0;
                }
            }
        }
        boolean customerPart = !customerSequences.isEmpty() && e.customerId() != null;
        parts += customerPart && decided ? 1 : 0;
        if (e.cardToken() != null) {
            card(e, late, parts, out);
        }
        if (entityPart || customerPart) {
            if (late) {
                // Behind the watermark: the stages take it at once, with what their state holds.
                take(e.eventTime(), List.of(e), watermark(), out);
            } else {
                waiting.computeIfAbsent(e.eventTime(), t -> new ArrayList<>(2)).add(e);
            }
        }
        release(watermark(), out);
        return out;
    }

    /**
     * Moves the watermark to the newest event, as a quiet spell of live traffic does: decides every
     * payment taken so far. A later event at or before that time is late.
     */
    public List<Decision> flush() {
        flushedTo = Math.max(flushedTo, newest);
        List<Decision> out = new ArrayList<>();
        release(watermark(), out);
        return out;
    }

    /** The end of the input (the final watermark of a bounded one): decides every payment still waiting. */
    public List<Decision> finish() {
        flushedTo = Long.MAX_VALUE;
        List<Decision> out = new ArrayList<>();
        release(Long.MAX_VALUE, out);
        return out;
    }

    /** Every sequence match found so far, also those no decision carries (completed by a refund). */
    public List<SequenceMatch> matches() {
        return List.copyOf(allMatches);
    }

    /** The card stage: sequences and the card's window on arrival; decides a payment that waits for nothing else. */
    private void card(PaymentEvent e, boolean late, int parts, List<Decision> out) {
        List<SequenceMatch> completed = List.of();
        if (!cardSequences.isEmpty()) {
            sequenceState.setCurrentKey(e.cardToken());
            completed = run(sequences, e, cardSequences);
        }
        EventWindow w =
                scorer.horizon() > 0 ? cardWindows.computeIfAbsent(e.cardToken(), k -> new EventWindow()) : null;
        if (!e.needsDecision()) {
            if (w != null) {
                scorer.recordFeedback(w, e);
            }
            return;
        }
        Waiting p = new Waiting(e, late);
        scorer.cardFeatures(w, e, watermark(), p.values);
        p.matches.addAll(completed);
        p.parts = parts;
        if (parts == 0) {
            out.add(decide(p));
        } else {
            pending.put(e.paymentId(), p);
        }
    }

    /** The entity and customer stages: takes what the watermark has passed, oldest first. */
    private void release(long watermark, List<Decision> out) {
        while (!waiting.isEmpty() && waiting.firstKey() <= watermark) {
            Map.Entry<Long, List<PaymentEvent>> due = waiting.pollFirstEntry();
            take(due.getKey(), due.getValue(), watermark, out);
        }
    }

    /** The events of one millisecond, as the entity and customer stages take them. */
    private void take(long ts, List<PaymentEvent> events, long watermark, List<Decision> out) {
        List<Waiting> answered = new ArrayList<>();
        // Entity stage: per entity, all of this millisecond's events into the window, then every answer.
        for (Map.Entry<Entity, Set<FeatureSpec>> f : entityFeatures.entrySet()) {
            Map<String, List<PaymentEvent>> byKey = new LinkedHashMap<>();
            for (PaymentEvent e : events) {
                String key = f.getKey().keyOf(e);
                if (key != null && (e.needsDecision() || e.type().refersToPayment())) {
                    byKey.computeIfAbsent(f.getKey().ruleName() + ":" + key, k -> new ArrayList<>(1))
                            .add(e);
                }
            }
            for (Map.Entry<String, List<PaymentEvent>> k : byKey.entrySet()) {
                entity(k.getKey(), needs.get(f.getKey()), f.getValue(), k.getValue(), watermark, answered);
            }
        }
        // Customer stage: a customer's events of one millisecond by event id.
        if (!customerSequences.isEmpty()) {
            List<PaymentEvent> ordered = new ArrayList<>(events);
            ordered.sort(BY_EVENT_ID);
            for (PaymentEvent e : ordered) {
                if (e.customerId() == null) {
                    continue;
                }
                customerState.setCurrentKey(e.customerId());
                List<SequenceMatch> completed = run(customers, e, customerSequences);
                Waiting p = e.needsDecision() && e.cardToken() != null ? pending.get(e.paymentId()) : null;
                if (p != null) {
                    p.matches.addAll(completed);
                    answered.add(p);
                }
            }
        }
        for (Waiting p : answered) {
            if (--p.parts == 0 && pending.remove(p.payment.paymentId()) != null) {
                out.add(decide(p));
            }
        }
    }

    /**
     * One entity's events of one millisecond: a payment asks for the rules' needs and its features;
     * refunds, reversals and chargebacks are recorded where the window already records them. Then
     * what no later on-time event needs goes, and an empty window.
     */
    private void entity(
            String key,
            WindowNeeds need,
            Set<FeatureSpec> specs,
            List<PaymentEvent> events,
            long watermark,
            List<Waiting> answered) {
        EventWindow w = windows.computeIfAbsent(key, k -> new EventWindow());
        if (events.stream().anyMatch(PaymentEvent::needsDecision)) {
            w.track(need);
        }
        for (PaymentEvent e : events) {
            w.add(e);
        }
        for (PaymentEvent e : events) {
            Waiting p = e.needsDecision() ? pending.get(e.paymentId()) : null;
            if (p != null) {
                for (FeatureSpec spec : specs) {
                    p.values.put(spec, w.compute(spec, e));
                }
                answered.add(p);
            }
        }
        w.expire(Math.min(watermark, events.get(0).eventTime()), w.horizon);
        if (w.isEmpty()) {
            windows.remove(key);
        }
    }

    private Decision decide(Waiting p) {
        return scorer.decide(p.payment, p.values, p.late, p.payment.eventTime(), p.matches);
    }

    /** Runs the event through one key's sequences; returns the matches it completes. */
    private List<SequenceMatch> run(SequenceHost host, PaymentEvent e, List<CompiledSequence> active) {
        try {
            // Partial matches past their 'within' go on the key's next event: no timers needed.
            List<SequenceMatch> found = host.onEvent(e, active, t -> {});
            allMatches.addAll(found);
            if (!e.needsDecision()) {
                return List.of();
            }
            return found.stream()
                    .filter(m -> m.completingEventId().equals(e.eventId()))
                    .toList();
        } catch (Exception ex) {
            throw new IllegalStateException("sequence rules failed on event " + e.eventId(), ex);
        }
    }

    /** Stops the sequence buffers' timer threads; the decider takes no more events. */
    @Override
    public void close() {
        try {
            sequences.close();
            customers.close();
        } catch (Exception ex) {
            throw new IllegalStateException("could not close the sequence rules' state", ex);
        }
    }
}
