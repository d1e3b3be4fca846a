package io.veto.stage.card;

import io.veto.card.CardInput;
import io.veto.card.Pending;
import io.veto.card.PendingPayments;
import io.veto.decision.Decision;
import io.veto.decision.Outcome;
import io.veto.entity.EntityFeatures;
import io.veto.event.PaymentEvent;
import io.veto.feature.EventWindow;
import io.veto.feature.FeatureValues;
import io.veto.rule.CompiledRuleSet;
import io.veto.rule.CompiledSequence;
import io.veto.rule.RuleSet;
import io.veto.rule.SequenceDefinition;
import io.veto.rule.SequenceMatch;
import io.veto.scoring.CardScorer;
import io.veto.sequence.Alert;
import io.veto.sequence.RuntimeContextStateStore;
import io.veto.sequence.SequenceHost;
import io.veto.stage.ActiveRules;
import io.veto.stage.JobTags;
import io.veto.stage.RuleAck;
import io.veto.stage.RuleSetUpdate;
import io.veto.stage.fanout.FeatureFanOut;
import io.veto.time.Times;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides payments, keyed by card token, and emits exactly one {@link Decision} per PAYMENT
 * event, late or not.
 *
 * <p>Card features are computed when the payment arrives: a card's events keep their order on the
 * payments topic (its key is the card), so its window is already exact. When the rule set also
 * reads features of other entities, {@link FeatureFanOut} said how many entity stages will answer;
 * the payment waits in keyed state until they all have, then is decided with the rule-set version
 * that asked for those features (kept compiled while a switch is under way). A payment whose
 * answers have not all arrived once the watermark is {@link #ANSWER_TIMEOUT_MILLIS} past it is
 * decided with what it has, so none is ever lost.
 *
 * <p>Rule sets published on the rules topic arrive as broadcast elements between inputs, replace
 * the active one in a single reference swap (no payment sees half a rule set), and are answered
 * for the status aggregator; one that does not compile is answered with its problems and the
 * previous one stays active. See {@link ActiveRules}.
 *
 * <p>Keyed state per card: one {@link EventWindow} (one read and one write per payment) and the
 * payments still waiting. One event-time timer per card drops the window once the card has been
 * quiet for the rules' longest horizon, so idle cards leave nothing behind.
 */
public class CardDecisionFunction extends KeyedBroadcastProcessFunction<String, CardInput, RuleSetUpdate, Decision> {
    private static final long serialVersionUID = 3L;
    private static final Logger LOG = LoggerFactory.getLogger(CardDecisionFunction.class);

    public static final String STAGE = "card";
    /** Cleanup timers are rounded up to this, so a busy card re-arms rarely. */
    static final long TIMER_GRANULARITY_MILLIS = 60_000L;
    /** How far the watermark may pass a waiting payment before it is decided without the missing answers. */
    static final long ANSWER_TIMEOUT_MILLIS = 60_000L;

    private final RuleSet initialRules;

    private transient ActiveRules active;
    private transient CardScorer scorer;
    private transient ValueState<EventWindow> window;
    private transient ValueState<PendingPayments> pending;
    private transient FeatureValues values;
    private transient Map<Outcome, Counter> decisions;
    private transient Counter lateDecisions;
    private transient Counter incompleteDecisions;
    private transient Counter strayAnswers;
    private transient Counter ruleSetsApplied;
    private transient Counter ruleSetsRejected;
    private transient SequenceHost sequences;
    private transient Counter sequenceMatches;
    private transient Counter alertsRaised;

    public CardDecisionFunction(RuleSet initialRules) {
        this.initialRules = initialRules;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        active = new ActiveRules(initialRules);
        window = getRuntimeContext().getState(JobTags.cardWindow());
        pending = getRuntimeContext().getState(JobTags.cardWaiting());
        values = new FeatureValues();
        decisions = new EnumMap<>(Outcome.class);
        var metrics = getRuntimeContext().getMetricGroup();
        for (Outcome o : Outcome.values()) {
            decisions.put(o, metrics.counter("decisions_" + o.name().toLowerCase()));
        }
        lateDecisions = metrics.counter("decisions_late");
        incompleteDecisions = metrics.counter("decisions_without_all_features");
        strayAnswers = metrics.counter("entity_answers_unmatched");
        ruleSetsApplied = metrics.counter("rule_sets_applied");
        ruleSetsRejected = metrics.counter("rule_sets_rejected");
        sequenceMatches = metrics.counter("sequence_matches");
        alertsRaised = metrics.counter("alerts");
        sequences = new SequenceHost(
                new RuntimeContextStateStore(getRuntimeContext()),
                getRuntimeContext().createSerializer(TypeInformation.of(PaymentEvent.class)),
                getRuntimeContext());
    }

    @Override
    public void close() throws Exception {
        if (sequences != null) {
            sequences.close();
        }
    }

    @Override
    public void processElement(CardInput in, ReadOnlyContext ctx, Collector<Decision> out) throws Exception {
        ReadOnlyBroadcastState<String, byte[]> rulesState = ctx.getBroadcastState(JobTags.RULES);
        if (in.answer() != null) {
            onAnswer(in.answer(), rulesState, ctx.timerService(), out);
            return;
        }
        PaymentEvent event = in.event();
        CardScorer s = scorer(active.version(in.rulesVersion(), rulesState));
        long watermark = ctx.timerService().currentWatermark();
        // Sequences see every event of the card, in the card's order, at once: no wait for the watermark.
        List<CompiledSequence> cardSequences = s.rules().sequences(SequenceDefinition.SequenceKey.CARD);
        // With no sequence left in the rule set, the host still runs once to release what a previous set left.
        List<SequenceMatch> matches = cardSequences.isEmpty() && !sequences.hasState()
                ? List.of()
                : sequences.onEvent(
                        event,
                        cardSequences,
                        newestSequences(s.rules(), rulesState),
                        ctx.timerService()::registerEventTimeTimer);
        List<SequenceMatch> completed = completedBy(event, matches);
        raiseAlerts(s.rules(), matches, event, ctx.getCurrentKey(), ctx::output);
        EventWindow w = null;
        if (s.horizon() > 0) {
            w = window.value();
            if (w == null) {
                w = new EventWindow();
            }
        }
        if (!event.needsDecision()) {
            // Refunds, reversals and chargebacks feed the card's feedback features, never its payment counts.
            if (w != null && s.recordFeedback(w, event)) {
                window.update(w);
            }
            return;
        }
        values.clear();
        s.cardFeatures(w, event, watermark, values);
        if (w != null) {
            armCleanup(w, s.horizon(), ctx.timerService());
            window.update(w);
        }
        if (in.parts() == 0) {
            emit(s.decide(event, values, event.eventTime() <= watermark, System.currentTimeMillis(), completed), out);
            return;
        }
        PendingPayments waiting = pending.value();
        Pending p = waiting == null ? null : waiting.get(event.paymentId());
        boolean early = p != null;
        if (!early) {
            p = new Pending();
        }
        p.arrived(event, in.rulesVersion(), in.parts(), event.eventTime() <= watermark);
        values.forEach(p::add);
        // Customer-sequence answers may have come first: keep their matches too.
        p.matches = Pending.concat(completed.toArray(new SequenceMatch[0]), p.matches);
        if (p.complete()) {
            // Every answer came before the payment itself.
            waiting.remove(p);
            store(waiting);
            decide(p, rulesState, out);
            return;
        }
        if (!early) {
            if (waiting == null) {
                waiting = new PendingPayments();
            }
            waiting.add(p);
        }
        pending.update(waiting);
        if (!early) {
            ctx.timerService().registerEventTimeTimer(Times.plusSaturating(event.eventTime(), ANSWER_TIMEOUT_MILLIS));
        }
    }

    private void onAnswer(
            EntityFeatures a,
            ReadOnlyBroadcastState<String, byte[]> rulesState,
            TimerService timers,
            Collector<Decision> out)
            throws Exception {
        PendingPayments waiting = pending.value();
        Pending p = waiting == null ? null : waiting.get(a.paymentId());
        if (p == null) {
            // The answer overtook its payment; it waits for it, or for the timeout if the payment was
            // already decided without it.
            p = new Pending();
            p.paymentId = a.paymentId();
            p.eventTime = a.eventTime();
            timers.registerEventTimeTimer(Times.plusSaturating(a.eventTime(), ANSWER_TIMEOUT_MILLIS));
            if (waiting == null) {
                waiting = new PendingPayments();
            }
            waiting.add(p);
        }
        String prefix = a.entity().ruleName() + ".";
        for (int i = 0; i < a.names().length; i++) {
            p.add(prefix + a.names()[i], a.values()[i]);
        }
        if (a.matches() != null && a.matches().length > 0) {
            p.matches = Pending.concat(p.matches, a.matches());
        }
        p.late |= a.partial();
        p.received++;
        if (p.complete()) {
            waiting.remove(p);
            store(waiting);
            decide(p, rulesState, out);
        } else {
            pending.update(waiting);
        }
    }

    /** Writes the card's waiting payments back, or clears them when none is left. */
    private void store(PendingPayments waiting) throws Exception {
        if (waiting.isEmpty()) {
            pending.clear();
        } else {
            pending.update(waiting);
        }
    }

    private void decide(Pending p, ReadOnlyBroadcastState<String, byte[]> rulesState, Collector<Decision> out)
            throws Exception {
        CardScorer s = scorer(active.version(p.rulesVersion, rulesState));
        values.clear();
        for (int i = 0; i < p.names.length; i++) {
            values.put(p.names[i], p.values[i]);
        }
        emit(
                s.decide(
                        p.payment,
                        values,
                        p.late,
                        System.currentTimeMillis(),
                        p.matches == null ? List.of() : List.of(p.matches)),
                out);
    }

    private void emit(Decision d, Collector<Decision> out) {
        out.collect(d);
        decisions.get(d.decision()).inc();
        if (d.late()) {
            lateDecisions.inc();
        }
    }

    @Override
    public void processBroadcastElement(RuleSetUpdate update, Context ctx, Collector<Decision> out) throws Exception {
        var task = getRuntimeContext().getTaskInfo();
        RuleAck ack = active.apply(
                update,
                ctx.getBroadcastState(JobTags.RULES),
                STAGE,
                task.getIndexOfThisSubtask(),
                task.getNumberOfParallelSubtasks());
        (ack.applied() ? ruleSetsApplied : ruleSetsRejected).inc();
        if (task.getIndexOfThisSubtask() == 0) {
            if (ack.applied()) {
                LOG.info("rule set {} applied from {}", ack.version(), update.origin());
            } else {
                LOG.warn(
                        "rule set from {} rejected, the previous one stays active: {}",
                        update.origin(),
                        String.join("; ", ack.problems()));
            }
        }
        ctx.output(JobTags.RULE_ACKS, ack);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Decision> out) throws Exception {
        ReadOnlyBroadcastState<String, byte[]> rulesState = ctx.getBroadcastState(JobTags.RULES);
        PendingPayments waiting = pending.value();
        if (waiting != null) {
            List<Pending> overdue =
                    waiting.removeIf(p -> Times.plusSaturating(p.eventTime, ANSWER_TIMEOUT_MILLIS) <= timestamp);
            if (!overdue.isEmpty()) {
                store(waiting);
            }
            for (Pending p : overdue) {
                if (p.payment == null) {
                    // Answers whose payment was decided without them (it timed out first).
                    strayAnswers.inc();
                } else {
                    incompleteDecisions.inc();
                    // Without every entity's features: not what a replay that gets them would decide.
                    p.late = true;
                    decide(p, rulesState, out);
                }
            }
        }
        CompiledRuleSet current = active.current(rulesState);
        // Nothing to do (one point read) for a card with no sequence under way.
        List<SequenceMatch> byTime = sequences.onTimer(
                timestamp,
                current.sequences(SequenceDefinition.SequenceKey.CARD),
                ctx.timerService()::registerEventTimeTimer);
        raiseAlerts(current, byTime, null, ctx.getCurrentKey(), ctx::output);
        EventWindow w = window.value();
        if (w == null || w.cleanupTimer != timestamp) {
            return;
        }
        long horizon = scorer(current).horizon();
        w.cleanupTimer = Long.MIN_VALUE;
        w.expire(timestamp, horizon);
        // At the end of time (a saturated timer, the last watermark of a bounded input) nothing can
        // come after: re-arming at the same instant would fire again forever.
        if (w.isEmpty() || timestamp == Long.MAX_VALUE) {
            // The card has been quiet for a whole horizon: nothing of it is needed any more.
            window.clear();
        } else {
            armCleanup(w, horizon, ctx.timerService());
            window.update(w);
        }
    }

    /** The active set's card sequences when the event runs with an older version (a switch under way): their state stays. */
    private List<CompiledSequence> newestSequences(
            CompiledRuleSet version, ReadOnlyBroadcastState<String, byte[]> rulesState) throws Exception {
        CompiledRuleSet current = active.current(rulesState);
        return current == version ? List.of() : current.sequences(SequenceDefinition.SequenceKey.CARD);
    }

    /** The matches that {@code event} completes (a skip strategy may release older ones with it). */
    private static List<SequenceMatch> completedBy(PaymentEvent event, List<SequenceMatch> matches) {
        if (matches.isEmpty() || !event.needsDecision()) {
            return List.of();
        }
        List<SequenceMatch> out = new ArrayList<>(matches.size());
        for (SequenceMatch m : matches) {
            if (m.completingEventId().equals(event.eventId())) {
                out.add(m);
            }
        }
        return out;
    }

    /** One alert per match of a sequence rule that raises one; the decision of {@code event} carries the match when it completes it. */
    private void raiseAlerts(
            CompiledRuleSet rules,
            List<SequenceMatch> matches,
            PaymentEvent event,
            String cardToken,
            BiConsumer<OutputTag<Alert>, Alert> output) {
        if (matches.isEmpty()) {
            return;
        }
        sequenceMatches.inc(matches.size());
        for (SequenceMatch m : matches) {
            String alert = null;
            for (CompiledSequence cs : rules.sequences()) {
                if (cs.ruleId().equals(m.ruleId())) {
                    alert = cs.definition().alert();
                }
            }
            if (alert == null) {
                continue;
            }
            boolean decided = event != null
                    && event.needsDecision()
                    && m.completingEventId().equals(event.eventId());
            output.accept(
                    JobTags.CARD_ALERTS,
                    new Alert(
                            m.ruleId() + ":" + m.completingEventId(),
                            alert,
                            m.ruleId(),
                            "card",
                            cardToken,
                            m.eventIds(),
                            m.firstEventTime(),
                            m.lastEventTime(),
                            System.currentTimeMillis(),
                            rules.version(),
                            decided ? event.paymentId() : null));
            alertsRaised.inc();
        }
    }

    private CardScorer scorer(CompiledRuleSet rules) {
        if (scorer == null || scorer.rules() != rules) {
            scorer = new CardScorer(rules);
        }
        return scorer;
    }

    /** Keeps exactly one pending cleanup timer per card, due once its newest event leaves the horizon. */
    private static void armCleanup(EventWindow w, long horizon, TimerService timers) {
        if (w.isEmpty() || w.cleanupTimer != Long.MIN_VALUE) {
            // An earlier timer re-arms itself when it fires and finds newer events.
            return;
        }
        long due = Times.nextMultipleAfter(
                Times.plusSaturating(w.latestTime(), Math.max(horizon, 0)), TIMER_GRANULARITY_MILLIS);
        timers.registerEventTimeTimer(due);
        w.cleanupTimer = due;
    }
}
