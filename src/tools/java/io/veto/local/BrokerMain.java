package io.veto.local;

import io.veto.job.JobOptions;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A real Kafka broker (KRaft, single node) for a local cluster, with Veto's topics created: what
 * {@code jobs/kafka.sh} runs when no Kafka is at hand. Stops on Ctrl-C or SIGTERM and deletes its data.
 */
@Command(
        name = "veto-kafka",
        mixinStandardHelpOptions = true,
        description = "Run a local Kafka broker with Veto's topics.")
public final class BrokerMain implements Callable<Integer> {
    @Mixin
    JobOptions job = new JobOptions();

    @Option(names = "--port", description = "Broker port (default: ${DEFAULT-VALUE})")
    int port = 9092;

    @Option(
            names = "--partitions",
            description = "Partitions of the payments and decisions topics (default: ${DEFAULT-VALUE})")
    int partitions = 4;

    public static void main(String[] args) {
        System.exit(new CommandLine(new BrokerMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(port);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            broker.close();
                            stopped.countDown();
                        },
                        "veto-kafka-shutdown"));
        broker.createTopics(partitions, job.paymentsTopic, job.decisionsTopic);
        broker.createTopics(1, job.dlqTopic, job.rulesTopic, job.rulesStatusTopic, job.alertsTopic);
        System.out.println("veto | Kafka broker at " + broker.bootstrapServers() + " with topics " + job.paymentsTopic
                + ", " + job.decisionsTopic + ", " + job.dlqTopic + ", " + job.rulesTopic + ", " + job.rulesStatusTopic
                + ", " + job.alertsTopic + "; Ctrl-C stops it");
        stopped.await();
        return 0;
    }
}
