package io.veto.sequence;

import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.AggregatingState;
import org.apache.flink.api.common.state.AggregatingStateDescriptor;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReducingState;
import org.apache.flink.api.common.state.ReducingStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;

/**
 * The keyed state of a process function as the {@link KeyedStateStore} that flink-cep's shared
 * buffer asks for. Only the synchronous (v1) state API is offered; the buffer uses nothing else.
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
    public <T> ListState<T> getListState(ListStateDescriptor<T> d) {
        return ctx.getListState(d);
    }

    @Override
    public <T> ReducingState<T> getReducingState(ReducingStateDescriptor<T> d) {
        return ctx.getReducingState(d);
    }

    @Override
    public <IN, ACC, OUT> AggregatingState<IN, OUT> getAggregatingState(AggregatingStateDescriptor<IN, ACC, OUT> d) {
        return ctx.getAggregatingState(d);
    }

    @Override
    public <UK, UV> MapState<UK, UV> getMapState(MapStateDescriptor<UK, UV> d) {
        return ctx.getMapState(d);
    }






    @Override
    public String getBackendTypeIdentifier() {
        return "runtime-context";
    }

}
