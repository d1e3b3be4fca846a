package io.veto.stage;

import io.veto.rule.CompiledRuleSet;
import io.veto.rule.RuleProblem;
import io.veto.rule.RuleSet;
import io.veto.rule.RuleSetCodec;
import io.veto.rule.RuleSetCompiler;
import io.veto.rule.RuleSetException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;

/**
 * The rule set an operator works with, as every rule-aware operator of the job keeps it: the
 * initial set from the job's start, replaced by each published set that compiles, kept in
 * broadcast state ({@link JobTags#RULES}, as its published JSON under the key {@value #ACTIVE}) so
 * a restored operator resumes with it. The last few
 * applied versions stay compiled, so a payment stamped upstream with a version is decided by
 * exactly that version while a switch is under way.
 */
public final class ActiveRules {
    private static final String ACTIVE = "active";
    private static final int KEEP_VERSIONS = 4;

    private final RuleSetCompiler compiler = RuleSetCompiler.forJob();
    private final Map<String, CompiledRuleSet> recent = new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CompiledRuleSet> eldest) {
            return size() > KEEP_VERSIONS;
        }
    };
    private CompiledRuleSet current;
    /** The broadcast-state value {@link #current} was built from; another one (after a restore) means rebuild. */
    private byte[] source;

    public ActiveRules(RuleSet initial) throws RuleSetException {
        current = compiler.compile(initial);
        recent.put(current.version(), current);
    }

    /** The active rule set, rebuilt from broadcast state when that holds another one (after a restore). */
    public CompiledRuleSet current(ReadOnlyBroadcastState<String, byte[]> state) throws Exception {
        byte[] active = state.get(ACTIVE);
        if (active != null && active != source) {
            install(compiler.compile(RuleSetCodec.decode(active)), active);
        }
        return current;
    }

    /** The given version if it is one of the last few applied here, else the active one. */
    public CompiledRuleSet version(String version, ReadOnlyBroadcastState<String, byte[]> state) throws Exception {
        CompiledRuleSet active = current(state);
        if (version == null || version.equals(active.version())) {
            return active;
        }
        CompiledRuleSet v = recent.get(version);
        return v != null ? v : active;
    }

    /**
     * Decodes, compiles and (when it compiles) activates a published rule set that the rules
     * source's {@link RuleSetGuard} accepted; returns this subtask's answer for the status aggregator.
     */
    public RuleAck apply(
            RuleSetUpdate update, BroadcastState<String, byte[]> state, String stage, int subtask, int parallelism)
            throws Exception {
        if (update.refused()) {
            return new RuleAck(
                    update.name(),
                    update.version(),
                    false,
                    update.problems(),
                    stage,
                    subtask,
                    parallelism,
                    update.origin());
        }
        RuleSet rs = null;
        try {
            rs = RuleSetCodec.decode(update.json());
            CompiledRuleSet compiled = compiler.compile(rs);
            byte[] canonical = RuleSetCodec.encode(rs);
            state.put(ACTIVE, canonical);
            install(compiled, canonical);
            return new RuleAck(
                    rs.name(), compiled.version(), true, new String[0], stage, subtask, parallelism, update.origin());
        } catch (RuleSetException e) {
            String[] problems = e.problems().stream().map(RuleProblem::toString).toArray(String[]::new);
            return new RuleAck(
                    rs == null ? "?" : rs.name(),
                    rs == null ? "?" : rs.version(),
                    false,
                    problems,
                    stage,
                    subtask,
                    parallelism,
                    update.origin());
        }
    }

    private void install(CompiledRuleSet compiled, byte[] from) {
        current = compiled;
        source = from;
        recent.put(compiled.version(), compiled);
    }
}
