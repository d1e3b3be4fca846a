package io.veto.job;

import io.veto.card.CardInput;
import io.veto.decision.Decision;
import io.veto.entity.EntityRequest;
import io.veto.event.CatchUp;
import io.veto.event.DlqRecord;
import io.veto.event.Ingested;
import io.veto.event.PaymentEvent;
import io.veto.metrics.DecisionMetrics;
import io.veto.metrics.DlqMetrics;
import io.veto.rule.RuleSet;
import io.veto.sequence.Alert;
import io.veto.sequence.CustomerEvent;
import io.veto.stage.JobTags;
import io.veto.stage.RuleSetUpdate;
import io.veto.stage.card.CardDecisionFunction;
import io.veto.stage.customer.CustomerSequenceFunction;
import io.veto.stage.entity.EntityFeatureOperator;
import io.veto.stage.fanout.FeatureFanOut;
import io.veto.stage.rules.RuleStatusAggregator;
import java.time.Duration;
import java.util.Set;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;

/**
 * Veto's dataflow, independent of where events come from and go to: tests plug in their own
 * sources and sinks, {@link VetoJob} plugs in Kafka. Read top to bottom, this is where a payment
 * is scored:
 *
 * <pre>
 * payments source (parse; bad records become DLQ records) -> watermarks
 *   -> split: valid events | DLQ records -> DlqMetrics -> DLQ sink
 *   -> FeatureFanOut: one request per entity the rules read -> keyBy(entity:value) -> EntityFeatureOperator
 *        |  the event itself, and how many answers to wait for            (window, in event-time order)
 *        v                                                                       | answers
 *   -> CustomerSequenceFunction (keyBy customer; sequences over account events and all the customer's cards)
 *        |                                                                       | answers (matches)
 *   -> keyBy(card token) <-------------------------------------------------------+
 *   -> CardDecisionFunction (card window, card sequences, wait for answers, active rule set) -> DecisionMetrics -> decisions sink
 *        | alerts of sequence rules (card and customer) -> alerts sink
 * rules source -> broadcast to FeatureFanOut, CustomerSequenceFunction and CardDecisionFunction; their acks -> RuleStatusAggregator (p=1)
 *   -> rules-status sink
 * </pre>
 */
public final class VetoPipeline {
    /** Where the job reads and writes; every part is required. */
    public record Io(
            Source<Ingested, ?, ?> payments,
            Source<RuleSetUpdate, ?, ?> ruleUpdates,
            Sink<Decision> decisions,
            Sink<DlqRecord> dlq,
            Sink<RuleStatusAggregator.StatusRecord> ruleStatus,
            Sink<Alert> alerts) {

        /** Without an alerts topic: alerts are dropped (decisions still carry every match). */
        public Io(
                Source<Ingested, ?, ?> payments,
                Source<RuleSetUpdate, ?, ?> ruleUpdates,
                Sink<Decision> decisions,
                Sink<DlqRecord> dlq,
                Sink<RuleStatusAggregator.StatusRecord> ruleStatus) {
            this(payments, ruleUpdates, decisions, dlq, ruleStatus, new DiscardingSink<>());
        }
    }

    private VetoPipeline() {}

    /** The group of sources whose watermarks are aligned: the payments source's splits. */
    static final String ALIGNMENT_GROUP = "payments";

    /**
     * The payments source's watermarks ({@link CatchUpAwareWatermarks}), aligned across its splits
     * unless {@code --max-watermark-drift} is 0: in a catch-up or replay, a partition whose
     * watermark is more than the drift ahead of the slowest one is paused until that one follows,
     * so the payments waiting for the watermark (in the stages' memory and state) stay within the
     * drift's worth of events, however unevenly the partitions are read. Idle partitions do not
     * count, and live traffic, whose partitions are seconds apart at most, is never paused.
     *
     * <p>Off by default: flink-connector-kafka 5.0.0 can pause a split its consumer no longer (or
     * not yet) has, which fails the source with "No current assignment for partition" (FLINK-39728,
     * fixed after that release); seen in a loop of restarts in {@code FeatureExactnessITCase}'s
     * restore. Turn it on once the connector has the fix.
     */
    static WatermarkStrategy<Ingested> paymentWatermarks(JobOptions o, CatchUp catchUp) {
        WatermarkStrategy<Ingested> w = new CatchUpAwareWatermarks.Strategy<Ingested>(
                        o.maxOutOfOrderness, o.idleness, o.clockWatermarkAfter, catchUp)
                .withTimestampAssigner(
                        (in, kafkaTs) -> in.event() != null ? in.event().eventTime() : Long.MIN_VALUE);
        if (o.maxWatermarkDrift.isZero() || o.maxWatermarkDrift.isNegative()) {
            return w;
        }
        return w.withWatermarkAlignment(ALIGNMENT_GROUP, o.maxWatermarkDrift, Duration.ofMillis(200));
    }

