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
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;

/**
 * The in-process decider of the job's rule-set gate ({@code RuleSetGuard}, through {@link
 * ExampleRunner}): the gate runs a published set's examples inside an operator, where no job graph
 * can be started. Everything else that decides offline — {@code rules test}, backtests — runs the
 * job's own graph on a MiniCluster instead; this class is the gate's stand-in for it, and
 * {@code GateDecidesAsTheJobTest} proves the two decide alike, payment for payment.
 *
 * <p>It does what the graph does, in one thread and without Flink: one window per card and per
 * entity the rules read (expired as the stages expire them, behind a watermark that trails the
 * newest event by {@code disorderMillis}), card and customer sequences on the same {@link
 * SequenceHost}, the same {@link CardScorer}. Events must come in event-time order, or out of it by
 * at most {@code disorderMillis}.
 *
 * <p>Not the graph in one respect: the entity stage adds all events of one millisecond to an
 * entity's window before it answers any of them, and the customer stage takes them ordered by
 * event id; this decider takes them one by one, in the order given.
 */
public final class GateDecider implements AutoCloseable {
    private final CardScorer scorer;
    private final Map<Entity, Set<FeatureSpec>> entityFeatures = new EnumMap<>(Entity.class);
    private final Map<Entity, WindowNeeds> needs = new EnumMap<>(Entity.class);
    private final Map<String, EventWindow> windows = new HashMap<>();
    private final FeatureValues values = new FeatureValues();
    private final List<CompiledSequence> cardSequences;
    private final InMemoryKeyedStateStore sequenceState = new InMemoryKeyedStateStore();
    private final SequenceHost sequences;
    private final List<CompiledSequence> customerSequences;
    private final InMemoryKeyedStateStore customerState = new InMemoryKeyedStateStore();
    private final SequenceHost customers;
    private final List<SequenceMatch> allMatches = new ArrayList<>();
    private final long disorderMillis;
    /** The newest event time taken, or {@link Long#MIN_VALUE}. */
    private long newest = Long.MIN_VALUE;

    /** For events in event-time order. */
    public GateDecider(CompiledRuleSet rules) {
        this(rules, 0);
    }

    /**
     * @param disorderMillis how far an event may be older than the newest before it: the watermark
     *     bound, as the job is given {@code --max-out-of-orderness}
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

    /** Runs the event through one key's sequences; returns the matches a payment completes. */
    private List<SequenceMatch> run(SequenceHost host, PaymentEvent e, List<CompiledSequence> active, boolean payment) {
        try {
            // Offline, every event is in order: partial matches expire on the key's next event.
            List<SequenceMatch> found = host.onEvent(e, active, t -> {});
            allMatches.addAll(found);
            return found.stream()
                    .filter(m -> payment && m.completingEventId().equals(e.eventId()))
                    .toList();
        } catch (Exception ex) {
            throw new IllegalStateException("sequence rules failed on event " + e.eventId(), ex);
        }
    }

    /** Every sequence match found so far, also those no decision carries (completed by a refund). */
    public List<SequenceMatch> matches() {
        return List.copyOf(allMatches);
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

    /**
     * The job's watermark after the events taken so far: the newest event time less the disorder
     * bound and 1 ms, as Flink's bounded-out-of-orderness watermarks have it.
     */
    long watermark() {
        return newest == Long.MIN_VALUE ? Long.MIN_VALUE : newest - disorderMillis - 1;
    }

    /**
     * Takes the next event; returns the decision for a payment, null for anything else. {@code
     * decidedAt} is the event time, so results never depend on the clock.
     */
    public Decision accept(PaymentEvent e) {
        boolean payment = e.needsDecision();
        long ts = e.eventTime();
        boolean late = ts <= watermark();
        newest = Math.max(newest, ts);
        long watermark = watermark();
        values.clear();
        if (payment || e.type().refersToPayment()) {
            for (Map.Entry<Entity, Set<FeatureSpec>> f : entityFeatures.entrySet()) {
                String key = f.getKey().keyOf(e);
                if (key != null) {
                    entity(f.getKey().ruleName() + ":" + key, needs.get(f.getKey()), f.getValue(), e, watermark);
                }
            }
        }
        List<SequenceMatch> completed = new ArrayList<>();
        if (!customerSequences.isEmpty() && e.customerId() != null) {
            customerState.setCurrentKey(e.customerId());
            completed.addAll(run(customers, e, customerSequences, payment));
        }
        if (e.cardToken() == null) {
            return null;
        }
        if (!cardSequences.isEmpty()) {
            sequenceState.setCurrentKey(e.cardToken());
            completed.addAll(0, run(sequences, e, cardSequences, payment));
        }
        EventWindow card =
                scorer.horizon() > 0 ? windows.computeIfAbsent("card:" + e.cardToken(), k -> new EventWindow()) : null;
        if (!payment) {
            if (card != null) {
                scorer.recordFeedback(card, e);
            }
            return null;
        }
        scorer.cardFeatures(card, e, watermark, values);
        return scorer.decide(e, values, late, ts, completed);
    }

    /**
     * One entity's part of an event, as the entity stage does it: a payment asks for the rules'
     * needs and its features; refunds, reversals and chargebacks are recorded where the window
     * already records them. Then what no later on-time event needs goes, and an empty window.
     */
    private void entity(String key, WindowNeeds need, Set<FeatureSpec> specs, PaymentEvent e, long watermark) {
        EventWindow w = windows.computeIfAbsent(key, k -> new EventWindow());
        if (e.needsDecision()) {
            w.track(need);
        }
        w.add(e);
        if (e.needsDecision()) {
            for (FeatureSpec spec : specs) {
                values.put(spec, w.compute(spec, e));
            }
        }
        w.expire(Math.min(watermark, e.eventTime()), w.horizon);
        if (w.isEmpty()) {
            windows.remove(key);
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
