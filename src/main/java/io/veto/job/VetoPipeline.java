package io.veto.job;

import io.veto.card.CardDecisionFunction;
import io.veto.decision.Decision;
import io.veto.event.DlqRecord;
import io.veto.event.Ingested;
import io.veto.event.PaymentEvent;
import io.veto.rule.RuleSet;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Veto's dataflow, independent of where events come from and go to: tests plug in their own
 * source and sinks, {@link VetoJob} plugs in Kafka. Read top to bottom, this is where a payment is
 * scored:
 *
 * <pre>
 * source (parse; bad records become DLQ records) -> watermarks
 *   -> split: valid events | DLQ records -> DLQ sink
 *   -> keyBy(card token) -> CardDecisionFunction (card window + rules) -> decisions sink
 * </pre>
 */
public final class VetoPipeline {
    public static final OutputTag<DlqRecord> DLQ = new OutputTag<>("dlq") {};

    private VetoPipeline() {}

    /** Adds the whole job to {@code env}; returns the decision stream (for tests that tap it). */
    public static DataStream<Decision> build(
            StreamExecutionEnvironment env,
            Source<Ingested, ?, ?> source,
            Sink<Decision> decisionSink,
            Sink<DlqRecord> dlqSink,
            RuleSet ruleSet,
            Duration maxOutOfOrderness,
            Duration idleness) {
        WatermarkStrategy<Ingested> watermarks =
                WatermarkStrategy.<Ingested>forBoundedOutOfOrderness(maxOutOfOrderness)
                        .withTimestampAssigner((in, kafkaTs) -> in.event() != null ? in.event().eventTime() : Long.MIN_VALUE)
                        .withIdleness(idleness);

        SingleOutputStreamOperator<PaymentEvent> events =
                env.fromSource(source, watermarks, "payments")
                        .uid("payments-source")
                        .process(new SplitRejected())
                        .uid("split-rejected")
                        .name("split rejected records");

        events.getSideOutput(DLQ).sinkTo(dlqSink).uid("dlq-sink").name("DLQ sink");

        SingleOutputStreamOperator<Decision> decisions =
                events.filter(e -> e.cardToken() != null)
                        .uid("card-events")
                        .name("card events")
                        .keyBy(PaymentEvent::cardToken)
                        .process(new CardDecisionFunction(ruleSet))
                        .uid("card-decisions")
                        .name("card features + rules");
        decisions.sinkTo(decisionSink).uid("decisions-sink").name("decisions sink");
        return decisions;
    }

    /** Routes rejected records to the DLQ side output and passes valid events on. */
    static final class SplitRejected extends ProcessFunction<Ingested, PaymentEvent> {
        @Override
        public void processElement(Ingested in, Context ctx, Collector<PaymentEvent> out) {
            if (in.event() != null) {
                out.collect(in.event());
            } else {
                ctx.output(DLQ, in.rejected());
            }
        }
    }
}
