package io.veto.local;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real, single-node Apache Kafka broker running inside the current JVM.
 *
 * <p>This is Kafka's own KRaft server ({@link KafkaRaftServer}) in combined mode
 * ({@code process.roles=broker,controller}), not a mock: it speaks the real wire protocol and
 * supports everything Veto relies on, including idempotent producers, consumer groups and
 * transactions (needed by the exactly-once mode). It is used by local runs of the job (on the
 * conventional port 9092, see {@link #start(int)}) and by tests (on free ports, see
 * {@link #start()}).
 *
 * <p>The broker binds to {@code 127.0.0.1} only and keeps its data in a fresh temporary
 * directory that is deleted by {@link #close()}. Topics are never auto-created; create them
 * with {@link #createTopics(int, String...)} or {@link #createTopic(String, int, Map)}.
 * Internal topics use replication factor 1 and a single partition, so the first consumer group
 * or transaction does not pay for creating 50 partitions.
 *
 * <p>The {@code kafka_2.13} artifact is a {@code provided} dependency: this class is available
 * for local runs and tests but must never be used by code that runs on a Flink cluster.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start()) {
 *     kafka.createTopics(3, "payments");
 *     Properties props = kafka.clientProperties();
 *     ...
 * }
 * }</pre>
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

    private static final String HOST = "127.0.0.1";
    private static final int NODE_ID = 1;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);
    private static final int FREE_PORT_ATTEMPTS = 3;

    private final KafkaRaftServer server;
    private final Path dataDir;
    private final int port;
    private final String bootstrapServers;
    private final String saslBootstrapServers;
    private final Admin admin;
    private final Object closeLock = new Object();
    private boolean closed;

    private EmbeddedKafkaBroker(KafkaRaftServer server, Path dataDir, int port, int saslPort, Admin admin) {
        this.server = server;
        this.dataDir = dataDir;
        this.port = port;
        this.bootstrapServers = HOST + ":" + port;
        this.saslBootstrapServers = saslPort == 0 ? null : HOST + ":" + saslPort;
        this.admin = admin;
    }

    /** Starts a broker on a free port, with its data in a temporary directory deleted on close. */
    public static EmbeddedKafkaBroker start() {
        return start(0);
    }

    /**
     * Starts a broker whose client ({@code PLAINTEXT}) listener is bound to {@code 127.0.0.1:port}.
     * Local runs use 9092; {@code 0} picks a free port. The controller listener always uses a
     * free port. Returns once the broker is registered, unfenced and answering admin requests.
     *
     * @throws IllegalStateException if the broker could not be started (e.g. the port is taken)
     */
    public static EmbeddedKafkaBroker start(int port) {
        return start(port, Map.of());
    }

    /**
     * Starts a broker on free ports with, besides its {@code PLAINTEXT} listener, a
     * {@code SASL_PLAINTEXT} listener that accepts the {@code PLAIN} mechanism for these users
     * (name to password): what secured clients are tested against ({@link #saslBootstrapServers()}).
     */
    public static EmbeddedKafkaBroker startWithSaslPlain(Map<String, String> users) {
        if (users.isEmpty()) {
            throw new IllegalArgumentException("a SASL listener needs at least one user");
        }
        return start(0, users);
    }

    private static EmbeddedKafkaBroker start(int port, Map<String, String> saslUsers) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("Invalid port: " + port);
        }
        int attempts = port == 0 ? FREE_PORT_ATTEMPTS : 1;
        for (int attempt = 1; ; attempt++) {
            try {
                return startOnce(port, saslUsers);
            } catch (RuntimeException e) {
                // A free port picked by us may have been grabbed by someone else before the
                // broker bound it: retry with new ports. Any other failure is final.
                if (attempt >= attempts || !isBindFailure(e)) {
                    throw e;
                }
                LOG.warn(
                        "Embedded Kafka broker could not bind its ports (attempt {}/{}), retrying: {}",
                        attempt,
                        attempts,
                        e.toString());
            }
        }
    }

    private static EmbeddedKafkaBroker startOnce(int requestedPort, Map<String, String> saslUsers) {
        long startNanos = System.nanoTime();
        int port = requestedPort == 0 ? freePort() : requestedPort;
        int controllerPort = freePort(port);
        int saslPort = saslUsers.isEmpty() ? 0 : freePort(port, controllerPort);
        Path dataDir = createTempDir();
        KafkaRaftServer server = null;
        Admin admin = null;
        try {
            Properties props = brokerProperties(port, controllerPort, dataDir.resolve("logs"));
            if (saslPort != 0) {
                addSaslPlainListener(props, port, controllerPort, saslPort, saslUsers);
            }
            format(props, dataDir.resolve("server.properties"));

            server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            server.startup();

            admin = Admin.create(adminProperties(HOST + ":" + port));
            awaitReady(admin);

            LOG.info(
                    "Embedded Kafka broker started on {}:{} in {} ms (data in {})",
                    HOST,
                    port,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos),
                    dataDir);
            return new EmbeddedKafkaBroker(server, dataDir, port, saslPort, admin);
        } catch (RuntimeException e) {
            cleanUpFailedStart(admin, server, dataDir);
            if (e instanceof IllegalStateException ise) {
                throw ise;
            }
            String reason = requestedPort != 0 && isBindFailure(e)
                    ? " (is the port already in use, e.g. by another Kafka?)"
                    : "";
            throw new IllegalStateException(
                    "Could not start embedded Kafka broker on " + HOST + ":" + port + reason, e);
        } catch (Error e) {
            cleanUpFailedStart(admin, server, dataDir);
            throw e;
        }
    }

    private static void cleanUpFailedStart(Admin admin, KafkaRaftServer server, Path dataDir) {
        if (admin != null) {
            closeQuietly(admin);
        }
        if (server != null) {
            shutdownQuietly(server);
        }
        deleteQuietly(dataDir);
    }

    /** The bootstrap servers of this broker, {@code "127.0.0.1:PORT"}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The bootstrap servers of the {@code SASL_PLAINTEXT} listener, or null when it has none. */
    public String saslBootstrapServers() {
        return saslBootstrapServers;
    }

    /** The port of the client ({@code PLAINTEXT}) listener. */
    public int port() {
        return port;
    }

    /**
     * Creates topics with {@code partitions} partitions each (replication factor 1) and waits until
     * every partition has a leader. Topics that already exist are left untouched.
     */
    public void createTopics(int partitions, String... topics) {
        List<NewTopic> newTopics = new ArrayList<>(topics.length);
        for (String topic : topics) {
            newTopics.add(new NewTopic(topic, partitions, (short) 1));
        }
        create(newTopics);
    }

    /**
     * Creates one topic with topic-level configs (e.g. {@code cleanup.policy=compact}) and waits
     * until every partition has a leader. A topic that already exists is left untouched.
     */
    public void createTopic(String topic, int partitions, Map<String, String> configs) {
        create(List.of(new NewTopic(topic, partitions, (short) 1).configs(Map.copyOf(configs))));
    }

    /** Fresh client properties with {@code bootstrap.servers} pointing at this broker. */
    public Properties clientProperties() {
        Properties props = new Properties();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return props;
    }

    /**
     * Shuts the broker down, waits for the shutdown to finish and deletes its data directory.
     * Idempotent, thread-safe and safe to call from a JVM shutdown hook.
     */
    @Override
    public void close() {
        synchronized (closeLock) {
            if (closed) {
                return;
            }
            closed = true;
            long startNanos = System.nanoTime();
            closeQuietly(admin);
            shutdownQuietly(server);
            deleteQuietly(dataDir);
            LOG.info(
                    "Embedded Kafka broker on {} stopped in {} ms",
                    bootstrapServers,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
        }
    }

    @Override
    public String toString() {
        return "EmbeddedKafkaBroker[" + bootstrapServers + "]";
    }

    // ---------------------------------------------------------------------------------------
    // Topics

    private void create(List<NewTopic> topics) {
        synchronized (closeLock) {
            if (closed) {
                throw new IllegalStateException(this + " is closed");
            }
        }
        if (topics.isEmpty()) {
            return;
        }
        int timeoutMs = (int) ADMIN_TIMEOUT.toMillis();
        Map<String, KafkaFuture<Void>> results = admin.createTopics(
                        topics, new CreateTopicsOptions().timeoutMs(timeoutMs))
                .values();
        for (Map.Entry<String, KafkaFuture<Void>> result : results.entrySet()) {
            try {
                result.getValue().get(timeoutMs, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("Could not create topic " + result.getKey(), e.getCause());
                }
            } catch (TimeoutException e) {
                throw new IllegalStateException("Timed out creating topic " + result.getKey(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted creating topic " + result.getKey(), e);
            }
        }
        awaitLeaders(topics.stream().map(NewTopic::name).toList());
    }

    /** Polls until the broker's metadata shows a leader for every partition of the topics. */
    private void awaitLeaders(Collection<String> topics) {
        long deadline = System.nanoTime() + ADMIN_TIMEOUT.toNanos();
        Throwable last = null;
        while (System.nanoTime() < deadline) {
            try {
                Map<String, TopicDescription> descriptions = admin.describeTopics(
                                topics, new DescribeTopicsOptions().timeoutMs((int) ADMIN_TIMEOUT.toMillis()))
                        .allTopicNames()
                        .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                boolean allLed = descriptions.values().stream()
                        .flatMap(d -> d.partitions().stream())
                        .map(TopicPartitionInfo::leader)
                        .allMatch(leader -> leader != null && !leader.isEmpty());
                if (allLed && descriptions.keySet().containsAll(topics)) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException)) {
                    throw new IllegalStateException("Could not describe topics " + topics, e.getCause());
                }
                last = e.getCause();
            } catch (TimeoutException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted waiting for topics " + topics, e);
            }
            pause();
        }
        throw new IllegalStateException("Topics " + topics + " have no leader after " + ADMIN_TIMEOUT, last);
    }

    // ---------------------------------------------------------------------------------------
    // Startup

    private static Properties brokerProperties(int port, int controllerPort, Path logDir) {
        Properties p = new Properties();
        // KRaft combined mode: this single node is both the broker and the only controller.
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        // Static quorum: the storage tool needs no --standalone/--initial-controllers flag.
        p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", logDir.toString());

        // Single node: every internal topic has one replica, and one partition so that the first
        // consumer group / transaction does not wait for 50 partitions to be created.
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("share.coordinator.state.topic.num.partitions", "1");
        p.put("min.insync.replicas", "1");
        p.put("default.replication.factor", "1");
        p.put("transaction.max.timeout.ms", "900000");

        p.put("num.partitions", "1");
        p.put("auto.create.topics.enable", "false");
        p.put("group.initial.rebalance.delay.ms", "0");

        // Small footprint for tests and local runs (log.segment.bytes must be >= 1 MiB in Kafka 4).
        p.put("log.segment.bytes", Integer.toString(16 * 1024 * 1024));
        p.put("log.index.size.max.bytes", Integer.toString(1024 * 1024));
        p.put("log.retention.hours", "24");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        p.put("num.recovery.threads.per.data.dir", "1");
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(2 * 1024 * 1024));
        p.put("log.cleaner.threads", "1");
        // Unfence quickly after startup.
        p.put("broker.heartbeat.interval.ms", "500");
        return p;
    }

    private static void addSaslPlainListener(
            Properties p, int port, int controllerPort, int saslPort, Map<String, String> users) {
        p.put(
                "listeners",
                "PLAINTEXT://" + HOST + ":" + port + ",SASL_PLAINTEXT://" + HOST + ":" + saslPort + ",CONTROLLER://"
                        + HOST + ":" + controllerPort);
        p.put(
                "advertised.listeners",
                "PLAINTEXT://" + HOST + ":" + port + ",SASL_PLAINTEXT://" + HOST + ":" + saslPort);
        p.put(
                "listener.security.protocol.map",
                "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("listener.name.sasl_plaintext.sasl.enabled.mechanisms", "PLAIN");
        StringBuilder jaas = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
        users.forEach((user, password) -> jaas.append(" user_")
                .append(user)
                .append("=\"")
                .append(password)
                .append('"'));
        p.put(
                "listener.name.sasl_plaintext.plain.sasl.jaas.config",
                jaas.append(';').toString());
    }

    /** Formats the log directories (KRaft needs meta.properties and a bootstrap checkpoint). */
    private static void format(Properties props, Path propertiesFile) {
        try (OutputStream out = Files.newOutputStream(propertiesFile)) {
            props.store(out, "Veto embedded Kafka broker");
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write " + propertiesFile, e);
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int exitCode;
        try (PrintStream printStream = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            exitCode = StorageTool.execute(
                    new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c", propertiesFile.toString()},
                    printStream);
        } catch (Exception e) {
            throw new IllegalStateException(
                    "Could not format Kafka storage: "
                            + output.toString(StandardCharsets.UTF_8).trim(),
                    e);
        }
        if (exitCode != 0) {
            throw new IllegalStateException("Kafka storage format failed with exit code " + exitCode + ": "
                    + output.toString(StandardCharsets.UTF_8).trim());
        }
        LOG.debug(
                "Kafka storage formatted: {}",
                output.toString(StandardCharsets.UTF_8).trim());
    }

    private static Properties adminProperties(String bootstrapServers) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "veto-embedded-kafka-admin");
        props.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, "50");
        props.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "500");
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, "50");
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        return props;
    }

    /** Polls until the broker answers describeCluster and lists itself as an (unfenced) broker. */
    private static void awaitReady(Admin admin) {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        Throwable last = null;
        while (System.nanoTime() < deadline) {
            try {
                Collection<Node> nodes = admin.describeCluster(
                                new DescribeClusterOptions().timeoutMs((int) READY_TIMEOUT.toMillis()))
                        .nodes()
                        .get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                if (nodes.stream().anyMatch(n -> n.id() == NODE_ID)) {
                    return;
                }
            } catch (ExecutionException e) {
                last = e.getCause();
            } catch (TimeoutException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted waiting for the embedded Kafka broker", e);
            }
            pause();
        }
        throw new IllegalStateException("Embedded Kafka broker not ready after " + READY_TIMEOUT, last);
    }

    // ---------------------------------------------------------------------------------------
    // Helpers

    /** Back-off between two polls of a condition. */
    private static void pause() {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }

    private static int freePort(int... excluded) {
        Set<Integer> taken = new HashSet<>();
        for (int e : excluded) {
            taken.add(e);
        }
        for (int i = 0; i < 10; i++) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
                socket.setReuseAddress(true);
                int port = socket.getLocalPort();
                if (!taken.contains(port)) {
                    return port;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Could not find a free port on " + HOST, e);
            }
        }
        throw new IllegalStateException("Could not find a free port on " + HOST);
    }

    private static Path createTempDir() {
        try {
            return Files.createTempDirectory("veto-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException("Could not create a temporary directory for Kafka", e);
        }
    }

    private static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return true;
            }
            String message = Objects.toString(t.getMessage(), "");
            if (message.contains("Address already in use") || message.contains("failed to bind")) {
                return true;
            }
        }
        return false;
    }

    private static void closeQuietly(Admin admin) {
        try {
            admin.close(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            LOG.warn("Could not close the embedded Kafka admin client", e);
        }
    }

    private static void shutdownQuietly(KafkaRaftServer server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.warn("Embedded Kafka broker did not shut down cleanly", e);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            // Children before parents.
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("Could not delete Kafka data directory {}", dir, e);
        }
    }
}