    /**
     * Adds the whole job to {@code env}: the one way to build it, for the cluster, the local run, the
     * backtest and the tests alike. Of {@code o} the graph reads the time options (watermark bound,
     * idleness, clock watermark, watermark drift, feature wait, catch-up wait) and
     * {@code --entity-features}; the ends are {@code io}'s. Returns the decision stream (for tests
     * that tap it).
     */
    public static DataStream<Decision> build(
            StreamExecutionEnvironment env, Io io, RuleSet initialRules, JobOptions o) {
        Duration maxFeatureWait = o.maxFeatureWait;
        CatchUp catchUp = CatchUp.of(o.catchUpWait);
        WatermarkStrategy<Ingested> watermarks = paymentWatermarks(o, catchUp);

        SingleOutputStreamOperator<PaymentEvent> events = env.fromSource(io.payments(), watermarks, "payments")
                .uid("payments-source")
                .process(new SplitRejected())
                .uid("split-rejected")
                .name("split rejected records");

        events.getSideOutput(JobTags.DLQ)
                .process(new DlqMetrics())
                .uid("dlq-metrics")
                .name("DLQ count")
                .sinkTo(io.dlq())
                .uid("dlq-sink")
                .name("DLQ sink");

        // Rule updates must never move event time: the rules input is always idle, so the rule-aware
        // operators' watermark is that of the payments alone — also while payments are quiet, when an
        // "end of time" watermark from this input would fire every cleanup timer and wipe the windows.
        BroadcastStream<RuleSetUpdate> rules = env.fromSource(
                        io.ruleUpdates(), WatermarkStrategy.forGenerator(ctx -> new NeverHoldsBack()), "rule updates")
                .uid("rules-source")
                .setParallelism(1)
                .broadcast(JobTags.RULES);

        // Each event goes to the windows of the entities the rules read, and to its card.
        SingleOutputStreamOperator<CardInput> toCards = events.connect(rules)
                .process(new FeatureFanOut(initialRules))
                .uid("feature-fan-out")
                .name("feature fan-out");
        DataStream<CardInput> entityAnswers = toCards.getSideOutput(JobTags.ENTITY_REQUESTS)
                .keyBy(EntityRequest::key)
                .transform(
                        "entity features (merchant, device, IP, ...)",
                        TypeInformation.of(CardInput.class),
                        new EntityFeatureOperator(
                                maxFeatureWait, catchUp, o.entityFeatures == JobOptions.EntityFeatures.WATERMARK))
                .uid("entity-features");

        // Sequences over a customer's events (account events and all the customer's cards), answered like entity
        // features.
        SingleOutputStreamOperator<CardInput> customerSequences = toCards.getSideOutput(JobTags.CUSTOMER_EVENTS)
                .keyBy(CustomerEvent::customerId)
                .connect(rules)
                .process(new CustomerSequenceFunction(initialRules, maxFeatureWait, catchUp))
                .uid("customer-sequences")
                .name("customer sequences");

        SingleOutputStreamOperator<Decision> decisions = toCards.union(entityAnswers, customerSequences)
                .keyBy(CardInput::cardToken)
                .connect(rules)
                .process(new CardDecisionFunction(initialRules))
                .uid("card-decisions")
                .name("card features + rules");
        DataStream<Decision> metered = decisions
                .process(new DecisionMetrics(initialRules.version()))
                .uid("decision-metrics")
                .name("decision metrics");
        metered.sinkTo(io.decisions()).uid("decisions-sink").name("decisions sink");
        decisions
                .getSideOutput(JobTags.CARD_ALERTS)
                .union(customerSequences.getSideOutput(JobTags.CUSTOMER_ALERTS))
                .sinkTo(io.alerts())
                .uid("alerts-sink")
                .name("alerts sink");

        toCards.getSideOutput(JobTags.RULE_ACKS)
                .union(decisions.getSideOutput(JobTags.RULE_ACKS), customerSequences.getSideOutput(JobTags.RULE_ACKS))
                .process(new RuleStatusAggregator(
                        Set.of(FeatureFanOut.STAGE, CardDecisionFunction.STAGE, CustomerSequenceFunction.STAGE)))
                .uid("rule-status")
                .name("rule-set status")
                .setParallelism(1)
                .sinkTo(io.ruleStatus())
                .uid("rule-status-sink")
                .name("rule-status sink")
                .setParallelism(1);
        return metered;
    }

    /** Routes rejected records to the DLQ side output and passes valid events on. */
    static final class SplitRejected extends ProcessFunction<Ingested, PaymentEvent> {
        @Override
        public void processElement(Ingested in, Context ctx, Collector<PaymentEvent> out) {
            if (in.event() != null) {
                out.collect(in.event());
            } else {
                ctx.output(JobTags.DLQ, in.rejected());
            }
        }
    }

    /** A watermark generator for control streams: always idle, never a watermark. */
    static final class NeverHoldsBack implements WatermarkGenerator<RuleSetUpdate> {
        @Override
        public void onEvent(RuleSetUpdate event, long eventTimestamp, WatermarkOutput output) {}

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            output.markIdle();
        }
    }
}
