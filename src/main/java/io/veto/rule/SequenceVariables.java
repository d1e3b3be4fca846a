package io.veto.rule;

import dev.cel.common.types.CelType;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.runtime.CelVariableResolver;
import io.veto.event.PaymentEvent;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The names a sequence step's condition can use: every payment field a rule can use, a few more
 * that sequences need (the event's type, time and location), and the events the match has taken
 * so far ({@code matched}, {@code prev}, {@code first}), each a map with the same field names.
 * Window features are not visible in steps (they belong to the decision, in the sequence's
 * {@code when}).
 */
final class SequenceVariables implements CelVariableResolver {
    static final CelType EVENT_MAP = MapType.create(SimpleType.STRING, SimpleType.DYN);

    /** Fields of the current event beyond the payment fields rules see. */
    static final Map<String, CelType> EXTRA_FIELDS = extraFields();
    /** The match so far: all its events in order, the latest, the first. */
    static final Map<String, CelType> MATCH_VARIABLES =
            Map.of("matched", ListType.create(EVENT_MAP), "prev", EVENT_MAP, "first", EVENT_MAP);

    private final PaymentVariables fields = new PaymentVariables();
    private PaymentEvent event;
    private Supplier<List<Map<String, Object>>> matchSource = List::of;
    private List<Map<String, Object>> matched;

    private static Map<String, CelType> extraFields() {
        Map<String, CelType> m = new LinkedHashMap<>();
        m.put("type", SimpleType.STRING);
        m.put("event_id", SimpleType.STRING);
        m.put("payment_id", SimpleType.STRING);
        m.put("event_time", SimpleType.INT);
        m.put("lat", SimpleType.DOUBLE);
        m.put("lon", SimpleType.DOUBLE);
        m.put("has_location", SimpleType.BOOL);
        return Collections.unmodifiableMap(m);
    }

    SequenceVariables reset(PaymentEvent event, List<Map<String, Object>> matched) {
        return reset(event, () -> matched);
    }

    /**
     * Points the resolver at the next event; the match so far is fetched only if the condition
     * reaches a name that reads it (CEL resolves names lazily, so {@code card_present && ... prev.lat}
     * fetches nothing for an online payment).
     */
    SequenceVariables reset(PaymentEvent event, Supplier<List<Map<String, Object>>> matched) {
        this.event = event;
        this.matchSource = matched;
        this.matched = null;
        fields.reset(event, null);
        return this;
    }

    private List<Map<String, Object>> matched() {
        if (matched == null) {
            matched = matchSource.get();
        }
        return matched;
    }

    @Override
    public Optional<Object> find(String name) {
        return Optional.ofNullable(value(name));
    }

    private Object value(String name) {
        switch (name) {
            case "matched":
                return matched();
            case "prev":
                return matched().isEmpty() ? Map.of() : matched().get(matched().size() - 1);
            case "first":
                return matched().isEmpty() ? Map.of() : matched().get(0);
            default:
                Object extra = extra(event, name);
                return extra != null ? extra : PaymentVariables.FIELDS.containsKey(name) ? fields.value(name) : null;
        }
    }

    private static Object extra(PaymentEvent e, String name) {
        return switch (name) {
            case "type" -> e.type().name();
            case "event_id" -> e.eventId();
            case "payment_id" -> e.paymentId() == null ? "" : e.paymentId();
            case "event_time" -> e.eventTime();
            case "lat" -> e.lat() == null ? 0.0 : e.lat();
            case "lon" -> e.lon() == null ? 0.0 : e.lon();
            case "has_location" -> e.lat() != null && e.lon() != null;
            default -> null;
        };
    }

    /**
     * One matched event as the map that {@code matched}, {@code prev} and {@code first} hold: a view
     * that reads a field when the condition asks for it.
     */
    static Map<String, Object> asMap(PaymentEvent e) {
        return new EventView(e);
    }

    private static final Set<String> NAMES = names();

    private static Set<String> names() {
        Set<String> n = new LinkedHashSet<>(PaymentVariables.FIELDS.keySet());
        n.addAll(EXTRA_FIELDS.keySet());
        return java.util.Collections.unmodifiableSet(n);
    }

    /** A read-only map of one event's fields, computed on access. */
    private static final class EventView extends AbstractMap<String, Object> {
        private final PaymentEvent e;
        private PaymentVariables pv;

        EventView(PaymentEvent e) {
            this.e = e;
        }

        @Override
        public Object get(Object key) {
            if (!(key instanceof String name) || !NAMES.contains(name)) {
                return null;
            }
            Object x = extra(e, name);
            if (x != null) {
                return x;
            }
            if (pv == null) {
                pv = new PaymentVariables().reset(e, null);
            }
            return pv.value(name);
        }

        @Override
        public boolean containsKey(Object key) {
            return key instanceof String name && NAMES.contains(name);
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            Set<Entry<String, Object>> out = new LinkedHashSet<>();
            for (String n : NAMES) {
                out.add(new AbstractMap.SimpleImmutableEntry<>(n, get(n)));
            }
            return out;
        }

        @Override
        public int size() {
            return NAMES.size();
        }
    }

    static List<Map<String, Object>> asMaps(Iterable<PaymentEvent> events) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (PaymentEvent e : events) {
            out.add(asMap(e));
        }
        return out;
    }
}
