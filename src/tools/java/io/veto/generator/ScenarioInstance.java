package io.veto.generator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One injected fraud scenario instance as found in a generated stream: its id, label and events in
 * event-time order, and the payment that completes it. Built from the events' {@link ScenarioTag}s by
 * {@link #collect}, so it needs nothing but the events a test (or the end-to-end check) sent.
 *
 * @param id the instance's id ({@link ScenarioTag#id()})
 * @param label the scenario's label ({@link GeneratedEvent#fraudLabel()})
 * @param size how many events the instance has in all
 * @param events the instance's events seen so far, in stream order (which is event-time order)
 */
public record ScenarioInstance(String id, String label, int size, List<GeneratedEvent> events) {

    public ScenarioInstance {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(label, "label");
        events = List.copyOf(events);
    }

    /**
     * The scenario instances of {@code events}, in the order their first events appear. Instances
     * whose later events lie beyond the end of {@code events} are included with the events there are:
     * see {@link #isWhole()} and {@link #isCompleted()}.
     */
    public static List<ScenarioInstance> collect(Iterable<GeneratedEvent> events) {
        Map<String, List<GeneratedEvent>> byId = new LinkedHashMap<>();
        Map<String, ScenarioTag> first = new LinkedHashMap<>();
        for (GeneratedEvent e : events) {
            ScenarioTag tag = e.scenario();
            if (tag != null) {
                byId.computeIfAbsent(tag.id(), k -> new ArrayList<>()).add(e);
                first.putIfAbsent(tag.id(), tag);
            }
        }
        List<ScenarioInstance> out = new ArrayList<>(byId.size());
        byId.forEach((id, list) -> {
            ScenarioTag tag = first.get(id);
            out.add(new ScenarioInstance(id, tag.label(), tag.size(), list));
        });
        return out;
    }

    /** The eventIds of the instance's events, in order. */
    public List<String> eventIds() {
        return events.stream().map(GeneratedEvent::eventId).toList();
    }

    /** The payment that completes the scenario, or null if it is not among the events. */
    public GeneratedEvent completing() {
        for (GeneratedEvent e : events) {
            if (e.completes()) {
                return e;
            }
        }
        return null;
    }

    /** Whether the completing payment is among the events: what an end-to-end check should expect caught. */
    public boolean isCompleted() {
        return completing() != null;
    }

    /** Whether all {@link #size()} events are there. */
    public boolean isWhole() {
        return events.size() == size;
    }

    /** The events up to and including the completing payment (all of them if it is not there). */
    public List<GeneratedEvent> throughCompletion() {
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).completes()) {
                return events.subList(0, i + 1);
            }
        }
        return events;
    }

    @Override
    public String toString() { // events' toString never shows their JSON (raw PAN)
        return "ScenarioInstance[" + id + ", " + label + ", " + events.size() + "/" + size + " events, eventIds="
                + eventIds() + "]";
    }
}
