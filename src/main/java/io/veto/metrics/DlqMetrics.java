package io.veto.metrics;

import io.veto.event.DlqRecord;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Passes rejected records through to the DLQ sink, chained in front of it, and counts them:
 * {@code dlq_records}, per subtask. Stateless, like {@link DecisionMetrics}.
 */
public class DlqMetrics extends ProcessFunction<DlqRecord, DlqRecord> {
    private static final long serialVersionUID = 1L;
    public static final String COUNTER = "dlq_records";

    private transient Counter rejected;

    @Override
    public void open(OpenContext openContext) {
        rejected = getRuntimeContext().getMetricGroup().counter(COUNTER);
    }

    @Override
    public void processElement(DlqRecord r, Context ctx, Collector<DlqRecord> out) {
        out.collect(r);
        rejected.inc();
    }
}
