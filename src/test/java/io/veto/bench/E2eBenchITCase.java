package io.veto.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The end-to-end benchmark's quick mode, so that {@code jobs/bench-e2e.sh} cannot silently stop
 * working: every phase runs (real broker, ceiling pipe, the job on RocksDB with checkpoints, the
 * latency phases, the checkpoint and savepoint) and every figure lands in the JSON. What the
 * figures are is not asserted (that is what the benchmark reports); that every payment of the
 * backlog and of the latency phases was decided is.
 */
class E2eBenchITCase {
    @TempDir
    Path dir;

    @Test
    void shouldMeasureEveryFigureInQuickMode() throws Exception {
        Path json = dir.resolve("bench-e2e.json");
        int exit = new CommandLine(new E2eBench()).execute("--quick", "--json", json.toString());
        assertThat(exit).isZero();

        JsonNode r = new ObjectMapper().readTree(json.toFile());
        assertThat(r.path("quick").asBoolean()).isTrue();
        assertThat(r.path("backlog").path("payments").asLong()).isPositive();
        assertThat(r.path("ceiling").path("records").asLong())
                .isEqualTo(r.path("backlog").path("events").asLong());
        assertThat(r.path("ceiling").path("recordsPerSecond").asDouble()).isPositive();

        JsonNode throughput = r.path("throughput");
        assertThat(throughput.path("payments").asLong())
                .isEqualTo(r.path("backlog").path("payments").asLong());
        assertThat(throughput.path("paymentsPerSecond").asDouble()).isPositive();
        assertThat(throughput.path("ratioToCeiling").asDouble()).isPositive();
        assertThat(throughput.path("cpuMicrosPerPaymentByThread").size()).isPositive();

        assertThat(r.path("latency")).hasSize(2);
        for (JsonNode phase : r.path("latency")) {
            assertThat(phase.path("decisionsMeasured").asLong())
                    .as("rate %s", phase.path("rate"))
                    .isPositive();
            assertThat(phase.path("missing").asLong())
                    .as("every payment of the phase decided")
                    .isZero();
            assertThat(phase.path("decisionsMeasured").asLong())
                    .isEqualTo(phase.path("paymentsMeasured").asLong());
            assertThat(phase.path("p50Ms").asDouble())
                    .isLessThanOrEqualTo(phase.path("p99Ms").asDouble());
            assertThat(phase.path("p99Ms").asDouble())
                    .isLessThanOrEqualTo(phase.path("p999Ms").asDouble());
        }

        JsonNode state = r.path("state");
        assertThat(state.path("activeCards").asLong()).isPositive();
        assertThat(state.path("bytesPerActiveCard").asDouble()).isPositive();
        assertThat(state.path("savepointBytesPerActiveCard").asDouble()).isPositive();
        JsonNode reference = r.path("reference");
        assertThat(reference.path("paymentsPerSecond").asDouble())
                .as("the reference job decided the same backlog")
                .isPositive();
        assertThat(r.path("versusReference").path("throughputRatio").asDouble()).isPositive();
        assertThat(r.path("referenceLatency")).hasSize(2);
        for (JsonNode phase : r.path("referenceLatency")) {
            assertThat(phase.path("missing").asLong())
                    .as("reference at %s: every payment answered", phase.path("rate"))
                    .isZero();
            assertThat(phase.path("decisionsMeasured").asLong())
                    .isEqualTo(phase.path("paymentsMeasured").asLong());
        }
        JsonNode cold = r.path("coldStart");
        assertThat(cold.path("decisionsMeasured").asLong())
                .as("the cold-start job decided from its first second")
                .isPositive();
        assertThat(cold.path("missing").asLong()).isZero();
        assertThat(cold.path("lateDecisions").isNumber()).isTrue();
        for (String target :
                List.of("throughputAtLeastReference", "coldStartP99AtMost250ms", "stateAtMost1KBPerActiveCard")) {
            assertThat(r.path("targets").path(target).isBoolean()).as(target).isTrue();
        }
        assertThat(E2eBench.table(r))
                .contains(
                        "(a) ceiling",
                        "(r) reference job",
                        "(b) Veto max throughput",
                        "Veto / reference",
                        "(c) latency at 1,000/s",
                        "(s) cold start",
                        "(d) state per active card");
    }
}
