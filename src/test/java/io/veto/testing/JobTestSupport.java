package io.veto.testing;

import io.veto.job.JobOptions;
import io.veto.kafka.KafkaBrokerExtension;
import io.veto.rule.RuleStatus;
import java.time.Duration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/** What end-to-end tests of the job share: a parallelism-2 MiniCluster and fresh topics per test. */
public final class JobTestSupport {
    private JobTestSupport() {}

    /** One TaskManager with two slots: the job runs at parallelism 2, as the tests require. */
    public static MiniClusterExtension miniCluster() {
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
                .setNumberTaskManagers(1)
                .setNumberSlotsPerTaskManager(2)
                .build());
    }

    /** The first status the rules-status topic reports for rule-set {@code version}; fails after {@code timeout}. */
    public static RuleStatus awaitRuleStatus(KafkaConsumer<byte[], byte[]> consumer, String version, Duration timeout) {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        while (System.currentTimeMillis() < deadline) {
            for (var r : consumer.poll(Duration.ofMillis(200))) {
                RuleStatus s = RuleStatus.fromJson(r.value());
                if (s.version().equals(version)) {
                    return s;
                }
            }
        }
        throw new AssertionError("no status for rule set " + version + " within " + timeout);
    }

    /** Job options on fresh topics of the given broker, parallelism 2, reading from the start. */
    public static JobOptions freshOptions(KafkaBrokerExtension kafka) {
        JobOptions o = new JobOptions();
        o.bootstrapServers = kafka.bootstrapServers();
        o.paymentsTopic = kafka.newTopic("payments", 4);
        o.decisionsTopic = kafka.newTopic("decisions", 4);
        o.dlqTopic = kafka.newTopic("dlq", 1);
        o.rulesTopic = kafka.newTopic("rules", 1);
        o.rulesStatusTopic = kafka.newTopic("rules-status", 1);
        o.alertsTopic = kafka.newTopic("alerts", 1);
        o.parallelism = 2;
        o.checkpointInterval = Duration.ofSeconds(1);
        o.startFrom = JobOptions.StartFrom.EARLIEST;
        o.rulesStartFrom = JobOptions.StartFrom.EARLIEST;
        return o;
    }
}
