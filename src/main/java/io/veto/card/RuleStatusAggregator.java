package io.veto.card;

import io.veto.rule.RuleStatus;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Runs with parallelism 1 and reports a published rule set as APPLIED only once every decision
 * subtask has switched to it, so that any payment sent after the status message is decided with
 * the new rules; REJECTED when the subtasks refused it (they all refuse the same way: compiling is
 * deterministic). Pending answers are kept in memory: after a restart the job re-reads the rules
 * topic from its checkpointed offset, and the subtasks answer again.
 */
public class RuleStatusAggregator extends ProcessFunction<RuleAck, RuleStatusAggregator.StatusRecord> {
    /** A status message ready for the rules-status topic (JSON), keyed by rule-set name. */
    public record StatusRecord(String name, byte[] json) {}

    private transient Map<String, Integer> answers;

    @Override
    public void open(OpenContext openContext) {
        answers = new HashMap<>();
    }

    @Override
    public void processElement(RuleAck ack, Context ctx, Collector<StatusRecord> out) {
        // One publication is identified by where it was read from: the same version published twice is two answers.
        String key = ack.origin() + "|" + ack.version();
        int n = answers.merge(key, 1, Integer::sum);
        if (n < ack.parallelism()) {
            return;
        }
        answers.remove(key);
        out.collect(new StatusRecord(ack.name(), new RuleStatus(
                ack.name(),
                ack.version(),
                ack.applied() ? RuleStatus.State.APPLIED : RuleStatus.State.REJECTED,
                List.of(ack.problems()),
                ack.parallelism(),
                System.currentTimeMillis()).toJson()));
    }
}
