package io.veto.sequence;

import org.apache.flink.api.common.state.KeyedStateStore;
import org.apache.flink.api.common.state.v2.ValueState;
import org.apache.flink.api.common.state.v2.ValueStateDescriptor;

/**
 * A {@link KeyedStateStore} of the synchronous (v1) value state, and map state where a store
 * offers it: all the sequence host and flink-cep's shared buffer use. The other accessors say so.
 */
interface SyncKeyedStateStore extends KeyedStateStore {
    @Override
    default <T> org.apache.flink.api.common.state.ListState<T> getListState(
            org.apache.flink.api.common.state.ListStateDescriptor<T> d) {
        throw unsupported();
    }

    @Override
    default <T> org.apache.flink.api.common.state.ReducingState<T> getReducingState(
            org.apache.flink.api.common.state.ReducingStateDescriptor<T> d) {
        throw unsupported();
    }

    @Override
    default <IN, ACC, OUT> org.apache.flink.api.common.state.AggregatingState<IN, OUT> getAggregatingState(
            org.apache.flink.api.common.state.AggregatingStateDescriptor<IN, ACC, OUT> d) {
        throw unsupported();
    }

    @Override
    default <UK, UV> org.apache.flink.api.common.state.MapState<UK, UV> getMapState(
            org.apache.flink.api.common.state.MapStateDescriptor<UK, UV> d) {
        throw unsupported();
    }

    @Override
    default <T> ValueState<T> getValueState(ValueStateDescriptor<T> d) {
        throw unsupported();
    }

    @Override
    default <T> org.apache.flink.api.common.state.v2.ListState<T> getListState(
            org.apache.flink.api.common.state.v2.ListStateDescriptor<T> d) {
        throw unsupported();
    }

    @Override
    default <UK, UV> org.apache.flink.api.common.state.v2.MapState<UK, UV> getMapState(
            org.apache.flink.api.common.state.v2.MapStateDescriptor<UK, UV> d) {
        throw unsupported();
    }

    @Override
    default <T> org.apache.flink.api.common.state.v2.ReducingState<T> getReducingState(
            org.apache.flink.api.common.state.v2.ReducingStateDescriptor<T> d) {
        throw unsupported();
    }

    @Override
    default <IN, ACC, OUT> org.apache.flink.api.common.state.v2.AggregatingState<IN, OUT> getAggregatingState(
            org.apache.flink.api.common.state.v2.AggregatingStateDescriptor<IN, ACC, OUT> d) {
        throw unsupported();
    }

    static UnsupportedOperationException unsupported() {
        return new UnsupportedOperationException("sequence state uses synchronous value (and map) state only");
    }
}
