package io.veto.backtest;

import io.veto.event.Ingested;
import io.veto.event.PaymentEvent;
import io.veto.event.PaymentEventSerializer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
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
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * A bounded source of events held in memory, for runs of the job's graph on a few events (a rule
 * set's examples, tests): the events go into the job graph in the job's own wire format
 * ({@link PaymentEventSerializer}), as one split that one reader emits in the order given, as
 * {@link EventFileSource} reads a file. No checkpoints: a run is short and starts from the first
 * event.
 */
public final class EventListSource
        implements Source<Ingested, EventListSource.Split, Collection<EventListSource.Split>>,
                ResultTypeQueryable<Ingested> {
    private static final long serialVersionUID = 1L;

    private final byte[] events;
    private final int count;

    public EventListSource(List<PaymentEvent> events) {
        DataOutputSerializer out = new DataOutputSerializer(256 * Math.max(1, events.size()));
        try {
            for (PaymentEvent e : events) {
                PaymentEventSerializer.INSTANCE.serialize(e, out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.events = out.getCopyOfBuffer();
        this.count = events.size();
    }

    @Override
    public Boundedness getBoundedness() {
        return Boundedness.BOUNDED;
    }

    @Override
    public SourceReader<Ingested, Split> createReader(SourceReaderContext context) {
        return new IteratorSourceReader<>(context);
    }

    @Override
    public SplitEnumerator<Split, Collection<Split>> createEnumerator(SplitEnumeratorContext<Split> context) {
        return new IteratorSourceEnumerator<>(context, List.of(new Split(events, count)));
    }

    @Override
    public SplitEnumerator<Split, Collection<Split>> restoreEnumerator(
            SplitEnumeratorContext<Split> context, Collection<Split> checkpoint) {
        return new IteratorSourceEnumerator<>(context, checkpoint);
    }

    @Override
    public SimpleVersionedSerializer<Split> getSplitSerializer() {
        return new SplitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<Collection<Split>> getEnumeratorCheckpointSerializer() {
        return new SimpleVersionedSerializer<>() {
            @Override
            public int getVersion() {
                return 1;
            }

            @Override
            public byte[] serialize(Collection<Split> splits) {
                throw new UnsupportedOperationException("an event list source takes no checkpoint");
            }

            @Override
            public Collection<Split> deserialize(int version, byte[] serialized) {
                throw new UnsupportedOperationException("an event list source takes no checkpoint");
            }
        };
    }

    @Override
    public TypeInformation<Ingested> getProducedType() {
        return TypeInformation.of(Ingested.class);
    }

    /** All the events, serialized; read from the first. */
    public static final class Split implements IteratorSourceSplit<Ingested, Iterator<Ingested>> {
        private final byte[] events;
        private final int count;

        Split(byte[] events, int count) {
            this.events = events;
            this.count = count;
        }

        @Override
        public String splitId() {
            return "events";
        }

        @Override
        public Iterator<Ingested> getIterator() {
            DataInputDeserializer in = new DataInputDeserializer(events);
            return new Iterator<>() {
                private int read;

                @Override
                public boolean hasNext() {
                    return read < count;
                }

                @Override
                public Ingested next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    read++;
                    try {
                        return Ingested.of(PaymentEventSerializer.INSTANCE.deserialize(in));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            };
        }

        @Override
        public IteratorSourceSplit<Ingested, Iterator<Ingested>> getUpdatedSplitForIterator(
                Iterator<Ingested> iterator) {
            // Only asked for at a checkpoint, and runs of this source take none.
            throw new UnsupportedOperationException("an event list source takes no checkpoint");
        }
    }

    private static final class SplitSerializer implements SimpleVersionedSerializer<Split> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(Split split) throws IOException {
            DataOutputSerializer out = new DataOutputSerializer(split.events.length + 8);
            out.writeInt(split.count);
            out.write(split.events);
            return out.getCopyOfBuffer();
        }

        @Override
        public Split deserialize(int version, byte[] serialized) throws IOException {
            DataInputDeserializer in = new DataInputDeserializer(serialized);
            int count = in.readInt();
            byte[] events = new byte[serialized.length - 4];
            in.readFully(events);
            return new Split(events, count);
        }
    }
}
