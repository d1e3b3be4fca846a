package io.veto.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.veto.decision.Decision;
import io.veto.decision.Outcome;
import io.veto.decision.Reason;
import io.veto.sequence.Alert;
import org.junit.jupiter.api.Test;

/** What consumers read from the decisions and alerts topics, and that tools read it back unchanged. */
class DecisionJsonSequenceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Decision decision(Reason... reasons) {
        return new Decision(
                "pay-1",
                "evt-1",
                Outcome.DENY,
                0,
                reasons,
                "default@abc",
                null,
                1_764_331_200_000L,
                1_764_331_200_010L,
                false,
                "tok-1",
                "411111",
                "1111",
                new String[] {"card.count_10m"},
                new double[] {4.0});
    }

    @Test
    void shouldWriteTheMatchedEventsOfASequenceReasonAndOnlyThere() throws Exception {
        Decision d = decision(
                new Reason("seq-card-testing", 0, "DENY", "450 EUR right after small test payments", new String[] {
                    "evt-a", "evt-b", "evt-1"
                }),
                new Reason("card-velocity-10m", 50, null, "6 payments"));

        JsonNode reasons = JSON.readTree(DecisionJson.write(d)).get("reasons");

        assertThat(reasons.get(0).get("events").toString()).isEqualTo("[\"evt-a\",\"evt-b\",\"evt-1\"]");
        assertThat(reasons.get(1).has("events")).isFalse();
        Decision back = DecisionJson.read(DecisionJson.write(d));
        assertThat(back.reasons()[0].events()).containsExactly("evt-a", "evt-b", "evt-1");
        assertThat(back.reasons()[1].events()).isNull();
    }

    @Test
    void shouldWriteAnAlertWithItsEntityAndEventsAndReadItBack() throws Exception {
        Alert a = new Alert(
                "seq-card-testing:evt-1",
                "card-under-attack",
                "seq-card-testing",
                "card",
                "tok-1",
                new String[] {"evt-a", "evt-1"},
                1_764_331_000_000L,
                1_764_331_200_000L,
                1_764_331_200_012L,
                "default@abc",
                "pay-1");

        JsonNode n = JSON.readTree(DecisionJson.write(a));

        assertThat(n.get("entityKey").asText()).isEqualTo("tok-1");
        assertThat(n.get("lastEventTime").asText()).isEqualTo("2025-11-28T12:00:00Z");
        assertThat(n.get("paymentId").asText()).isEqualTo("pay-1");
        Alert back = DecisionJson.readAlert(DecisionJson.write(a));
        assertThat(back).usingRecursiveComparison().isEqualTo(a);
    }

    @Test
    void shouldLeaveOutThePaymentOfAnAlertNoDecisionCarries() throws Exception {
        Alert a = new Alert(
                "seq-refund-cycling:evt-r",
                "refund-abuse",
                "seq-refund-cycling",
                "card",
                "tok-1",
                new String[] {"evt-r"},
                1L,
                2L,
                3L,
                "default@abc",
                null);

        assertThat(JSON.readTree(DecisionJson.write(a)).has("paymentId")).isFalse();
        assertThat(DecisionJson.readAlert(DecisionJson.write(a)).decidedPaymentId())
                .isNull();
    }
}
