package io.veto.card;

import io.veto.decision.Decision;
import io.veto.feature.EventWindow;
import io.veto.event.PaymentEvent;
import io.veto.rule.CompiledRuleSet;
import io.veto.rule.Outcome;
import io.veto.rule.RuleProblem;
import io.veto.rule.RuleSet;
import io.veto.rule.RuleSetCodec;
import io.veto.rule.RuleSetCompiler;
import io.veto.rule.RuleSetException;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides payments, keyed by card token, with the rule set that is active when each payment
 * arrives: keeps the card's rolling window, and emits exactly one {@link Decision} per PAYMENT
 * event, late or not, through {@link CardScorer}.
 *
 * <p>Rule sets published on the rules topic arrive as broadcast elements between payments: each
 * is decoded and compiled here, then replaces the active one in a single reference swap, so no
 * payment is ever evaluated against half of one. A set that does not compile is answered with its
 * problems and the previous one stays active. The active set lives in broadcast state (as its
 * published JSON), so a restored job resumes with it.
 *
 * <p>Keyed state per card is one {@link EventWindow}: one read and one write per payment. One
 * event-time timer per card, at most, drops it once the card has been quiet for the rules'
 * longest horizon, so idle cards leave nothing behind.
 */
public class CardDecisionFunction extends KeyedBroadcastProcessFunction<String, PaymentEvent, RuleSetUpdate, Decision> {
    private static final long serialVersionUID = 2L;
    private static final Logger LOG = LoggerFactory.getLogger(CardDecisionFunction.class);

    /** Cleanup timers are rounded up to this, so a busy card re-arms rarely. */
    static final long TIMER_GRANULARITY_MILLIS = 60_000L;

    public static final String WINDOW_STATE = "card-window";
    static final String ACTIVE = "active";

    /** The active rule set, as its published JSON, under the key {@value #ACTIVE}. */
    public static final MapStateDescriptor<String, byte[]> RULES_STATE =
            new MapStateDescriptor<>("active-rule-set", Types.STRING, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);

    public static final OutputTag<RuleAck> RULE_ACKS = new OutputTag<>("rule-acks") {};

    private final RuleSet initialRules;

    private transient CardScorer scorer;
    /** The broadcast-state value {@link #scorer} was built from; a different one (after a restore) means rebuild. */
    private transient byte[] scorerSource;
    private transient RuleSetCompiler compiler;
    private transient ValueState<EventWindow> window;
    private transient Map<Outcome, Counter> decisions;
    private transient Counter lateDecisions;
    private transient Counter ruleSetsApplied;
    private transient Counter ruleSetsRejected;

    public CardDecisionFunction(RuleSet initialRules) {
        this.initialRules = initialRules;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        compiler = RuleSetCompiler.forJob();
        scorer = new CardScorer(compiler.compile(initialRules));
        window = getRuntimeContext().getState(new ValueStateDescriptor<>(WINDOW_STATE, EventWindow.class));
        decisions = new EnumMap<>(Outcome.class);
        var metrics = getRuntimeContext().getMetricGroup();
        for (Outcome o : Outcome.values()) {
            decisions.put(o, metrics.counter("decisions_" + o.name().toLowerCase()));
        }
        lateDecisions = metrics.counter("decisions_late");
        ruleSetsApplied = metrics.counter("rule_sets_applied");
        ruleSetsRejected = metrics.counter("rule_sets_rejected");
    }

    @Override
    public void processElement(PaymentEvent event, ReadOnlyContext ctx, Collector<Decision> out) throws Exception {
        if (!event.needsDecision()) {
            // Refunds, reversals and chargebacks do not count as payments in the card's window.
            return;
        }
        CardScorer s = scorer(ctx.getBroadcastState(RULES_STATE));
        EventWindow w = null;
        if (s.horizon() > 0) {
            w = window.value();
            if (w == null) {
                w = new EventWindow();
            }
        }
        Decision d = s.decide(w, event, ctx.timerService().currentWatermark(), System.currentTimeMillis());
        if (w != null) {
            armCleanup(w, s.horizon(), ctx.timerService());
            window.update(w);
        }
        out.collect(d);
        decisions.get(d.decision()).inc();
        if (d.late()) {
            lateDecisions.inc();
        }
    }

    @Override
    public void processBroadcastElement(RuleSetUpdate update, Context ctx, Collector<Decision> out) throws Exception {
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        int parallelism = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
        RuleSet rs = null;
        try {
            rs = RuleSetCodec.decode(update.json());
            CompiledRuleSet compiled = compiler.compile(rs);
            byte[] canonical = RuleSetCodec.encode(rs);
            BroadcastState<String, byte[]> state = ctx.getBroadcastState(RULES_STATE);
            state.put(ACTIVE, canonical);
            scorer = new CardScorer(compiled);
            scorerSource = canonical;
            ruleSetsApplied.inc();
            if (subtask == 0) {
                LOG.info("rule set {} ({} rules) applied from {}", compiled.version(), compiled.size(), update.origin());
            }
            ctx.output(RULE_ACKS, new RuleAck(rs.name(), compiled.version(), true, new String[0], subtask, parallelism, update.origin()));
        } catch (RuleSetException e) {
            ruleSetsRejected.inc();
            String[] problems = e.problems().stream().map(RuleProblem::toString).toArray(String[]::new);
            if (subtask == 0) {
                LOG.warn("rule set from {} rejected, {} stays active: {}", update.origin(), scorer.rules().version(), e.getMessage());
            }
            ctx.output(RULE_ACKS, new RuleAck(
                    rs == null ? "?" : rs.name(), rs == null ? "?" : rs.version(), false, problems, subtask, parallelism, update.origin()));
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Decision> out) throws Exception {
        EventWindow w = window.value();
        if (w == null) {
            return;
        }
        long horizon = scorer(ctx.getBroadcastState(RULES_STATE)).horizon();
        w.cleanupTimer = Long.MIN_VALUE;
        w.evictUpTo(timestamp - horizon);
        if (w.isEmpty()) {
            // The card has been quiet for a whole horizon: nothing of it is needed any more.
            window.clear();
        } else {
            armCleanup(w, horizon, ctx.timerService());
            window.update(w);
        }
    }

    /** The scorer of the active rule set; rebuilt only when the broadcast state holds another one (after a restore). */
    private CardScorer scorer(ReadOnlyBroadcastState<String, byte[]> state) throws Exception {
        byte[] active = state.get(ACTIVE);
        if (active != null && active != scorerSource) {
            scorer = new CardScorer(compiler.compile(RuleSetCodec.decode(active)));
            scorerSource = active;
        }
        return scorer;
    }

    /** Keeps exactly one pending timer per card, due once its newest event leaves the horizon. */
    private static void armCleanup(EventWindow w, long horizon, TimerService timers) {
        if (w.isEmpty() || w.cleanupTimer != Long.MIN_VALUE) {
            // An earlier timer re-arms itself when it fires and finds newer events.
            return;
        }
        long due = w.latestTime() + Math.max(horizon, 0);
        due = (Math.floorDiv(due, TIMER_GRANULARITY_MILLIS) + 1) * TIMER_GRANULARITY_MILLIS;
        timers.registerEventTimeTimer(due);
        w.cleanupTimer = due;
    }
}
