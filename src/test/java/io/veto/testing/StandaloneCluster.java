package io.veto.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.flink.configuration.GlobalConfiguration;

/**
 * A real Flink standalone cluster for tests: JobManager and TaskManager processes from Maven's
 * jars, started, extended and stopped with {@code jobs/cluster.sh}; jobs submitted with
 * {@code jobs/submit.sh} and stopped with a savepoint with {@code jobs/flink.sh}: what a user
 * without a Flink distribution runs, with the shipped {@code flink-conf/config.yaml}. Only what
 * must differ to run beside anything else on this machine is overridden: free ports, and its own
 * directory under {@code target/cluster-it/} for configuration, logs, checkpoints and savepoints.
 * {@link #close()} stops it; {@link #leftoverProcesses()} then finds any process still running
 * from its directory. A JVM shutdown hook stops it should the test JVM end first.
 */
public final class StandaloneCluster implements AutoCloseable {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(4);
    private static final Pattern JOB_ID = Pattern.compile("Job has been submitted with JobID ([0-9a-f]{32})");
    private static final Pattern SAVEPOINT = Pattern.compile("Savepoint completed\\. Path: (\\S+)");
    private static final int PROMETHEUS_PORTS = 4;

    private final Path dir;
    private final Path runDir;
    private final Path confDir;
    private final Map<String, String> env;
    private final int restPort;
    private final int prometheusFirstPort;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Set<Long> pids = new LinkedHashSet<>();
    private final Thread shutdownHook = new Thread(this::stopQuietly, "stop-standalone-cluster");
    private int scripts;
    private boolean stopped;

    private StandaloneCluster(Path dir, Map<String, String> env, int restPort, int prometheusFirstPort) {
        this.dir = dir;
        this.runDir = dir.resolve("run");
        this.confDir = dir.resolve("conf");
        this.env = env;
        this.restPort = restPort;
        this.prometheusFirstPort = prometheusFirstPort;
    }

    /**
     * Starts a cluster, returning once its TaskManager has registered.
     *
     * @param name names its directory, {@code target/cluster-it/<name>-<time>}
     * @param env environment of the cluster's processes and of the job client (PAN key, Kafka
     *     settings); no other {@code VETO_*} variable of this JVM's environment is passed on
     * @param overrides configuration beyond the shipped one and the ports
     */
    public static StandaloneCluster start(String name, Map<String, String> env, Map<String, String> overrides)
            throws IOException {
        if (!Files.isRegularFile(ROOT.resolve("target/veto.jar"))
                || !Files.isRegularFile(ROOT.resolve("target/cluster-classpath.txt"))) {
            throw new IllegalStateException(
                    "target/veto.jar and target/cluster-classpath.txt come from `mvn package`: run the cluster tests with `mvn verify`");
        }
        Path dir = ROOT.resolve("target/cluster-it")
                .resolve(name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("HHmmss-SSS")));
        Files.createDirectories(dir.resolve("conf"));
        int restPort = freePort();
        int rpcPort = freePort();
        int prometheus = freePortRange(PROMETHEUS_PORTS);
        StandaloneCluster cluster = new StandaloneCluster(dir, Map.copyOf(env), restPort, prometheus);

        Map<String, String> conf = new TreeMap<>(
                GlobalConfiguration.loadConfiguration(ROOT.resolve("flink-conf").toString())
                        .toMap());
        conf.put("rest.port", Integer.toString(restPort));
        conf.put("rest.address", "localhost");
        conf.put("rest.bind-address", "localhost");
        conf.put("jobmanager.rpc.address", "localhost");
        conf.put("jobmanager.rpc.port", Integer.toString(rpcPort));
        conf.put("metrics.reporter.prom.port", prometheus + "-" + (prometheus + PROMETHEUS_PORTS - 1));
        conf.put(
                "execution.checkpointing.dir",
                dir.resolve("checkpoints").toUri().toString());
        conf.put(
                "execution.checkpointing.savepoint-dir",
                dir.resolve("savepoints").toUri().toString());
        conf.put("io.tmp.dirs", dir.resolve("tmp").toString());
        conf.putAll(overrides);
        Files.createDirectories(dir.resolve("tmp"));
        cluster.writeConfig(conf);
        Files.copy(ROOT.resolve("flink-conf/log4j.properties"), cluster.confDir.resolve("log4j.properties"));

        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        try {
            cluster.script("jobs/cluster.sh", "start");
            cluster.rememberPids();
        } catch (RuntimeException | IOException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    private void writeConfig(Map<String, String> conf) throws IOException {
        StringBuilder yaml = new StringBuilder(
                "# flink-conf/config.yaml with the overrides of " + getClass().getSimpleName() + "\n");
        conf.forEach((k, v) ->
                yaml.append(k).append(": '").append(v.replace("'", "''")).append("'\n"));
        Files.writeString(confDir.resolve("config.yaml"), yaml.toString());
    }

    /** The cluster's directory: conf/, run/ (its copy of the configuration, log/, pid files), checkpoints/, savepoints/. */
    public Path dir() {
        return dir;
    }

    public String restUrl() {
        return "http://localhost:" + restPort;
    }

    /** Submits the shaded job jar with these job options; returns the job id. */
    public String submit(String... jobArgs) {
        return submitFromSavepoint(null, jobArgs);
    }

    /** Submits the shaded job jar, restored from {@code savepoint} when not null; returns the job id. */
    public String submitFromSavepoint(String savepoint, String... jobArgs) {
        List<String> args = new ArrayList<>();
        if (savepoint != null) {
            args.add("--from-savepoint");
            args.add(savepoint);
        }
        args.addAll(List.of(jobArgs));
        String out = script("jobs/submit.sh", args.toArray(String[]::new));
        Matcher m = JOB_ID.matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("jobs/submit.sh printed no job id:\n" + out);
        }
        return m.group(1);
    }

