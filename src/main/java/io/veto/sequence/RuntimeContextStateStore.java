package io.veto.sequence;

import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.AggregatingState;
import org.apache.flink.api.common.state.AggregatingStateDescriptor;
import org.apache.flink.api.common.state.KeyedStateStore;
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
public final class RuntimeContextStateStore implements KeyedStateStore {
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
    public <T> org.apache.flink.api.common.state.v2.ValueState<T> getValueState(org.apache.flink.api.common.state.v2.ValueStateDescriptor<T> d) {
        throw unsupported();
    }

    @Override
    public <T> org.apache.flink.api.common.state.v2.ListState<T> getListState(org.apache.flink.api.common.state.v2.ListStateDescriptor<T> d) {
        throw unsupported();
    }

    @Override
    public <UK, UV> org.apache.flink.api.common.state.v2.MapState<UK, UV> getMapState(org.apache.flink.api.common.state.v2.MapStateDescriptor<UK, UV> d) {
        throw unsupported();
    }

    @Override
    public <T> org.apache.flink.api.common.state.v2.ReducingState<T> getReducingState(org.apache.flink.api.common.state.v2.ReducingStateDescriptor<T> d) {
        throw unsupported();
    }

    @Override
    public <IN, ACC, OUT> org.apache.flink.api.common.state.v2.AggregatingState<IN, OUT> getAggregatingState(
            org.apache.flink.api.common.state.v2.AggregatingStateDescriptor<IN, ACC, OUT> d) {
        throw unsupported();
    }

    @Override
    public String getBackendTypeIdentifier() {
        return "runtime-context";
    }

    private static UnsupportedOperationException unsupported() {
        return new UnsupportedOperationException("sequence state uses the synchronous state API only");
    }
}
