package io.veto.backtest;

import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.apache.flink.api.dag.Pipeline;
import org.apache.flink.client.deployment.ClusterClientJobClientAdapter;
import org.apache.flink.client.deployment.executors.PipelineExecutorUtils;
import org.apache.flink.client.program.MiniClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.PipelineExecutor;
import org.apache.flink.core.execution.PipelineExecutorFactory;
import org.apache.flink.core.execution.PipelineExecutorServiceLoader;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;

/**
 * One local MiniCluster for several jobs in a row: a {@link StreamExecutionEnvironment} of Flink's
 * own starts and stops a cluster for every job it executes, which costs more than a rule set's
 * examples take to decide. Its REST endpoint listens on a free port.
 */
public final class LocalCluster implements AutoCloseable {
    private static final String TARGET = "veto-local-cluster";

    private final MiniCluster cluster;
    private final Configuration config;

    /** Starts a cluster with {@code slots} task slots: the largest parallelism of the jobs it will run. */
    public LocalCluster(int slots) throws Exception {
        config = new Configuration();
        config.set(RestOptions.BIND_PORT, "0");
        cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(config)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(slots)
                .build());
        cluster.start();
    }

    /** An environment whose jobs run on this cluster, configured with {@code conf}. */
    StreamExecutionEnvironment environment(Configuration conf) {
        Configuration c = new Configuration(conf);
        c.set(DeploymentOptions.TARGET, TARGET);
        c.set(DeploymentOptions.ATTACHED, true);
        return new StreamExecutionEnvironment(new Executors(), c, LocalCluster.class.getClassLoader());
    }

    /** Starts a cluster of one slot, for a caller that cannot throw checked exceptions (an async start). */
    public static LocalCluster oneSlot() {
        try {
            return new LocalCluster(1);
        } catch (Exception e) {
            throw new IllegalStateException("could not start a local Flink cluster: " + e, e);
        }
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }

    /** Submits every pipeline to this cluster. */
    private final class Executors implements PipelineExecutorServiceLoader, PipelineExecutorFactory, PipelineExecutor {
        @Override
        public PipelineExecutorFactory getExecutorFactory(Configuration configuration) {
            return this;
        }

        @Override
        public Stream<String> getExecutorNames() {
            return Stream.of(TARGET);
        }

        @Override
        public String getName() {
            return TARGET;
        }

        @Override
        public boolean isCompatibleWith(Configuration configuration) {
            return TARGET.equals(configuration.get(DeploymentOptions.TARGET));
        }

        @Override
        public PipelineExecutor getExecutor(Configuration configuration) {
            return this;
        }

        @Override
        public CompletableFuture<JobClient> execute(
                Pipeline pipeline, Configuration configuration, ClassLoader classLoader) throws Exception {
            StreamGraph graph = PipelineExecutorUtils.getStreamGraph(pipeline, configuration);
            MiniClusterClient client = new MiniClusterClient(config, cluster);
            return client.submitJob(graph)
                    .thenApply(id -> new ClusterClientJobClientAdapter<>(
                            () -> new MiniClusterClient(config, cluster), id, classLoader));
        }
    }
}
