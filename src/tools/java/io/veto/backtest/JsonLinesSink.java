package io.veto.backtest;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * Writes records as JSON lines, one file per parallel subtask ({@code <prefix>-<subtask>.jsonl} in
 * a directory), for a backtest that runs in this JVM and joins the parts when the job has ended.
 * No delivery guarantee beyond that: a backtest does not checkpoint and starts over on failure.
 */
public final class JsonLinesSink<T> implements Sink<T> {
    private static final long serialVersionUID = 1L;

    /** The JSON of one record, without the line end. */
    public interface Json<T> extends Function<T, byte[]>, Serializable {}

    private final String dir;
    private final String prefix;
    private final Json<T> json;

    public JsonLinesSink(Path dir, String prefix, Json<T> json) {
        this.dir = dir.toAbsolutePath().toString();
        this.prefix = prefix;
        this.json = json;
    }

    /** The part file of one subtask. */
    public static Path part(Path dir, String prefix, int subtask) {
        return dir.resolve(prefix + "-" + subtask + ".jsonl");
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) throws IOException {
        Path file = part(Path.of(dir), prefix, context.getTaskInfo().getIndexOfThisSubtask());
        Files.createDirectories(file.getParent());
        return new Writer<>(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16), json);
    }

    private static final class Writer<T> implements SinkWriter<T> {
        private final OutputStream out;
        private final Json<T> json;

        Writer(OutputStream out, Json<T> json) {
            this.out = out;
            this.json = json;
        }

        @Override
        public void write(T element, Context context) throws IOException {
            out.write(json.apply(element));
            out.write('\n');
        }

        @Override
        public void flush(boolean endOfInput) throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }
}
