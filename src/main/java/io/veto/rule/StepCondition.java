package io.veto.rule;

import dev.cel.runtime.CelRuntime;
import io.veto.event.PaymentEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.flink.cep.pattern.conditions.IterativeCondition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sequence step's CEL condition as a flink-cep condition. When the expression reads the match
 * so far ({@code matched}, {@code prev}, {@code first}), the events the partial match has taken are
 * fetched from the NFA's buffer, in step order; otherwise nothing is fetched. A condition that
 * cannot be evaluated on an event (it reads {@code prev} on the first event, say) does not match.
 *
 * <p>Compiled on the task from the rule text and never serialized: the CEL program is transient.
 */
final class StepCondition extends IterativeCondition<PaymentEvent> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(StepCondition.class);

    private final String ruleId;
    private final String step;
    private final transient CelRuntime.Program program;
    /** The steps whose events come before this one's in a match, and this step itself. */
    private final String[] stepsSoFar;

    private final boolean readsMatch;
    private transient SequenceVariables vars;
    private transient long failures;

    StepCondition(String ruleId, String step, CelRuntime.Program program, List<String> stepsSoFar, boolean readsMatch) {
        this.ruleId = ruleId;
        this.step = step;
        this.program = program;
        this.stepsSoFar = stepsSoFar.toArray(new String[0]);
        this.readsMatch = readsMatch;
    }

    @Override
    public boolean filter(PaymentEvent value, Context<PaymentEvent> ctx) throws Exception {
        if (!readsMatch) {
            return test(value, List::of);
        }
        return test(value, () -> {
            List<Map<String, Object>> matched = new ArrayList<>();
            try {
                for (String s : stepsSoFar) {
                    for (PaymentEvent e : ctx.getEventsForPattern(s)) {
                        matched.add(SequenceVariables.asMap(e));
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException("cannot read the match so far", e);
            }
            return matched;
        });
    }

    /** The condition on an event that would start a match (nothing matched yet). */
    boolean test(PaymentEvent value, List<Map<String, Object>> matched) {
        return test(value, () -> matched);
    }

    private boolean test(PaymentEvent value, Supplier<List<Map<String, Object>>> matched) {
        if (vars == null) {
            vars = new SequenceVariables();
        }
        try {
            return Boolean.TRUE.equals(program.eval(vars.reset(value, matched)));
        } catch (Exception e) {
            failures++;
            if (Long.toString(failures).matches("10*")) {
                LOG.warn(
                        "sequence rule {} step {} could not be evaluated on event {} ({} failures so far): {}",
                        ruleId,
                        step,
                        value.eventId(),
                        failures,
                        e.getMessage());
            }
            return false;
        }
    }
}