    /** Stops the job with a savepoint in the cluster's savepoint directory; returns the savepoint's path. */
    public String stopWithSavepoint(String jobId) {
        String out = script(
                "jobs/flink.sh",
                "stop",
                "--savepointPath",
                dir.resolve("savepoints").toUri().toString(),
                jobId);
        Matcher m = SAVEPOINT.matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("jobs/flink.sh stop printed no savepoint path:\n" + out);
        }
        return m.group(1);
    }

    /** Kills the newest TaskManager process with SIGKILL and waits until it is gone. */
    public long killTaskManager() throws IOException {
        long pid = Long.parseLong(
                Files.readString(runDir.resolve("taskmanager.pid")).trim());
        ProcessHandle tm = ProcessHandle.of(pid)
                .orElseThrow(() -> new IllegalStateException("TaskManager " + pid + " is not running"));
        tm.destroyForcibly();
        tm.onExit().orTimeout(60, TimeUnit.SECONDS).join();
        return pid;
    }

    /** Starts one more TaskManager and waits until it has registered. */
    public void startTaskManager() throws IOException {
        script("jobs/cluster.sh", "start-taskmanager");
        rememberPids();
    }

    // ---------------------------------------------------------------------------------------
    // REST API

    /** GET of a REST path, e.g. {@code /jobs/<id>}. */
    public JsonNode rest(String path) {
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(restUrl() + path))
                            .timeout(Duration.ofSeconds(30))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("GET " + path + ": HTTP " + r.statusCode() + " " + r.body());
            }
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public String jobState(String jobId) {
        return rest("/jobs/" + jobId).get("state").asText();
    }

    /** The job runs and so does every one of its tasks (after a restart: all deployed again). */
    public boolean allTasksRunning(String jobId) {
        JsonNode job = rest("/jobs/" + jobId);
        if (!job.get("state").asText().equals("RUNNING")) {
            return false;
        }
        for (JsonNode v : job.get("vertices")) {
            if (!v.get("status").asText().equals("RUNNING")) {
                return false;
            }
        }
        return true;
    }

    /** A job metric of the JobManager, e.g. {@code numRestarts}; -1 while it is not reported. */
    public long jobMetric(String jobId, String metric) {
        for (JsonNode m : rest("/jobs/" + jobId + "/metrics?get=" + metric)) {
            if (m.get("id").asText().equals(metric)) {
                return (long) Double.parseDouble(m.get("value").asText());
            }
        }
        return -1;
    }

    public long completedCheckpoints(String jobId) {
        return rest("/jobs/" + jobId + "/checkpoints")
                .get("counts")
                .get("completed")
                .asLong();
    }

    /**
     * The sum of a metric over every series of one job in a Prometheus scrape, optionally only
     * those with a given label ({@code rule="large_amount"}); each series counted once, however
     * many endpoints show it.
     */
    public static double prometheusSum(String metrics, String name, String jobId, String label) {
        Pattern line = Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE);
        Matcher m = line.matcher(metrics);
        double total = 0;
        java.util.Set<String> seen = new HashSet<>();
        while (m.find()) {
            String labels = m.group(1);
            if (labels.contains("job_id=\"" + jobId + "\"")
                    && (label == null || labels.contains(label))
                    && seen.add(labels)) {
                total += Double.parseDouble(m.group(2));
            }
        }
        return total;
    }

    /** The text of every Prometheus endpoint of the cluster (JobManager, TaskManagers). */
    public String scrapePrometheus() {
        StringBuilder all = new StringBuilder();
        for (int port = prometheusFirstPort; port < prometheusFirstPort + PROMETHEUS_PORTS; port++) {
            try {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics"))
                                .timeout(Duration.ofSeconds(30))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    all.append(r.body()).append('\n');
                }
            } catch (ConnectException e) {
                // No process of this cluster on this port.
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return all.toString();
    }

    /** The logs and standard output of the cluster's processes, concatenated (not RocksDB's LOG files beside them). */
    public String logs() throws IOException {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.list(runDir.resolve("log"))) {
            for (Path f : files.filter(
                            p -> p.toString().endsWith(".log") || p.toString().endsWith(".out"))
                    .sorted()
                    .toList()) {
                all.append(Files.readString(f, StandardCharsets.UTF_8));
            }
        }
        return all.toString();
    }

    /** What the scripts run so far printed, concatenated. */
    public String scriptOutput() throws IOException {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".out"))
                    .sorted()
                    .toList()) {
                all.append(Files.readString(f, StandardCharsets.UTF_8));
            }
        }
        return all.toString();
    }

    // ---------------------------------------------------------------------------------------
    // Processes

    private String script(String script, String... args) {
        List<String> command =
                new ArrayList<>(List.of("bash", ROOT.resolve(script).toString()));
        command.addAll(List.of(args));
        Path out = dir.resolve(String.format(
                "%02d-%s-%s.out",
                ++scripts,
                Path.of(script).getFileName().toString().replace(".sh", ""),
                args.length == 0 ? "" : args[0]));
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(ROOT.toFile())
                .redirectErrorStream(true)
                .redirectOutput(out.toFile());
        Map<String, String> e = pb.environment();
        e.keySet().removeIf(k -> k.startsWith("VETO_"));
        e.putAll(env);
        e.put("FLINK_CONF_DIR", confDir.toString());
        e.put("VETO_CLUSTER_DIR", runDir.toString());
        try {
            Process p = pb.start();
            if (!p.waitFor(SCRIPT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within " + SCRIPT_TIMEOUT
                        + ":\n" + Files.readString(out));
            }
            String text = Files.readString(out);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(
                        String.join(" ", command) + " failed with exit code " + p.exitValue() + ":\n" + text);
            }
            return text;
        } catch (IOException e2) {
            throw new UncheckedIOException(e2);
        } catch (InterruptedException e2) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e2);
        }
    }

    private void rememberPids() throws IOException {
        for (String f : List.of("jobmanager.pid", "taskmanager.pids")) {
            Path p = runDir.resolve(f);
            if (Files.exists(p)) {
                for (String line : Files.readAllLines(p)) {
                    if (!line.isBlank()) {
                        pids.add(Long.parseLong(line.trim()));
                    }
                }
            }
        }
    }

    /** Every process this cluster started that still runs, and any other whose command line names its directory. */
    public List<String> leftoverProcesses() {
        List<String> left = new ArrayList<>();
        for (long pid : pids) {
            ProcessHandle.of(pid).filter(ProcessHandle::isAlive).ifPresent(p -> left.add(describe(p)));
        }
        String mark = dir.toString();
        ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid() && !pids.contains(p.pid()))
                .filter(p -> p.info().commandLine().map(c -> c.contains(mark)).orElse(false))
                .forEach(p -> left.add(describe(p)));
        return left;
    }

    private static String describe(ProcessHandle p) {
        return p.pid() + " "
                + p.info()
                        .commandLine()
                        .map(c -> c.length() > 200 ? c.substring(0, 200) + "..." : c)
                        .orElse("?");
    }

    /** The pids of every JobManager and TaskManager this cluster started, dead or alive. */
    public Set<Long> pids() {
        return Set.copyOf(pids);
    }

    /** Stops every process of the cluster (jobs/cluster.sh stop) and removes its checkpoints. */
    @Override
    public void close() throws IOException {
        synchronized (this) {
            if (stopped) {
                return;
            }
            stopped = true;
        }
        try {
            rememberPids();
            script("jobs/cluster.sh", "stop");
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // The JVM is already shutting down: this is the hook.
            }
            deleteRecursively(dir.resolve("checkpoints"));
            deleteRecursively(dir.resolve("savepoints"));
            deleteRecursively(dir.resolve("tmp"));
        }
    }

    private void stopQuietly() {
        try {
            close();
        } catch (IOException | RuntimeException e) {
            System.err.println("could not stop the cluster in " + dir + ": " + e);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Helpers

    /** Polls {@code condition} until it holds; fails with {@code what} after {@code timeout}. */
    public static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The first of {@code n} consecutive ports that are free now. */
    private static int freePortRange(int n) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int first = ThreadLocalRandom.current().nextInt(20_000, 30_000);
            boolean free = true;
            for (int p = first; p < first + n && free; p++) {
                try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getByName("0.0.0.0"))) {
                    free = true;
                } catch (IOException e) {
                    free = false;
                }
            }
            if (free) {
                return first;
            }
        }
        throw new IllegalStateException("no " + n + " consecutive free ports");
    }

    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(p)) {
            for (Path q : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
