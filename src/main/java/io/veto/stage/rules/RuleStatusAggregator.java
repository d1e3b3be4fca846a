package io.veto.stage.rules;

import io.veto.rule.RuleStatus;
import io.veto.stage.RuleAck;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Runs with parallelism 1 and reports a published rule set as APPLIED only once every subtask of
 * every rule-aware stage has switched to it, so that any payment sent after the status message is
 * decided with the new rules; REJECTED when they refused it (they all refuse the same way:
 * compiling is deterministic). Pending answers are kept in memory: after a restart the job
 * re-reads the rules topic from its checkpointed offset and the subtasks answer again.
 */
public class RuleStatusAggregator extends ProcessFunction<RuleAck, RuleStatusAggregator.StatusRecord> {
    /** A status message ready for the rules-status topic (JSON), keyed by rule-set name. */
    public record StatusRecord(String name, byte[] json) {}

    private final Set<String> stages;
    /** Per publication: per stage, {answers so far, that stage's parallelism}. */
    private transient Map<String, Map<String, int[]>> answers;

    /** @param stages the names of the stages whose subtasks must all answer */
    public RuleStatusAggregator(Set<String> stages) {
        this.stages = Set.copyOf(stages);
    }

    @Override
    public void open(OpenContext openContext) {
        answers = new HashMap<>();
    }

    @Override
    public void processElement(RuleAck ack, Context ctx, Collector<StatusRecord> out) {
        // One publication is identified by where it was read from: the same version published twice is two answers.
        String key = ack.origin() + "|" + ack.version();
        Map<String, int[]> byStage = answers.computeIfAbsent(key, k -> new HashMap<>());
        byStage.computeIfAbsent(ack.stage(), s -> new int[] {0, ack.parallelism()})[0]++;
        int subtasks = 0;
        for (String stage : stages) {
            int[] n = byStage.get(stage);
            if (n == null || n[0] < n[1]) {
                return;
            }
            subtasks = Math.max(subtasks, n[1]);
        }
        answers.remove(key);
        out.collect(new StatusRecord(
                ack.name(),
                new RuleStatus(
                                ack.name(),
                                ack.version(),
                                ack.applied() ? RuleStatus.State.APPLIED : RuleStatus.State.REJECTED,
                                List.of(ack.problems()),
                                subtasks,
                                System.currentTimeMillis())
                        .toJson()));
    }
}
