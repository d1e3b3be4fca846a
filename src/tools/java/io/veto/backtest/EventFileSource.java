package io.veto.backtest;

import io.veto.event.DlqRecord;
import io.veto.event.EventParser;
import io.veto.event.Ingested;
import io.veto.event.InvalidEventException;
import io.veto.event.PanKeySupplier;
import io.veto.event.PanMasker;
import io.veto.event.PanPolicy;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
import org.apache.flink.api.connector.source.lib.util.IteratorSourceReaderBase;
import org.apache.flink.api.connector.source.lib.util.IteratorSourceSplit;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * A bounded source of payments-topic events from a JSON-lines file, one event per line, for
 * backtests: no broker, read as fast as the job takes them, and the file's order is the order the
 * job sees (one split, read by one reader). Each line is parsed exactly as the Kafka source parses
 * a record ({@link EventParser}, same PAN policy and key); a line that is not a valid event becomes
 * a DLQ record naming the file and line. Blank lines are skipped.
 */
public final class EventFileSource
        implements Source<Ingested, EventFileSource.Split, Collection<EventFileSource.Split>>,
                ResultTypeQueryable<Ingested> {
    private static final long serialVersionUID = 1L;

    private final String path;
    private final PanPolicy panPolicy;
    private final PanKeySupplier keys;
    private final int maxRecordBytes;

    public EventFileSource(Path file, PanPolicy panPolicy, PanKeySupplier keys, int maxRecordBytes) {
        this.path = file.toAbsolutePath().toString();
        this.panPolicy = panPolicy;
        this.keys = keys;
        this.maxRecordBytes = maxRecordBytes;
    }

    @Override
    public Boundedness getBoundedness() {
        return Boundedness.BOUNDED;
    }

    @Override
    public SourceReader<Ingested, Split> createReader(SourceReaderContext context) {
        byte[] key = panPolicy == PanPolicy.TOKENIZE ? keys.get() : null;
        return new Reader(
                context,
                new EventParser(panPolicy, key, maxRecordBytes),
                Path.of(path).getFileName().toString());
    }

    @Override
    public SplitEnumerator<Split, Collection<Split>> createEnumerator(SplitEnumeratorContext<Split> context) {
        return new IteratorSourceEnumerator<>(context, List.of(new Split(path, 0, 1)));
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
        return new CheckpointSerializer();
    }

    @Override
    public TypeInformation<Ingested> getProducedType() {
        return TypeInformation.of(Ingested.class);
    }

    /** One line of the file: its bytes without the line end, and its 1-based number. */
    record Line(long number, byte[] bytes) {}

    /** The rest of the file from a byte offset: where a checkpoint left the reader. */
    public static final class Split implements IteratorSourceSplit<Line, LineIterator> {
        final String path;
        final long offset;
        final long line;

        Split(String path, long offset, long line) {
            this.path = path;
            this.offset = offset;
            this.line = line;
        }

        @Override
        public String splitId() {
            return path;
        }

        @Override
        public LineIterator getIterator() {
            return new LineIterator(this);
        }

        @Override
        public IteratorSourceSplit<Line, LineIterator> getUpdatedSplitForIterator(LineIterator iterator) {
            return new Split(path, iterator.resumeOffset, iterator.resumeLine);
        }
    }

    /** Reads lines lazily from its own buffer (no per-byte stream calls); closes the file at its end. */
    static final class LineIterator implements Iterator<Line> {
        private final InputStream in;
        private final byte[] chunk = new byte[1 << 16];
        private int pos;
        private int limit;
        private byte[] partial = new byte[1024];
        private long offset;
        private long line;
        /** Where a restore resumes: after the last line handed out, not after one read ahead. */
        private long resumeOffset;

        private long resumeLine;
        private long nextEndOffset;
        private long nextEndLine;
        private Line next;
        private boolean done;

        LineIterator(Split split) {
            try {
                in = Files.newInputStream(Path.of(split.path));
                in.skipNBytes(split.offset);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + split.path, e);
            }
            this.offset = split.offset;
            this.line = split.line;
            this.resumeOffset = offset;
            this.resumeLine = line;
        }

        @Override
        public boolean hasNext() {
            while (next == null && !done) {
                next = read();
            }
            nextEndOffset = offset;
            nextEndLine = line;
            return next != null;
        }

        @Override
        public Line next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Line l = next;
            next = null;
            resumeOffset = nextEndOffset;
            resumeLine = nextEndLine;
            return l;
        }

        /** The next line, null for a blank one; sets {@code done} at the end of the file. */
        private Line read() {
            int length = 0;
            boolean newline = false;
            try {
                while (!newline) {
                    if (pos == limit) {
                        limit = in.read(chunk);
                        pos = 0;
                        if (limit < 0) {
                            limit = 0;
                            done = true;
                            in.close();
                            break;
                        }
                    }
                    int start = pos;
                    while (pos < limit && chunk[pos] != '\n') {
                        pos++;
                    }
                    int n = pos - start;
                    if (length + n > partial.length) {
                        partial = Arrays.copyOf(partial, Math.max(partial.length * 2, length + n));
                    }
                    System.arraycopy(chunk, start, partial, length, n);
                    length += n;
                    if (pos < limit) {
                        newline = true;
                        pos++;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            offset += length + (newline ? 1 : 0);
            long number = line++;
            int end = length > 0 && partial[length - 1] == '\r' ? length - 1 : length;
            for (int i = 0; i < end; i++) {
                if (partial[i] != ' ' && partial[i] != '\t') {
                    return new Line(number, Arrays.copyOf(partial, end));
                }
            }
            return null;
        }

        void close() throws IOException {
            in.close();
        }
    }

    /** Parses each line as the Kafka source parses a record; never throws for bad input. */
    static final class Reader extends IteratorSourceReaderBase<Line, Ingested, LineIterator, Split> {
        private final EventParser parser;
        private final String fileName;

        Reader(SourceReaderContext context, EventParser parser, String fileName) {
            super(context);
            this.parser = parser;
            this.fileName = fileName;
        }

        @Override
        protected Ingested convert(Line l) {
            return parse(parser, fileName, l.number(), l.bytes());
        }

        @Override
        public void close() throws Exception {
            if (iterator != null) {
                iterator.close();
            }
            super.close();
        }
    }

    /** One line as an event, or as a DLQ record naming the file ({@code sourceTopic}) and line ({@code sourceOffset}). */
    static Ingested parse(EventParser parser, String fileName, long lineNumber, byte[] bytes) {
        try {
            return Ingested.of(parser.parse(bytes, fileName + ":" + lineNumber));
        } catch (InvalidEventException e) {
            return Ingested.rejected(dlq(fileName, lineNumber, bytes, e.getMessage()));
        } catch (RuntimeException e) {
            return Ingested.rejected(
                    dlq(fileName, lineNumber, bytes, "internal error: " + PanMasker.mask(String.valueOf(e))));
        }
    }

    private static DlqRecord dlq(String fileName, long lineNumber, byte[] bytes, String error) {
        return DlqRecord.of(fileName, 0, lineNumber, -1L, error, bytes, System.currentTimeMillis());
    }

    static final class SplitSerializer implements SimpleVersionedSerializer<Split> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(Split s) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                write(s, out);
            }
            return bytes.toByteArray();
        }

        @Override
        public Split deserialize(int version, byte[] serialized) throws IOException {
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
                return read(in);
            }
        }

        static void write(Split s, DataOutputStream out) throws IOException {
            out.writeUTF(s.path);
            out.writeLong(s.offset);
            out.writeLong(s.line);
        }

        static Split read(DataInputStream in) throws IOException {
            return new Split(in.readUTF(), in.readLong(), in.readLong());
        }
    }

    static final class CheckpointSerializer implements SimpleVersionedSerializer<Collection<Split>> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(Collection<Split> splits) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeInt(splits.size());
                for (Split s : splits) {
                    SplitSerializer.write(s, out);
                }
            }
            return bytes.toByteArray();
        }

        @Override
        public Collection<Split> deserialize(int version, byte[] serialized) throws IOException {
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
                int n = in.readInt();
                List<Split> out = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    out.add(SplitSerializer.read(in));
                }
                return out;
            }
        }
    }
}
