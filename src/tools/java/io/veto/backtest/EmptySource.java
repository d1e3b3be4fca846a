package io.veto.backtest;

import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.lib.util.IteratorSourceEnumerator;
import org.apache.flink.api.connector.source.lib.util.IteratorSourceReader;
import org.apache.flink.api.connector.source.lib.util.IteratorSourceSplit;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * A bounded source with nothing in it: a backtest's rules input, since a backtest decides every
 * payment with the one rule set it was given and nobody publishes to it.
 */
public final class EmptySource<T>
        implements Source<T, EmptySource.NoSplit<T>, Collection<EmptySource.NoSplit<T>>>, ResultTypeQueryable<T> {
    private static final long serialVersionUID = 1L;
    private final TypeInformation<T> type;

    public EmptySource(TypeInformation<T> type) {
        this.type = type;
    }

    @Override
    public Boundedness getBoundedness() {
        return Boundedness.BOUNDED;
    }

    @Override
    public SourceReader<T, NoSplit<T>> createReader(SourceReaderContext context) {
        return new IteratorSourceReader<>(context);
    }

    @Override
    public SplitEnumerator<NoSplit<T>, Collection<NoSplit<T>>> createEnumerator(
            SplitEnumeratorContext<NoSplit<T>> context) {
        return new IteratorSourceEnumerator<>(context, List.of());
    }

    @Override
    public SplitEnumerator<NoSplit<T>, Collection<NoSplit<T>>> restoreEnumerator(
            SplitEnumeratorContext<NoSplit<T>> context, Collection<NoSplit<T>> checkpoint) {
        return new IteratorSourceEnumerator<>(context, List.of());
    }

    @Override
    public SimpleVersionedSerializer<NoSplit<T>> getSplitSerializer() {
        return new Nothing<>();
    }

    @Override
    public SimpleVersionedSerializer<Collection<NoSplit<T>>> getEnumeratorCheckpointSerializer() {
        return new Nothing<>();
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return type;
    }

    /** The split type of a source that has none. */
    public static final class NoSplit<T> implements IteratorSourceSplit<T, Iterator<T>> {
        @Override
        public String splitId() {
            return "none";
        }

        @Override
        public Iterator<T> getIterator() {
            return Collections.emptyIterator();
        }

        @Override
        public IteratorSourceSplit<T, Iterator<T>> getUpdatedSplitForIterator(Iterator<T> iterator) {
            return this;
        }
    }

    /** Serializes the only state there is: none. */
    private static final class Nothing<X> implements SimpleVersionedSerializer<X> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(X obj) {
            return new byte[0];
        }

        @SuppressWarnings("unchecked")
        @Override
        public X deserialize(int version, byte[] serialized) {
            return (X) List.of();
        }
    }
}
