package io.veto.rule;

import dev.cel.common.types.CelType;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.runtime.CelVariableResolver;
import io.veto.event.PaymentEvent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
    private List<Map<String, Object>> matched = List.of();

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
        this.event = event;
        this.matched = matched;
        fields.reset(event, null);
        return this;
    }

    @Override
    public Optional<Object> find(String name) {
        return Optional.ofNullable(value(name));
    }

    private Object value(String name) {
        switch (name) {
            case "matched":
                return matched;
            case "prev":
                return matched.isEmpty() ? Map.of() : matched.get(matched.size() - 1);
            case "first":
                return matched.isEmpty() ? Map.of() : matched.get(0);
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

    /** One matched event as the map that {@code matched}, {@code prev} and {@code first} hold. */
    static Map<String, Object> asMap(PaymentEvent e) {
        PaymentVariables pv = new PaymentVariables().reset(e, null);
        Map<String, Object> m = new HashMap<>();
        for (String f : PaymentVariables.FIELDS.keySet()) {
            m.put(f, pv.value(f));
        }
        for (String f : EXTRA_FIELDS.keySet()) {
            m.put(f, extra(e, f));
        }
        return m;
    }

    static List<Map<String, Object>> asMaps(Iterable<PaymentEvent> events) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (PaymentEvent e : events) {
            out.add(asMap(e));
        }
        return out;
    }
}
