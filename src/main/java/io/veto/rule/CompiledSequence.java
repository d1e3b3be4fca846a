package io.veto.rule;

import io.veto.event.PaymentEvent;
import java.util.List;
import org.apache.flink.cep.nfa.aftermatch.AfterMatchSkipStrategy;
import org.apache.flink.cep.nfa.compiler.NFACompiler;

/**
 * A sequence rule's pattern, compiled for flink-cep: the factory of its NFA, its skip strategy,
 * and a cheap test of whether an event could start a match (so that keys on which nothing is
 * under way cost no state).
 *
 * @param oneMatchPerIncident {@code skip-past-last-event}: when a match completes, it alone is
 *     reported (the one that started first, the longest of those) and every partial match under way
 *     is dropped; otherwise ({@code no-skip}) every match is reported
 * @param stateKey {@code id@fingerprint}: the key of this pattern's partial matches in keyed
 *     state; an edit that changes the pattern changes it, and the old partial matches are dropped
 */
public record CompiledSequence(
        String ruleId,
        String stateKey,
        SequenceDefinition definition,
        NFACompiler.NFAFactory<PaymentEvent> nfaFactory,
        boolean oneMatchPerIncident,
        StepCondition start) {

    /** The NFAs run without flink-cep's skip strategies, which would delay matches; see {@link #oneMatchPerIncident}. */
    public AfterMatchSkipStrategy skip() {
        return AfterMatchSkipStrategy.noSkip();
    }

    public SequenceDefinition.SequenceKey key() {
        return definition.key();
    }

    /** Whether {@code e} can be the first event of a match; true when the first step is optional. */
    public boolean mayStart(PaymentEvent e) {
        return start == null || start.test(e, List.of());
    }
}
