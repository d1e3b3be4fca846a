package io.veto.entity;

import io.veto.card.CardInput;
import io.veto.feature.EventWindow;
import io.veto.feature.FeatureSpec;
import io.veto.feature.WindowNeeds;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The window of one entity other than the card (keyed by {@code entity:value}, e.g.
 * {@code merchant:m-0042}), answering each payment with the features its rule set asked for.
 *
 * <p>Events of one merchant or IP come from many cards, so from many Kafka partitions, in no
 * particular order. To compute exactly what the payment's event time says — all events in
 * {@code (t - horizon, t]}, whatever order they arrived in, the same in a live run, a catch-up and
 * a replay after a restore — requests wait in keyed state until the watermark passes their event
 * time, then all requests of one timestamp are added together before any is answered. A request
 * already behind the watermark (late) is answered at once with what the window holds. This wait
 * (the watermark's out-of-orderness bound) is the price of exactness; card features, whose events
 * keep their order on the payments topic, do not pay it.
 *
 * <p>The watermark only moves while payments flow: after the last payment before a quiet spell, it
 * stops. So that no payment waits for the next one, a request still waiting {@code maxWait} of wall
 * clock after it arrived is answered then with what the window holds — exact unless an older event
 * is still on its way, which in a quiet spell is rare. A catch-up or replay never waits that long
 * (the watermark keeps moving), so it stays exact.
 *
 * <p>State per key: the {@link EventWindow} and the requests still waiting; one event-time timer
 * per waiting timestamp and one for cleanup, which drops the window once the entity has been
 * quiet for its longest horizon.
 */
public class EntityFeatureFunction extends KeyedProcessFunction<String, EntityRequest, CardInput> {
    private static final long serialVersionUID = 1L;
    static final long TIMER_GRANULARITY_MILLIS = 60_000L;

    public static final String WINDOW_STATE = "entity-window";
    public static final String WAITING_STATE = "entity-waiting";

    private final long maxWaitMillis;

    private transient ValueState<EventWindow> window;
    private transient MapState<Long, EntityRequest[]> waiting;
    private transient Map<String, FeatureSpec> specs;
    private transient Counter lateRequests;
    private transient Counter answeredBeforeWatermark;

    /** @param maxWait how long a request may wait for the watermark, in wall-clock time */
    public EntityFeatureFunction(java.time.Duration maxWait) {
        this.maxWaitMillis = maxWait.toMillis();
    }

    @Override
    public void open(OpenContext openContext) {
        window = getRuntimeContext().getState(new ValueStateDescriptor<>(WINDOW_STATE, EventWindow.class));
        waiting = getRuntimeContext().getMapState(new MapStateDescriptor<>(
                WAITING_STATE, Types.LONG, Types.OBJECT_ARRAY(TypeInformation.of(EntityRequest.class))));
        specs = new HashMap<>();
        lateRequests = getRuntimeContext().getMetricGroup().counter("entity_requests_late");
        answeredBeforeWatermark = getRuntimeContext().getMetricGroup().counter("entity_requests_answered_before_watermark");
    }

    @Override
    public void processElement(EntityRequest request, Context ctx, Collector<CardInput> out) throws Exception {
        long ts = request.event().eventTime();
        long watermark = ctx.timerService().currentWatermark();
        if (ts <= watermark) {
            lateRequests.inc();
            handle(new EntityRequest[] {request}, watermark, ctx.timerService(), out);
            return;
        }
        EntityRequest[] before = waiting.get(ts);
        if (before == null) {
            waiting.put(ts, new EntityRequest[] {request});
            ctx.timerService().registerEventTimeTimer(ts);
            // Rounded so that a busy key shares its deadlines.
            long deadline = ctx.timerService().currentProcessingTime() + maxWaitMillis;
            ctx.timerService().registerProcessingTimeTimer((deadline / 100 + 1) * 100);
        } else {
            EntityRequest[] more = Arrays.copyOf(before, before.length + 1);
            more[before.length] = request;
            waiting.put(ts, more);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<CardInput> out) throws Exception {
        if (ctx.timeDomain() == org.apache.flink.streaming.api.TimeDomain.PROCESSING_TIME) {
            answerWaiting(ctx, out);
            return;
        }
        EntityRequest[] due = waiting.get(timestamp);
        if (due != null) {
            waiting.remove(timestamp);
            handle(due, ctx.timerService().currentWatermark(), ctx.timerService(), out);
        }
        EventWindow w = window.value();
        if (w != null && w.cleanupTimer == timestamp) {
            w.cleanupTimer = Long.MIN_VALUE;
            w.expire(timestamp, w.horizon);
            if (w.isEmpty()) {
                // Quiet for a whole horizon: nothing of this entity is needed any more.
                window.clear();
            } else {
                armCleanup(w, ctx.timerService());
                window.update(w);
            }
        }
    }

    /**
     * The watermark has not come for a while: answers every request of this key that is still
     * waiting, oldest first. Its event-time timers find nothing left when they fire.
     */
    private void answerWaiting(OnTimerContext ctx, Collector<CardInput> out) throws Exception {
        if (waiting.isEmpty()) {
            return;
        }
        List<Long> times = new ArrayList<>();
        for (Long t : waiting.keys()) {
            times.add(t);
        }
        times.sort(null);
        for (Long t : times) {
            EntityRequest[] due = waiting.get(t);
            waiting.remove(t);
            answeredBeforeWatermark.inc(due.length);
            handle(due, ctx.timerService().currentWatermark(), ctx.timerService(), out);
        }
    }

    /** Adds all requests of one event time to the window, then answers each from it. */
    private void handle(EntityRequest[] requests, long watermark, TimerService timers, Collector<CardInput> out) throws Exception {
        EventWindow w = window.value();
        if (w == null) {
            w = new EventWindow();
        }
        List<FeatureSpec> asked = new ArrayList<>();
        for (EntityRequest r : requests) {
            for (String name : r.features()) {
                asked.add(spec(r, name));
            }
        }
        if (!asked.isEmpty()) {
            // Record what the payments' rule sets read now; columns no rule reads any more are dropped.
            WindowNeeds needs = WindowNeeds.of(asked);
            w.track(needs);
            w.horizon = needs.horizon();
        }
        for (EntityRequest r : requests) {
            w.add(r.event());
        }
        for (EntityRequest r : requests) {
            if (!r.wantsAnswer()) {
                continue;
            }
            double[] values = new double[r.features().length];
            for (int i = 0; i < values.length; i++) {
                values[i] = w.compute(spec(r, r.features()[i]), r.event());
            }
            out.collect(CardInput.answer(new EntityFeatures(r.event().cardToken(), r.event().paymentId(), r.event().eventTime(), r.entity(), r.features(), values)));
        }
        long ts = requests[0].event().eventTime();
        w.expire(Math.min(watermark, ts), w.horizon);
        if (w.isEmpty()) {
            window.clear();
            return;
        }
        armCleanup(w, timers);
        window.update(w);
    }

    private FeatureSpec spec(EntityRequest r, String name) {
        return specs.computeIfAbsent(r.entity().ruleName() + "." + name, k -> FeatureSpec.parse(r.entity(), name));
    }

    /** Keeps exactly one pending cleanup timer, due once the newest event leaves the horizon. */
    private static void armCleanup(EventWindow w, TimerService timers) {
        if (w.isEmpty() || w.cleanupTimer != Long.MIN_VALUE) {
            return;
        }
        long due = w.latestTime() + Math.max(w.horizon, 0);
        due = (Math.floorDiv(due, TIMER_GRANULARITY_MILLIS) + 1) * TIMER_GRANULARITY_MILLIS;
        timers.registerEventTimeTimer(due);
        w.cleanupTimer = due;
    }
}
