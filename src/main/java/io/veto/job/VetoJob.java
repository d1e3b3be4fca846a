package io.veto.job;

import io.veto.event.Ingested;
import io.veto.event.PanKey;
import io.veto.event.PanKeySupplier;
import io.veto.event.PanPolicy;
import io.veto.rule.CompiledRuleSet;
import io.veto.rule.RuleSet;
import io.veto.rule.RuleSetCompiler;
import io.veto.rule.RuleSetException;
import io.veto.rule.RuleSigning;
import io.veto.rule.RulesKeySupplier;
import io.veto.stage.RuleSetUpdate;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * The job's entry point on a cluster ({@code flink run target/veto.jar [options]}): checks what
 * can be checked before any task starts (the rule set compiles, a PAN key exists when raw PANs
 * are tokenized), then wires the Kafka source and sinks into {@link VetoPipeline}.
 */
@Command(
        name = "veto-job",
        mixinStandardHelpOptions = true,
        description = "Veto: real-time payment decisions on Flink.")
public final class VetoJob implements Callable<Integer> {
    @Mixin
    JobOptions options = new JobOptions();

    public static void main(String[] args) {
        int code = new CommandLine(new VetoJob()).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    @Override
    public Integer call() throws Exception {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(flinkConfiguration(options));
        execute(env, options, PanKeySupplier.fromEnvironment());
        return 0;
    }

    /** Settings the job relies on whatever the cluster's defaults are. */
    public static Configuration flinkConfiguration(JobOptions o) {
        Configuration c = new Configuration();
        c.set(PipelineOptions.AUTO_GENERATE_UIDS, false);
        c.set(PipelineOptions.GENERIC_TYPES, false);
        // Chained operators hand records on without a defensive copy: every record type is immutable,
        // and no function keeps or changes a record it was given (what needs keeping goes to state).
        c.set(PipelineOptions.OBJECT_REUSE, true);
        // Timers stay in RocksDB (Flink's default), though heap timers are cheaper to set and fire:
        // with RocksDB, heap timers are written synchronously at every checkpoint, all of them (one per
        // active card and entity), and the benchmark measured that pause at 0.5-1 s of the card and
        // entity stages' task threads for 100,000 cards: it grows with the state, and every payment
        // in flight waits it out.
        return c;
    }

    /** Validates, builds and runs the job on {@code env}; returns when the job ends. */
    public static JobExecutionResult execute(StreamExecutionEnvironment env, JobOptions o, PanKeySupplier keys)
            throws Exception {
        build(env, o, keys);
        return env.execute("veto");
    }

    /** Validates the options and adds the job, with its Kafka source and sinks, to {@code env}. */
    public static void build(StreamExecutionEnvironment env, JobOptions o, PanKeySupplier keys) throws Exception {
        build(env, o, keys, RulesKeySupplier.fromEnvironment());
    }

    /**
     * As {@link #build(StreamExecutionEnvironment, JobOptions, PanKeySupplier)}, with published rule
     * sets checked against the public key {@code rulesKeys} supplies where the rules source runs.
     */
    public static void build(
            StreamExecutionEnvironment env, JobOptions o, PanKeySupplier keys, RulesKeySupplier rulesKeys)
            throws Exception {
        checkDelivery(o);
        RuleSet ruleSet = loadRules(o);
        if (o.panPolicy == PanPolicy.TOKENIZE && keys.get() == null) {
            throw new IllegalStateException(PanKey.missingMessage());
        }
        configure(env, o);
        if (rulesKeys.get() == null) {
            // Not fatal: the job runs with its --rules set; only updates on the rules topic need the
            // key, and without it each is rejected with this message (checked again on the TaskManager).
            System.err.println("veto: " + RuleSigning.missingPublicKeyMessage());
        }
        VetoPipeline.build(
                env,
                kafkaIo(o, KafkaConnectors.paymentsSource(o, keys), KafkaConnectors.rulesSource(o, rulesKeys)),
                ruleSet,
                o);
    }

    /** The job's Kafka connections around the given payments source. */
    public static VetoPipeline.Io kafkaIo(JobOptions o, Source<Ingested, ?, ?> payments) {
        return kafkaIo(o, payments, KafkaConnectors.rulesSource(o));
    }

    /** The job's Kafka sinks around the given sources. */
    public static VetoPipeline.Io kafkaIo(
            JobOptions o, Source<Ingested, ?, ?> payments, Source<RuleSetUpdate, ?, ?> ruleUpdates) {
        return new VetoPipeline.Io(
                payments,
                ruleUpdates,
                KafkaConnectors.decisionsSink(o),
                KafkaConnectors.dlqSink(o),
                KafkaConnectors.rulesStatusSink(o),
                KafkaConnectors.alertsSink(o));
    }

    /** Exactly-once commits decisions with checkpoints: without them, or with a timeout shorter than one, none would ever be committed. */
    static void checkDelivery(JobOptions o) {
        if (o.delivery != JobOptions.Delivery.EXACTLY_ONCE) {
            return;
        }
        if (o.checkpointInterval.isZero()) {
            throw new IllegalArgumentException(
                    "--delivery EXACTLY_ONCE commits decisions when a checkpoint completes: it needs a --checkpoint-interval");
        }
        if (o.transactionTimeout.compareTo(o.checkpointInterval.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("--transaction-timeout " + o.transactionTimeout.toSeconds()
                    + "s is too short for --checkpoint-interval " + o.checkpointInterval.toSeconds()
                    + "s: a transaction stays open for a checkpoint interval and more; give it at least twice that");
        }
    }

    /** Reads and compiles the initial rule set; a broken one stops the job before it starts. */
    public static RuleSet loadRules(JobOptions o) throws RuleSetException {
        RuleSet ruleSet = RuleSet.fromDirectory(o.rules);
        CompiledRuleSet compiled = RuleSetCompiler.forJob().compile(ruleSet);
        System.err.println("veto: rule set " + compiled.version() + " with " + compiled.size() + " rules");
        return ruleSet;
    }

    public static void configure(StreamExecutionEnvironment env, JobOptions o) {
        if (o.parallelism > 0) {
            env.setParallelism(o.parallelism);
        }
        env.setBufferTimeout(o.bufferTimeout.toMillis());
        env.getConfig().setAutoWatermarkInterval(Math.max(1, o.watermarkInterval.toMillis()));
        if (!o.checkpointInterval.isZero()) {
            env.enableCheckpointing(o.checkpointInterval.toMillis());
        }
    }
}
