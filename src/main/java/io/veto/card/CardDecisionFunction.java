package io.veto.card;

import io.veto.decision.Decision;
import io.veto.decision.Reason;
import io.veto.decision.ShadowResult;
import io.veto.event.PaymentEvent;
import io.veto.feature.Entity;
import io.veto.feature.EventWindow;
import io.veto.feature.FeatureSpec;
import io.veto.feature.FeatureValues;
import io.veto.rule.CompiledRuleSet;
import io.veto.rule.Evaluation;
import io.veto.rule.Outcome;
import io.veto.rule.RuleSet;
import io.veto.rule.RuleSetCompiler;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Decides payments, keyed by card token: keeps the card's rolling window, computes the card
 * features the rules name (the payment itself included, in event time), evaluates the rule set and
 * emits exactly one {@link Decision} per PAYMENT event, late or not.
 *
 * <p>State per card is one {@link EventWindow} (one read and one write per payment). It holds only
 * events inside the longest horizon the rules use; one event-time timer per card, at most, cleans
 * it up once the card has been quiet for that horizon, so idle cards leave nothing behind.
 */
public class CardDecisionFunction extends KeyedProcessFunction<String, PaymentEvent, Decision> {
    private static final long serialVersionUID = 1L;

    /** Cleanup timers are rounded up to this, so a busy card re-arms rarely. */
    static final long TIMER_GRANULARITY_MILLIS = 60_000L;

    public static final String WINDOW_STATE = "card-window";

    private final RuleSet ruleSet;

    private transient CompiledRuleSet rules;
    private transient Set<FeatureSpec> cardFeatures;
    private transient long horizon;
    private transient ValueState<EventWindow> window;
    private transient FeatureValues values;
    private transient Map<Outcome, Counter> decisions;
    private transient Counter lateDecisions;

    public CardDecisionFunction(RuleSet ruleSet) {
        this.ruleSet = ruleSet;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        rules = RuleSetCompiler.forJob().compile(ruleSet);
        cardFeatures = rules.features(Entity.CARD);
        horizon = rules.maxHorizon(Entity.CARD);
        window = getRuntimeContext().getState(new ValueStateDescriptor<>(WINDOW_STATE, EventWindow.class));
        values = new FeatureValues();
        decisions = new EnumMap<>(Outcome.class);
        for (Outcome o : Outcome.values()) {
            decisions.put(o, getRuntimeContext().getMetricGroup().counter("decisions_" + o.name().toLowerCase()));
        }
        lateDecisions = getRuntimeContext().getMetricGroup().counter("decisions_late");
    }

    @Override
    public void processElement(PaymentEvent event, Context ctx, Collector<Decision> out) throws Exception {
        if (!event.needsDecision()) {
            // Refunds, reversals and chargebacks do not count as payments in the card's window.
            return;
        }
        long ts = event.eventTime();
        long watermark = ctx.timerService().currentWatermark();
        boolean late = ts <= watermark;
        values.clear();
        if (horizon > 0) {
            EventWindow w = window.value();
            if (w == null) {
                w = new EventWindow();
            }
            w.add(ts, event.amountFixed());
            for (FeatureSpec spec : cardFeatures) {
                values.put(spec, w.compute(spec, ts));
            }
            // Anything at or before min(watermark, ts) - horizon can be in no later on-time payment's window.
            w.evictUpTo(saturatedMinus(Math.min(watermark, ts), horizon));
            armCleanup(w, ctx.timerService());
            window.update(w);
        }
        Evaluation ev = rules.evaluate(event, values);
        ShadowResult shadow =
                ev.shadowOutcome() == null
                        ? null
                        : new ShadowResult(ev.shadowOutcome().name(), ev.shadowScore(), ev.shadowReasons().toArray(new Reason[0]));
        out.collect(
                new Decision(
                        event.paymentId(),
                        event.eventId(),
                        ev.outcome(),
                        ev.score(),
                        ev.reasons().toArray(new Reason[0]),
                        rules.version(),
                        shadow,
                        ts,
                        System.currentTimeMillis(),
                        late,
                        event.bin(),
                        event.last4()));
        decisions.get(ev.outcome()).inc();
        if (late) {
            lateDecisions.inc();
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Decision> out) throws Exception {
        EventWindow w = window.value();
        if (w == null) {
            return;
        }
        w.cleanupTimer = Long.MIN_VALUE;
        w.evictUpTo(timestamp - horizon);
        if (w.isEmpty()) {
            // The card has been quiet for a whole horizon: nothing of it is needed any more.
            window.clear();
        } else {
            armCleanup(w, ctx.timerService());
            window.update(w);
        }
    }

    /** Keeps exactly one pending timer per card, due once its newest event leaves the horizon. */
    private void armCleanup(EventWindow w, org.apache.flink.streaming.api.TimerService timers) {
        if (w.isEmpty() || w.cleanupTimer != Long.MIN_VALUE) {
            // An earlier timer re-arms itself when it fires and finds newer events.
            return;
        }
        long due = w.latestTime() + horizon;
        due = (Math.floorDiv(due, TIMER_GRANULARITY_MILLIS) + 1) * TIMER_GRANULARITY_MILLIS;
        timers.registerEventTimeTimer(due);
        w.cleanupTimer = due;
    }

    private static long saturatedMinus(long a, long b) {
        long r = a - b;
        return ((a ^ b) & (a ^ r)) < 0 ? Long.MIN_VALUE : r;
    }
}
