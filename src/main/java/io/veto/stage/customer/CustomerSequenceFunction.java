package io.veto.stage.customer;

import io.veto.card.CardInput;
import io.veto.entity.EntityFeatures;
import io.veto.event.CatchUp;
import io.veto.event.EventTimeGate;
import io.veto.event.PaymentEvent;
import io.veto.feature.Entity;
import io.veto.rule.CompiledRuleSet;
import io.veto.rule.CompiledSequence;
import io.veto.rule.RuleSet;
import io.veto.rule.SequenceDefinition;
import io.veto.rule.SequenceMatch;
import io.veto.sequence.Alert;
import io.veto.sequence.CustomerEvent;
import io.veto.sequence.RuntimeContextStateStore;
import io.veto.sequence.SequenceHost;
import io.veto.stage.ActiveRules;
import io.veto.stage.JobTags;
import io.veto.stage.RuleSetUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Runs the sequence rules over a customer's events (keyed by customer id): account events
 * (password resets, device changes, logins) and the payments of all the customer's cards. Those
 * come from many cards, so from many Kafka partitions, in no fixed order; to find the same matches
 * live and on a replay, events wait until the watermark passes their time and are then taken in
 * event-time order (ties by event id). A wall-clock fallback answers in quiet spells, as the entity
 * feature stage does: once the watermark has not moved for {@code maxWait}, an event that has waited
 * that long is taken with every other event of its customer (its answer then says it is partial).
 * While the watermark moves, however slowly, nothing is taken before it. An event already behind
 * the watermark is taken at once (partial too). That rule is {@link EventTimeGate}'s, the same as
 * the entity stage's; here events wait in keyed state, by event time, with an event-time timer per
 * timestamp (which enters the customer's key when the watermark passes it) and a wall-clock timer
 * per timestamp for the quiet-spell check (both names and layout as in earlier releases' savepoints).
 *
 * <p>Every payment is answered to the card stage, which waits for it, with the matches it completes
 * (usually none); every match of a rule with an {@code alert:} is also raised as an alert.
 *
 * <p>State per customer: events waiting for the watermark, and {@link SequenceHost}'s partial
 * matches; both are empty once the customer is quiet for the longest {@code within}.
 */
public class CustomerSequenceFunction
        extends KeyedBroadcastProcessFunction<String, CustomerEvent, RuleSetUpdate, CardInput> {
    private static final long serialVersionUID = 1L;
    public static final String STAGE = "customer-sequences";

    private static final Comparator<CustomerEvent> ORDER = Comparator.comparingLong(
                    (CustomerEvent c) -> c.event().eventTime())
            .thenComparing(c -> c.event().eventId());

    private final RuleSet initialRules;
    private final long maxWaitMillis;
    private final CatchUp catchUp;
    /** When a waiting event goes: at the watermark, late, or in a quiet spell. */
    private transient EventTimeGate gate;

    private transient ActiveRules rules;
    private transient MapState<Long, CustomerEvent[]> waiting;
    private transient SequenceHost host;
    private transient Counter matchesFound;
    private transient Counter alertsRaised;
    private transient Counter lateEvents;
    private transient Counter takenBeforeWatermark;

    public CustomerSequenceFunction(RuleSet initialRules, Duration maxWait) {
        this(initialRules, maxWait, CatchUp.of(CatchUp.DEFAULT_WAIT));
    }

    /**
     * @param maxWait in a quiet spell, how long events may wait for the watermark, in wall-clock time
     * @param catchUp how much longer that is while the watermark is history (a catch-up or replay)
     */
    public CustomerSequenceFunction(RuleSet initialRules, Duration maxWait, CatchUp catchUp) {
        this.initialRules = initialRules;
        this.maxWaitMillis = maxWait.toMillis();
        this.catchUp = catchUp;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        rules = new ActiveRules(initialRules);
        waiting = getRuntimeContext().getMapState(JobTags.customerWaiting());
        host = new SequenceHost(
                new RuntimeContextStateStore(getRuntimeContext()),
                getRuntimeContext().createSerializer(TypeInformation.of(PaymentEvent.class)),
                getRuntimeContext());
        matchesFound = getRuntimeContext().getMetricGroup().counter("customer_sequence_matches");
        alertsRaised = getRuntimeContext().getMetricGroup().counter("customer_alerts");
        lateEvents = getRuntimeContext().getMetricGroup().counter("customer_events_late");
        takenBeforeWatermark = getRuntimeContext().getMetricGroup().counter("customer_events_taken_before_watermark");
        gate = new EventTimeGate(maxWaitMillis, catchUp);
    }

    /**
     * Tells the gate the watermark now (events and timers come often while it moves). The first
     * look starts the gate: restored wall-clock timers that are already due must not take events
     * before the replay has had a chance to move the watermark.
     */
    private void observe(ReadOnlyContext ctx) {
        gate.advance(ctx.timerService().currentWatermark(), ctx.timerService().currentProcessingTime());
    }

    @Override
    public void close() throws Exception {
        if (host != null) {
            host.close();
        }
    }

    @Override
    public void processElement(CustomerEvent in, ReadOnlyContext ctx, Collector<CardInput> out) throws Exception {
        observe(ctx);
        long ts = in.event().eventTime();
        if (gate.isLate(ts)) {
            lateEvents.inc();
            take(new CustomerEvent[] {in}, ctx, out, true);
            return;
        }
        CustomerEvent[] before = waiting.get(ts);
        if (before == null) {
            waiting.put(ts, new CustomerEvent[] {in});
            ctx.timerService().registerEventTimeTimer(ts);
            long now = ctx.timerService().currentProcessingTime();
            ctx.timerService()
                    .registerProcessingTimeTimer(EventTimeGate.checkAt(gate.releaseAt(now, gate.maxWait(now, ts))));
        } else {
            CustomerEvent[] more = Arrays.copyOf(before, before.length + 1);
            more[before.length] = in;
            waiting.put(ts, more);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<CardInput> out) throws Exception {
        observe(ctx);
        if (ctx.timeDomain() == TimeDomain.PROCESSING_TIME) {
            long now = ctx.timerService().currentProcessingTime();
            // Before any watermark, the timer's own deadline already judged its event's wait.
            long maxWait = gate.maxWait(now, now);
            if (gate.quietFrom(maxWait) > now) {
                // The watermark is moving (steady traffic, or a catch-up where one source subtask is
                // behind the other): it will come, and taking the events now would not be exact.
                // (The timer was set for the first event of its timestamp once it had waited maxWait.)
                if (!waiting.isEmpty()) {
                    ctx.timerService().registerProcessingTimeTimer(EventTimeGate.checkAt(gate.quietFrom(maxWait)));
                }
                return;
            }
            // A quiet spell: the watermark has not moved for maxWait. Take everything waiting, oldest first.
            if (!waiting.isEmpty()) {
                List<Long> times = new ArrayList<>();
                waiting.keys().forEach(times::add);
                times.sort(null);
                for (Long t : times) {
                    CustomerEvent[] due = waiting.get(t);
                    waiting.remove(t);
                    takenBeforeWatermark.inc(due.length);
                    take(due, ctx, out, true);
                }
            }
            return;
        }
        CustomerEvent[] due = waiting.get(timestamp);
        if (due != null) {
            waiting.remove(timestamp);
            take(due, ctx, out, false);
        }
        CompiledRuleSet current = rules.current(ctx.getBroadcastState(JobTags.RULES));
        alerts(
                current,
                host.onTimer(
                        timestamp,
                        current.sequences(SequenceDefinition.SequenceKey.CUSTOMER),
                        ctx.timerService()::registerEventTimeTimer),
                null,
                ctx.getCurrentKey(),
                ctx);
    }

    /**
     * Runs events of one timestamp through the customer's sequences, in a fixed order, and answers
     * the payments; {@code partial} when they are taken before the watermark passed them or after
     * it had (events of the customer still on their way may be missing).
     */
    private void take(CustomerEvent[] events, ReadOnlyContext ctx, Collector<CardInput> out, boolean partial)
            throws Exception {
        if (events.length > 1) {
            Arrays.sort(events, ORDER);
        }
        for (CustomerEvent in : events) {
            CompiledRuleSet rs = rules.version(in.rulesVersion(), ctx.getBroadcastState(JobTags.RULES));
            PaymentEvent e = in.event();
            CompiledRuleSet newest = rules.current(ctx.getBroadcastState(JobTags.RULES));
            List<SequenceMatch> found = host.onEvent(
                    e,
                    rs.sequences(SequenceDefinition.SequenceKey.CUSTOMER),
                    newest == rs ? List.of() : newest.sequences(SequenceDefinition.SequenceKey.CUSTOMER),
                    ctx.timerService()::registerEventTimeTimer);
            alerts(rs, found, e, ctx.getCurrentKey(), ctx);
            if (in.wantsAnswer()) {
                SequenceMatch[] mine = found.stream()
                        .filter(m -> m.completingEventId().equals(e.eventId()))
                        .toArray(SequenceMatch[]::new);
                out.collect(CardInput.answer(new EntityFeatures(
                        e.cardToken(),
                        e.paymentId(),
                        e.eventTime(),
                        Entity.CUSTOMER,
                        new String[0],
                        new double[0],
                        mine,
                        partial)));
            }
        }
    }

    private void alerts(
            CompiledRuleSet rs, List<SequenceMatch> found, PaymentEvent event, String customer, ReadOnlyContext ctx) {
        if (found.isEmpty()) {
            return;
        }
        matchesFound.inc(found.size());
        for (SequenceMatch m : found) {
            String alert = null;
            for (CompiledSequence cs : rs.sequences()) {
                if (cs.ruleId().equals(m.ruleId())) {
                    alert = cs.definition().alert();
                }
            }
            if (alert != null) {
                boolean decided = event != null
                        && event.needsDecision()
                        && m.completingEventId().equals(event.eventId());
                ctx.output(
                        JobTags.CUSTOMER_ALERTS,
                        new Alert(
                                m.ruleId() + ":" + m.completingEventId(),
                                alert,
                                m.ruleId(),
                                "customer",
                                customer,
                                m.eventIds(),
                                m.firstEventTime(),
                                m.lastEventTime(),
                                System.currentTimeMillis(),
                                rs.version(),
                                decided ? event.paymentId() : null));
                alertsRaised.inc();
            }
        }
    }

    @Override
    public void processBroadcastElement(RuleSetUpdate update, Context ctx, Collector<CardInput> out) throws Exception {
        var task = getRuntimeContext().getTaskInfo();
        ctx.output(
                JobTags.RULE_ACKS,
                rules.apply(
                        update,
                        ctx.getBroadcastState(JobTags.RULES),
                        STAGE,
                        task.getIndexOfThisSubtask(),
                        task.getNumberOfParallelSubtasks()));
    }
}
