package io.veto.generator;

import java.util.Objects;

/**
 * Where an event sits in an injected fraud scenario instance: the ground truth that tests and the
 * end-to-end check read from {@link GeneratedEvent#scenario()}. Never written into the event's JSON.
 *
 * @param id the instance's id, unique within one generator ({@code sc-<runId>-<seq>}, or
 *     {@code sc-<seq>} without a run id)
 * @param label the scenario's label, equal to the event's {@code fraudLabel}
 * @param step 1-based position of the event among the instance's events (event-time order)
 * @param size how many events the instance has in all (payments, refunds and account events)
 * @param completes whether this event is the payment at which the scenario's sequence is complete:
 *     exactly one event of each instance
 */
public record ScenarioTag(String id, String label, int step, int size, boolean completes) {
    public ScenarioTag {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(label, "label");
        if (step < 1 || step > size) {
            throw new IllegalArgumentException("step " + step + " outside 1.." + size);
        }
    }
}
