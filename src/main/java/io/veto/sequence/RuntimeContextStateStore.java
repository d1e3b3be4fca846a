package io.veto.sequence;

import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;

/**
 * The keyed value state of a process function, where {@link SequenceHost} keeps each key's packed
 * sequence state ({@link PackedKeyedStateStore}).
 */
public final class RuntimeContextStateStore implements SyncKeyedStateStore {
    private final RuntimeContext ctx;

    public RuntimeContextStateStore(RuntimeContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public <T> ValueState<T> getState(ValueStateDescriptor<T> d) {
        return ctx.getState(d);
    }

    @Override
    public String getBackendTypeIdentifier() {
        return "runtime-context";
    }
}
