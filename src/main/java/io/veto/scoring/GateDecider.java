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
 * Decides a stream of events in one thread, without Flink, the way the job does: one window per
 * card and per entity the rules read, events taken in event-time order, the same {@link
 * CardScorer}. For {@code rules test} and backtests, whose events come in order, so no
 * watermark wait is needed and none is late.
 */
public final class OfflineDecider implements AutoCloseable {
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

    public OfflineDecider(CompiledRuleSet rules) {
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
     * Takes the next event (in event-time order); returns the decision for a payment, null for
     * anything else. {@code decidedAt} is the event time, so results never depend on the clock.
     */
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

    public Decision accept(PaymentEvent e) {
        boolean payment = e.needsDecision();
        values.clear();
        if (payment || e.type().refersToPayment()) {
            for (Map.Entry<Entity, Set<FeatureSpec>> f : entityFeatures.entrySet()) {
                String key = f.getKey().keyOf(e);
                if (key == null) {
                    continue;
                }
                EventWindow w = windows.computeIfAbsent(f.getKey().ruleName() + ":" + key, k -> new EventWindow());
                w.track(needs.get(f.getKey()));
                w.add(e);
                if (payment) {
                    for (FeatureSpec spec : f.getValue()) {
                        values.put(spec, w.compute(spec, e));
                    }
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
        scorer.cardFeatures(card, e, Long.MIN_VALUE, values);
        return scorer.decide(e, values, false, e.eventTime(), completed);
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
