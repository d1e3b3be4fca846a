package io.veto.stage;

import io.veto.card.PendingPayments;
import io.veto.entity.EntityRequest;
import io.veto.event.DlqRecord;
import io.veto.feature.EventWindow;
import io.veto.sequence.Alert;
import io.veto.sequence.CustomerEvent;
import io.veto.stage.fanout.FeatureFanOut;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.util.OutputTag;

/**
 * Every side output and every state of the job's operators, one name each: what the wiring
 * ({@code VetoPipeline}) connects and what a savepoint holds, in one look.
 *
 * <p>The state names are in every savepoint and checkpoint: renaming one loses that state on
 * restore. Keyed-state descriptors are made afresh for each operator (a descriptor keeps the
 * serializer of the first job that used it); the broadcast descriptor is shared, since the
 * broadcast and the operators that read it must name the same state.
 *
 * <p>It lives with the operators, not with the wiring ({@code io.veto.job}), so that the operators
 * do not depend on the package that assembles them. Not here: the packed slots of sequence state
 * (the state {@code sequence-state} of {@link io.veto.sequence.PackedKeyedStateStore}, holding
 * {@link io.veto.sequence.SequenceHost}'s and flink-cep's shared buffer's inner states), which are
 * the sequence host's own layout, not operator state.
 */
public final class JobTags {
    private JobTags() {}

    // Side outputs.

    /** Records that are no valid event, from the split after the source to the DLQ sink. */
    public static final OutputTag<DlqRecord> DLQ = new OutputTag<>("dlq") {};

    /** From {@link FeatureFanOut}: one request per entity (merchant, device, IP ...) the rules read. */
    public static final OutputTag<EntityRequest> ENTITY_REQUESTS = new OutputTag<>("entity-requests") {};

    /** From {@link FeatureFanOut}: events for the customer-sequence stage, while the active rules have sequences keyed by customer. */
    public static final OutputTag<CustomerEvent> CUSTOMER_EVENTS = new OutputTag<>("customer-events") {};

    /** From every rule-aware stage ({@link ActiveRules}): its answer to each published rule set. */
    public static final OutputTag<RuleAck> RULE_ACKS = new OutputTag<>("rule-acks") {};

    /** From the card stage: alerts of card sequence rules with an {@code alert:}. */
    public static final OutputTag<Alert> CARD_ALERTS = new OutputTag<>("alerts") {};

    /** From the customer-sequence stage: alerts of customer sequence rules with an {@code alert:}. */
    public static final OutputTag<Alert> CUSTOMER_ALERTS = new OutputTag<>("customer-alerts") {};

    // Broadcast state.

    /** The active rule set of every rule-aware stage, as its published JSON (see {@link ActiveRules}). */
    public static final MapStateDescriptor<String, byte[]> RULES = new MapStateDescriptor<>(
            "active-rule-set", Types.STRING, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);

    // Keyed state names: never to change.

    /** The card stage's window per card. */
    public static final String CARD_WINDOW_STATE = "card-window";
    /** The card stage's payments waiting for entity answers. */
    public static final String CARD_WAITING_STATE = "card-waiting";
    /** The entity stage's window per entity. */
    public static final String ENTITY_WINDOW_STATE = "entity-window";
    /** The entity stage's requests waiting for the watermark, as the last checkpoint found them. */
    public static final String ENTITY_WAITING_STATE = "entity-waiting-at-checkpoint";
    /** The customer-sequence stage's events waiting for the watermark, by event time. */
    public static final String CUSTOMER_WAITING_STATE = "customer-waiting";

    // Keyed state descriptors.

    public static ValueStateDescriptor<EventWindow> cardWindow() {
        return new ValueStateDescriptor<>(CARD_WINDOW_STATE, EventWindow.class);
    }

    public static ValueStateDescriptor<PendingPayments> cardWaiting() {
        return new ValueStateDescriptor<>(CARD_WAITING_STATE, PendingPayments.Serializer.INSTANCE);
    }

    public static ValueStateDescriptor<EventWindow> entityWindow() {
        return new ValueStateDescriptor<>(ENTITY_WINDOW_STATE, EventWindow.class);
    }

    public static ListStateDescriptor<EntityRequest> entityWaiting() {
        return new ListStateDescriptor<>(ENTITY_WAITING_STATE, TypeInformation.of(EntityRequest.class));
    }

    public static MapStateDescriptor<Long, CustomerEvent[]> customerWaiting() {
        return new MapStateDescriptor<>(
                CUSTOMER_WAITING_STATE, Types.LONG, Types.OBJECT_ARRAY(TypeInformation.of(CustomerEvent.class)));
    }
}
