package io.veto.stage.fanout;

import io.veto.card.CardInput;
import io.veto.entity.EntityRequest;
import io.veto.event.PaymentEvent;
import io.veto.feature.Entity;
import io.veto.feature.FeatureSpec;
import io.veto.rule.CompiledRuleSet;
import io.veto.rule.RuleSet;
import io.veto.rule.SequenceDefinition;
import io.veto.sequence.CustomerEvent;
import io.veto.stage.ActiveRules;
import io.veto.stage.JobTags;
import io.veto.stage.RuleSetUpdate;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Sends each event where its features are computed: to the window stage of every entity other
 * than the card whose features the active rule set reads (merchant, device, IP ...), and to the
 * card stage with the number of entity answers to wait for and the rule-set version that asked.
 * Entities no rule reads get no request, so a feature no rule uses costs no state. Refunds,
 * reversals and chargebacks go to the same windows (they feed refund and chargeback features)
 * but ask for no answer.
 */
public class FeatureFanOut extends BroadcastProcessFunction<PaymentEvent, RuleSetUpdate, CardInput> {
    private static final long serialVersionUID = 1L;
    public static final String STAGE = "fan-out";

    private static final String[] NO_FEATURES = new String[0];

    private final RuleSet initialRules;
    private transient ActiveRules active;
    private transient CompiledRuleSet namesFor;
    private transient Map<Entity, String[]> names;
    private transient boolean customerSequences;

    public FeatureFanOut(RuleSet initialRules) {
        this.initialRules = initialRules;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        active = new ActiveRules(initialRules);
        names = new EnumMap<>(Entity.class);
    }

    @Override
    public void processElement(PaymentEvent e, ReadOnlyContext ctx, Collector<CardInput> out) throws Exception {
        CompiledRuleSet rules = active.current(ctx.getBroadcastState(JobTags.RULES));
        if (rules != namesFor) {
            names.clear();
            for (Entity entity : Entity.values()) {
                Set<FeatureSpec> specs = rules.features(entity);
                if (entity != Entity.CARD && !specs.isEmpty()) {
                    names.put(entity, specs.stream().map(FeatureSpec::name).toArray(String[]::new));
                }
            }
            customerSequences =
                    !rules.sequences(SequenceDefinition.SequenceKey.CUSTOMER).isEmpty();
            namesFor = rules;
        }
        boolean payment = e.needsDecision();
        int parts = 0;
        if (payment || e.type().refersToPayment()) {
            for (Map.Entry<Entity, String[]> n : names.entrySet()) {
                String value = n.getKey().keyOf(e);
                if (value == null) {
                    continue;
                }
                ctx.output(
                        JobTags.ENTITY_REQUESTS,
                        new EntityRequest(
                                EntityRequest.keyOf(n.getKey(), value),
                                n.getKey(),
                                e,
                                payment ? n.getValue() : NO_FEATURES));
                if (payment) {
                    parts++;
                }
            }
        }
        if (customerSequences && e.customerId() != null) {
            // Account events and payments alike: a customer's sequences need both. Payments wait for the answer.
            boolean answer = payment && e.cardToken() != null;
            ctx.output(JobTags.CUSTOMER_EVENTS, new CustomerEvent(e.customerId(), e, rules.version(), answer));
            if (answer) {
                parts++;
            }
        }
        if (e.cardToken() != null) {
            out.collect(CardInput.event(e, parts, rules.version()));
        }
    }

    @Override
    public void processBroadcastElement(RuleSetUpdate update, Context ctx, Collector<CardInput> out) throws Exception {
        var task = getRuntimeContext().getTaskInfo();
        ctx.output(
                JobTags.RULE_ACKS,
                active.apply(
                        update,
                        ctx.getBroadcastState(JobTags.RULES),
                        STAGE,
                        task.getIndexOfThisSubtask(),
                        task.getNumberOfParallelSubtasks()));
    }
}
