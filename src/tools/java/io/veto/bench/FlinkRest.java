package io.veto.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/** The few REST calls the benchmark makes to its MiniCluster: checkpoint statistics of the job. */
final class FlinkRest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    FlinkRest(int port) {
        this.base = "http://localhost:" + port;
    }

    /** {@code /jobs/:id/checkpoints}: counts, the latest completed checkpoint, recent history. */
    JsonNode checkpoints(String jobId) {
        return get("/jobs/" + jobId + "/checkpoints");
    }

    /** {@code /jobs/:id}: the job's vertices (id, name). */
    JsonNode job(String jobId) {
        return get("/jobs/" + jobId);
    }

    /** One checkpoint's statistics for one vertex, with the summary over its subtasks (sync, async, alignment). */
    JsonNode checkpointOfVertex(String jobId, long checkpointId, String vertexId) {
        return get("/jobs/" + jobId + "/checkpoints/details/" + checkpointId + "/subtasks/" + vertexId);
    }

    /**
     * How often the job restarted, and why the last time (its root exception's first line): a
     * restart during a measurement means its figures are not of the job as it should run.
     */
    String restarts(String jobId) {
        JsonNode m = get("/jobs/" + jobId + "/metrics?get=numRestarts");
        long n = m.size() == 0 ? 0 : m.get(0).path("value").asLong();
        if (n == 0) {
            return null;
        }
        String cause =
                get("/jobs/" + jobId + "/exceptions").path("root-exception").asText("");
        int eol = cause.indexOf('\n');
        return n + " restart(s), last because of: " + (eol > 0 ? cause.substring(0, eol) : cause);
    }

    /**
     * The job's user counters whose names end with one of {@code names}, summed over the subtasks
     * of every vertex: where late decisions come from (which stage answered before the watermark).
     */
    Map<String, Long> counters(String jobId, Collection<String> names) {
        Map<String, Long> sums = new TreeMap<>();
        for (JsonNode v : job(jobId).path("vertices")) {
            String vertex = "/jobs/" + jobId + "/vertices/" + v.path("id").asText() + "/subtasks/metrics";
            StringBuilder wanted = new StringBuilder();
            for (JsonNode m : get(vertex)) {
                String id = m.path("id").asText();
                for (String name : names) {
                    if (id.endsWith("." + name)) {
                        wanted.append(wanted.length() == 0 ? "" : ",").append(id);
                    }
                }
            }
            if (wanted.length() == 0) {
                continue;
            }
            for (JsonNode m :
                    get(vertex + "?agg=sum&get=" + URLEncoder.encode(wanted.toString(), StandardCharsets.UTF_8))) {
                String id = m.path("id").asText();
                String name = id.substring(id.lastIndexOf('.') + 1);
                sums.merge(name, (long) m.path("sum").asDouble(), Long::sum);
            }
        }
        return sums;
    }

    long completedCheckpoints(String jobId) {
        return checkpoints(jobId).path("counts").path("completed").asLong();
    }

    private JsonNode get(String path) {
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(base + path))
                            .timeout(Duration.ofSeconds(10))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("GET " + path + " answered " + r.statusCode() + ": " + r.body());
            }
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new IllegalStateException("GET " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
