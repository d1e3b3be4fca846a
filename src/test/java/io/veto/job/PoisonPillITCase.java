package io.veto.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.veto.generator.BadRecords;
import io.veto.generator.GeneratedEvent;
import io.veto.generator.GeneratorConfig;
import io.veto.generator.PaymentGenerator;
import io.veto.kafka.KafkaBrokerExtension;
import io.veto.metrics.DlqMetrics;
import io.veto.testing.JobTestSupport;
import io.veto.testing.StandaloneCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.client.program.ClusterClient;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectClusterClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Poison pills: 1% of the records on the payments topic are malformed in every way
 * {@link BadRecords} knows (not JSON, truncated, wrong types, negative amounts, unknown types,
 * over 64 KiB, invalid UTF-8, empty ...), mixed at random among 19,800 valid events. The running
 * job (MiniCluster, parallelism 2, real broker) never restarts, parks each bad record in the DLQ
 * and counts it ({@code dlq_records}), and decides exactly the valid payments.
 */
class PoisonPillITCase {
    private static final byte[] KEY = "poison-pill-test-key-0123456789".getBytes(StandardCharsets.UTF_8);
    private static final int VALID = 19_800;
    private static final int MALFORMED = 200;
    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster();

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void shouldParkEveryMalformedRecordWithoutARestartAndDecideEveryValidPayment(
            @InjectClusterClient ClusterClient<?> client) throws Exception {
        JobOptions o = JobTestSupport.freshOptions(KAFKA);
        PaymentGenerator generator = new PaymentGenerator(
                GeneratorConfig.defaults().withSeed(99).withCards(2_000).withMeanGapMicros(200_000));
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        Set<String> payments = new HashSet<>();
        for (int i = 0; i < VALID; i++) {
            GeneratedEvent e = generator.next();
            records.add(new ProducerRecord<>(o.paymentsTopic, e.key().getBytes(StandardCharsets.UTF_8), e.json()));
            if (e.isPayment()) {
                payments.add(e.paymentId());
            }
        }
        Random random = new Random(13);
        List<BadRecords.Sample> bad = new ArrayList<>();
        while (bad.size() < MALFORMED) {
            for (BadRecords.Sample s : BadRecords.malformedSamples(random)) {
                if (bad.size() < MALFORMED) {
                    bad.add(s);
                }
            }
        }
        for (BadRecords.Sample s : bad) {
            records.add(random.nextInt(records.size() + 1), new ProducerRecord<>(o.paymentsTopic, null, s.payload()));
        }
        assertThat((double) MALFORMED / records.size()).isEqualTo(0.01);
        KAFKA.produce(o.paymentsTopic, records);

        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(VetoJob.flinkConfiguration(o));
        VetoJob.build(env, o, () -> KEY.clone());
        JobClient job = env.executeAsync("veto-poison-pill");
        String jobId = job.getJobID().toString();
        String rest = client.getWebInterfaceURL();
        try {
            List<ConsumerRecord<byte[], byte[]>> decisions = KAFKA.drain(o.decisionsTopic, payments.size(), TIMEOUT);
            List<ConsumerRecord<byte[], byte[]>> dlq = KAFKA.drain(o.dlqTopic, MALFORMED, TIMEOUT);

            // Every valid payment decided, once: no restart replayed any.
            assertThat(decisions).hasSize(payments.size());
            assertThat(decisions.stream()
                            .map(r -> new String(r.key(), StandardCharsets.UTF_8))
                            .collect(Collectors.toSet()))
                    .isEqualTo(payments);
            // Every malformed record in the DLQ, once, with its reason and where it was.
            assertThat(dlq).hasSize(MALFORMED);
            Set<Long> offsets = new HashSet<>();
            for (ConsumerRecord<byte[], byte[]> r : dlq) {
                JsonNode n = JSON.readTree(r.value());
                assertThat(n.get("error").asText()).isNotBlank();
                offsets.add(n.get("sourcePartition").asLong() * 1_000_000
                        + n.get("sourceOffset").asLong());
            }
            assertThat(offsets).hasSize(MALFORMED);

            // The job never failed, and its DLQ counter says what the DLQ holds.
            assertThat(get(rest, "/jobs/" + jobId).get("state").asText()).isEqualTo("RUNNING");
            assertThat(get(rest, "/jobs/" + jobId + "/exceptions")
                            .get("exceptionHistory")
                            .get("entries"))
                    .isEmpty();
            StandaloneCluster.await(
                    "the job's numRestarts and dlq_records metrics",
                    TIMEOUT,
                    () -> jobMetric(rest, jobId, "numRestarts") >= 0 && dlqCount(rest, jobId) == MALFORMED);
            assertThat(jobMetric(rest, jobId, "numRestarts")).isZero();
            assertThat(dlqCount(rest, jobId)).isEqualTo(MALFORMED);
            assertThat(get(rest, "/jobs/" + jobId + "/exceptions")
                            .get("exceptionHistory")
                            .get("entries"))
                    .isEmpty();
        } finally {
            job.cancel().get();
        }
    }

    private JsonNode get(String rest, String path) {
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(rest + path)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A JobManager job metric, -1 until the web UI's metric fetcher has it. */
    private long jobMetric(String rest, String jobId, String metric) {
        for (JsonNode m : get(rest, "/jobs/" + jobId + "/metrics?get=" + metric)) {
            return (long) Double.parseDouble(m.get("value").asText());
        }
        return -1;
    }

    /** {@code dlq_records} summed over the subtasks of the vertex that holds the DLQ counter; -1 while not reported. */
    private long dlqCount(String rest, String jobId) {
        for (JsonNode vertex : get(rest, "/jobs/" + jobId).get("vertices")) {
            String path = "/jobs/" + jobId + "/vertices/" + vertex.get("id").asText() + "/subtasks/metrics";
            for (JsonNode m : get(rest, path)) {
                String id = m.get("id").asText();
                if (id.endsWith("." + DlqMetrics.COUNTER)) {
                    JsonNode sum = get(rest, path + "?get=" + id + "&agg=sum");
                    return sum.isEmpty() ? -1 : (long) sum.get(0).get("sum").asDouble();
                }
            }
        }
        return -1;
    }
}
