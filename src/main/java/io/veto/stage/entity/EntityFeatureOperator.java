package io.veto.stage.entity;

import io.veto.card.CardInput;
import io.veto.entity.EntityFeatures;
import io.veto.entity.EntityRequest;
import io.veto.event.CatchUp;
import io.veto.event.EventTimeGate;
import io.veto.feature.Entity;
import io.veto.feature.EventWindow;
import io.veto.feature.FeatureSpec;
import io.veto.feature.WindowNeeds;
import io.veto.stage.JobTags;
import io.veto.time.Times;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The window of one entity other than the card (keyed by {@code entity:value}, e.g.
 * {@code merchant:m-0042}), answering each payment with the features its rule set asked for.
 *
 * <p>Events of one merchant or IP come from many cards, so from many Kafka partitions, in no
 * particular order. To compute exactly what the payment's event time says — all events in
 * {@code (t - horizon, t]}, whatever order they arrived in, the same in a live run, a catch-up and
 * a replay after a restore — a request waits until the watermark passes its event time; then all
 * requests of one timestamp are added together before any is answered. A request already behind
 * the watermark (late) is answered at once with what the window holds. This wait (the watermark's
 * out-of-orderness bound, plus the time the watermark takes to arrive) is the price of exactness;
 * card features, whose events keep their order on the payments topic, do not pay it.
 *
 * <p><b>Waiting without state writes.</b> Requests wait in this operator's memory, ordered by
 * event time, not in keyed state with a timer each: when a watermark arrives, the requests it
 * passes are handled key by key, each key's window read and written once for all of them. A
 * waiting request therefore costs no state access and no timer; only a checkpoint writes the
 * requests still waiting at that moment (usually a handful: those within the watermark's bound)
 * into keyed state ({@value JobTags#ENTITY_WAITING_STATE}), from which a restore reads them back. Each checkpoint
 * replaces what the previous one wrote, so that state always holds exactly the requests waiting at
 * the last checkpoint, in their key groups, and rescales with them.
 *
 * <p>The watermark only moves while payments flow: after the last payment before a quiet spell, it
 * stops. So that no payment waits for the next one, once the watermark has not moved for
 * {@code maxWait} of wall clock, a request that has waited that long is answered, with every other
 * request of its entity still waiting, from what the window holds — exact unless an older event is
 * still on its way, which in a quiet spell is rare. While the watermark moves, however slowly,
 * nothing is answered before it: in a catch-up or replay, one source subtask may be far behind
 * the other in event time (requests then wait, in memory, for the slow one), and the answers
 * stay exact. When a request goes is {@link EventTimeGate}'s rule, the same as the customer-sequence
 * stage's; how requests wait (in memory, one operator-wide wall-clock check) is this operator's.
 *
 * <p>With {@code --entity-features ARRIVAL} ({@code waitForWatermark} false) every request is
 * answered the moment it arrives, from the events that have arrived: the lowest latency, but a
 * payment misses events of its window still on their way from other partitions.
 *
 * <p>State per key: the {@link EventWindow}, and one event-time timer, which drops the window
 * once the entity has been quiet for its longest horizon.
 */
public class EntityFeatureOperator extends AbstractStreamOperator<CardInput>
        implements OneInputStreamOperator<EntityRequest, CardInput>, Triggerable<String, VoidNamespace> {
    private static final long serialVersionUID = 1L;
    static final long TIMER_GRANULARITY_MILLIS = 60_000L;

    /** The keyed timer service of the cleanup timers (the name a KeyedProcessOperator's has). */
    static final String TIMERS = "user-timers";

    private final long maxWaitMillis;
    private final boolean waitForWatermark;

    private transient ValueState<EventWindow> window;
    private transient ListState<EntityRequest> persisted;
    private transient InternalTimerService<VoidNamespace> timers;
    private final CatchUp catchUp;
    /** When a waiting request goes: at the watermark, late, or in a quiet spell. */
    private transient EventTimeGate gate;
    /** The most requests that waited at once since the start (a metric). */
    private transient int mostWaiting;

    /** Waiting requests by event time, in arrival order within one millisecond. */
    private transient TreeMap<Long, List<Waiting>> waiting;

    private transient int waitingCount;
    /** The same requests in arrival order, for the wall-clock deadline; answered ones leave it lazily. */
    private transient ArrayDeque<Waiting> arrivals;
    /** Keys whose waiting requests the last checkpoint wrote to {@link #persisted}. */
    private transient Set<String> persistedKeys;
    /** When the pending wall-clock check runs, or {@link Long#MAX_VALUE} when none is registered. */
    private transient long deadlineCheckAt;

    private transient Map<Entity, Map<String, FeatureSpec>> specs;
    private transient Map<Entity, CachedNeeds> needs;
    private transient Counter lateRequests;
    private transient Counter answeredBeforeWatermark;

    /** A waiting request, the wall-clock time it arrived, and whether it has been answered since. */
    private static final class Waiting {
        final EntityRequest request;
        final long arrivedAt;
        boolean done;

        Waiting(EntityRequest request, long arrivedAt) {
            this.request = request;
            this.arrivedAt = arrivedAt;
        }
    }

    /** The needs of the last feature list an entity was asked for: requests of one rule set repeat it. */
    private record CachedNeeds(String[] names, FeatureSpec[] specs, WindowNeeds needs) {}

    /** An exact stage: requests wait for the watermark. */
    public EntityFeatureOperator(Duration maxWait) {
        this(maxWait, CatchUp.of(CatchUp.DEFAULT_WAIT), true);
    }

    /**
     * @param maxWait in a quiet spell, how long a request may wait for the watermark, in wall-clock time
     * @param catchUp how much longer that is while the watermark is history (a catch-up or replay)
     * @param waitForWatermark false answers every request at once from the events that have arrived
     *     ({@code --entity-features ARRIVAL}): no wait, approximate
     */
    public EntityFeatureOperator(Duration maxWait, CatchUp catchUp, boolean waitForWatermark) {
        this.maxWaitMillis = maxWait.toMillis();
        this.catchUp = catchUp;
        this.waitForWatermark = waitForWatermark;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        window = context.getKeyedStateStore().getState(JobTags.entityWindow());
        persisted = context.getKeyedStateStore().getListState(JobTags.entityWaiting());
        waiting = new TreeMap<>();
        arrivals = new ArrayDeque<>();
        persistedKeys = new HashSet<>();
        deadlineCheckAt = Long.MAX_VALUE;
        gate = new EventTimeGate(maxWaitMillis, catchUp);
        gate.start(getProcessingTimeService().getCurrentProcessingTime());
        if (context.isRestored()) {
            List<Object> keys;
            try (Stream<Object> s = getKeyedStateBackend()
                    .<VoidNamespace>getKeys(JobTags.ENTITY_WAITING_STATE, VoidNamespace.INSTANCE)) {
                keys = s.collect(Collectors.toList());
            }
            long now = getProcessingTimeService().getCurrentProcessingTime();
            for (Object key : keys) {
                setCurrentKey(key);
                Iterable<EntityRequest> restored = persisted.get();
                if (restored != null) {
                    for (EntityRequest r : restored) {
                        enqueue(r, now);
                    }
                }
                persistedKeys.add((String) key);
            }
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        timers = getInternalTimerService(TIMERS, VoidNamespaceSerializer.INSTANCE, this);
        specs = new EnumMap<>(Entity.class);
        needs = new EnumMap<>(Entity.class);
        lateRequests = getMetricGroup().counter("entity_requests_late");
        answeredBeforeWatermark = getMetricGroup().counter("entity_requests_answered_before_watermark");
        getMetricGroup().gauge("entity_requests_waiting", () -> waitingCount);
        getMetricGroup().gauge("entity_requests_most_waiting", () -> mostWaiting);
        if (waitingCount > 0) {
            long now = getProcessingTimeService().getCurrentProcessingTime();
            scheduleDeadlineCheck(gate.releaseAt(now, gate.maxWait(now, Long.MIN_VALUE)));
        }
    }

    @Override
    public void processElement(StreamRecord<EntityRequest> element) throws Exception {
        EntityRequest request = element.getValue();
        if (!waitForWatermark || gate.isLate(request.event().eventTime())) {
            if (waitForWatermark) {
                lateRequests.inc();
            }
            // Late: answered from what the window holds, which may miss events still on their way.
            handle(List.of(request), gate.watermark(), waitForWatermark);
            return;
        }
        long now = getProcessingTimeService().getCurrentProcessingTime();
        enqueue(request, now);
        scheduleDeadlineCheck(
                gate.releaseAt(now, gate.maxWait(now, request.event().eventTime())));
    }

    private void enqueue(EntityRequest r, long now) {
        Waiting x = new Waiting(r, now);
        waiting.computeIfAbsent(r.event().eventTime(), t -> new ArrayList<>(2)).add(x);
        arrivals.addLast(x);
        waitingCount++;
        mostWaiting = Math.max(mostWaiting, waitingCount);
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        long w = mark.getTimestamp();
        if (w > gate.watermark()) {
            long now = getProcessingTimeService().getCurrentProcessingTime();
            gate.advance(w, now);
            if (!waiting.isEmpty() && waiting.firstKey() <= w) {
                answer(take(waiting.headMap(w, true)), w, false);
                Waiting oldest;
                while ((oldest = arrivals.peekFirst()) != null && oldest.done) {
                    arrivals.pollFirst();
                }
            }
            if (waitingCount > 0) {
                // The wait may have shortened (the watermark turned live after a catch-up or a start).
                scheduleDeadlineCheck(gate.quietFrom(gate.maxWait(now, w)));
            }
        }
        // Then the cleanup timers this watermark passes, and the watermark goes on downstream.
        super.processWatermark(mark);
    }

    /** Removes the given part of {@link #waiting} and groups it by key, each key's requests in event-time order. */
    private Map<String, List<EntityRequest>> take(NavigableMap<Long, List<Waiting>> due) {
        Map<String, List<EntityRequest>> byKey = new LinkedHashMap<>();
        for (Iterator<List<Waiting>> it = due.values().iterator(); it.hasNext(); ) {
            for (Waiting x : it.next()) {
                byKey.computeIfAbsent(x.request.key(), k -> new ArrayList<>(2)).add(x.request);
                x.done = true;
                waitingCount--;
            }
            it.remove();
        }
        return byKey;
    }

    private void answer(Map<String, List<EntityRequest>> byKey, long watermark, boolean beforeWatermark)
            throws Exception {
        for (Map.Entry<String, List<EntityRequest>> e : byKey.entrySet()) {
            setCurrentKey(e.getKey());
            if (beforeWatermark) {
                answeredBeforeWatermark.inc(e.getValue().size());
            }
            handle(e.getValue(), watermark, beforeWatermark);
        }
    }

    /**
     * The watermark has not come for a while: answers every waiting request of each entity that has
     * one waiting since {@code maxWait}, oldest first. Usually nothing is overdue and this looks at
     * the oldest request only.
     */
    private void onDeadline(long now) throws Exception {
        deadlineCheckAt = Long.MAX_VALUE;
        Waiting oldest;
        while ((oldest = arrivals.peekFirst()) != null && oldest.done) {
            arrivals.pollFirst();
        }
        if (oldest == null) {
            return;
        }
        long maxWait = gate.maxWait(now, oldest.request.event().eventTime());
        long releaseAt = gate.releaseAt(oldest.arrivedAt, maxWait);
        if (releaseAt > now) {
            // The oldest has not waited long enough, or the watermark is moving, only slowly (a
            // catch-up, where one source subtask is behind the other): it will come, and answering
            // now would not be exact.
            scheduleDeadlineCheck(releaseAt);
            return;
        }
        // A quiet spell: the rare slow path, a scan of everything that waits.
        Set<String> overdue = new HashSet<>();
        for (Waiting x : arrivals) {
            if (gate.releaseAt(x.arrivedAt, maxWait) > now) {
                break;
            }
            if (!x.done) {
                overdue.add(x.request.key());
            }
        }
        Map<String, List<EntityRequest>> byKey = new LinkedHashMap<>();
        for (Iterator<List<Waiting>> it = waiting.values().iterator(); it.hasNext(); ) {
            List<Waiting> atTime = it.next();
            atTime.removeIf(x -> {
                if (overdue.contains(x.request.key())) {
                    byKey.computeIfAbsent(x.request.key(), k -> new ArrayList<>(2))
                            .add(x.request);
                    x.done = true;
                    waitingCount--;
                    return true;
                }
                return false;
            });
            if (atTime.isEmpty()) {
                it.remove();
            }
        }
        answer(byKey, gate.watermark(), true);
        while ((oldest = arrivals.peekFirst()) != null && oldest.done) {
            arrivals.pollFirst();
        }
        if (oldest != null) {
            scheduleDeadlineCheck(gate.releaseAt(
                    oldest.arrivedAt, gate.maxWait(now, oldest.request.event().eventTime())));
        }
    }

    private void scheduleDeadlineCheck(long deadline) {
        long at = EventTimeGate.checkAt(deadline);
        if (at < deadlineCheckAt) {
            deadlineCheckAt = at;
            getProcessingTimeService().registerTimer(at, time -> {
                if (time >= deadlineCheckAt) {
                    onDeadline(time);
                }
            });
        }
    }

    /**
     * Handles one key's requests, in event-time order: for each timestamp, adds all its requests to
     * the window, then answers each from it. The window is read and written once.
     */
    private void handle(List<EntityRequest> requests, long watermark, boolean partial) throws Exception {
        EventWindow w = window.value();
        if (w == null) {
            w = new EventWindow();
        }
        int n = requests.size();
        for (int i = 0; i < n; ) {
            long ts = requests.get(i).event().eventTime();
            int j = i + 1;
            while (j < n && requests.get(j).event().eventTime() == ts) {
                j++;
            }
            handleOneTime(w, requests.subList(i, j), watermark, partial);
            i = j;
        }
        if (w.isEmpty()) {
            window.clear();
            return;
        }
        armCleanup(w);
        window.update(w);
    }

    private void handleOneTime(EventWindow w, List<EntityRequest> requests, long watermark, boolean partial) {
        // Record what the payments' rule sets read now; columns no rule reads any more are dropped.
        WindowNeeds asked = needsOf(requests);
        if (asked != null) {
            w.track(asked);
            w.horizon = asked.horizon();
        }
        for (EntityRequest r : requests) {
            w.add(r.event());
        }
        for (EntityRequest r : requests) {
            if (!r.wantsAnswer()) {
                continue;
            }
            FeatureSpec[] s = specsOf(r);
            double[] values = new double[s.length];
            for (int i = 0; i < s.length; i++) {
                values[i] = w.compute(s[i], r.event());
            }
            long ts = r.event().eventTime();
            output.collect(new StreamRecord<>(
                    CardInput.answer(new EntityFeatures(
                            r.event().cardToken(),
                            r.event().paymentId(),
                            ts,
                            r.entity(),
                            r.features(),
                            values,
                            null,
                            partial)),
                    ts));
        }
        long ts = requests.get(0).event().eventTime();
        w.expire(Math.min(watermark, ts), w.horizon);
    }

    /** What the requests of one timestamp ask to be recorded; null when none asks for features. */
    private WindowNeeds needsOf(List<EntityRequest> requests) {
        WindowNeeds single = null;
        List<FeatureSpec> union = null;
        for (EntityRequest r : requests) {
            if (!r.wantsAnswer()) {
                continue;
            }
            CachedNeeds c = cached(r);
            if (single == null && union == null) {
                single = c.needs();
            } else if (single != c.needs()) {
                // Requests of different rule sets in one millisecond (a rule-set switch): record what any of them
                // reads.
                if (union == null) {
                    union = new ArrayList<>();
                }
                union.addAll(Arrays.asList(c.specs()));
                single = null;
            }
        }
        if (union != null) {
            return WindowNeeds.of(union);
        }
        return single;
    }

    private FeatureSpec[] specsOf(EntityRequest r) {
        return cached(r).specs();
    }

    private CachedNeeds cached(EntityRequest r) {
        CachedNeeds c = needs.get(r.entity());
        if (c != null && (c.names() == r.features() || Arrays.equals(c.names(), r.features()))) {
            return c;
        }
        Map<String, FeatureSpec> byName = specs.computeIfAbsent(r.entity(), e -> new HashMap<>());
        FeatureSpec[] s = new FeatureSpec[r.features().length];
        for (int i = 0; i < s.length; i++) {
            s[i] = byName.computeIfAbsent(r.features()[i], name -> FeatureSpec.parse(r.entity(), name));
        }
        c = new CachedNeeds(r.features().clone(), s, WindowNeeds.of(Arrays.asList(s)));
        needs.put(r.entity(), c);
        return c;
    }

    @Override
    public void onEventTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
        long timestamp = timer.getTimestamp();
        EventWindow w = window.value();
        if (w != null && w.cleanupTimer == timestamp) {
            w.cleanupTimer = Long.MIN_VALUE;
            w.expire(timestamp, w.horizon);
            // At the end of time nothing can come after: re-arming at MAX_VALUE would fire forever.
            if (w.isEmpty() || timestamp == Long.MAX_VALUE) {
                // Quiet for a whole horizon: nothing of this entity is needed any more.
                window.clear();
            } else {
                armCleanup(w);
                window.update(w);
            }
        }
    }

    @Override
    public void onProcessingTime(InternalTimer<String, VoidNamespace> timer) {
        // No keyed processing-time timers: the wall-clock fallback is one operator-wide check.
    }

    /** Keeps exactly one pending cleanup timer, due once the newest event leaves the horizon. */
    private void armCleanup(EventWindow w) {
        if (w.isEmpty() || w.cleanupTimer != Long.MIN_VALUE) {
            return;
        }
        long due = Times.nextMultipleAfter(
                Times.plusSaturating(w.latestTime(), Math.max(w.horizon, 0)), TIMER_GRANULARITY_MILLIS);
        timers.registerEventTimeTimer(VoidNamespace.INSTANCE, due);
        w.cleanupTimer = due;
    }

    /** Writes the requests waiting now into keyed state, replacing what the last checkpoint wrote. */
    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        Map<String, List<EntityRequest>> byKey = new LinkedHashMap<>();
        for (List<Waiting> atTime : waiting.values()) {
            for (Waiting x : atTime) {
                byKey.computeIfAbsent(x.request.key(), k -> new ArrayList<>(2)).add(x.request);
            }
        }
        Object key = getCurrentKey();
        for (String k : persistedKeys) {
            if (!byKey.containsKey(k)) {
                setCurrentKey(k);
                persisted.clear();
            }
        }
        persistedKeys.clear();
        for (Map.Entry<String, List<EntityRequest>> e : byKey.entrySet()) {
            setCurrentKey(e.getKey());
            persisted.update(e.getValue());
            persistedKeys.add(e.getKey());
        }
        if (key != null) {
            setCurrentKey(key);
        }
    }

    /** Requests waiting for the watermark (for tests and metrics). */
    int waitingRequests() {
        return waitingCount;
    }
}
