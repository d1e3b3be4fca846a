package io.veto.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.veto.event.EventParser;
import io.veto.event.InvalidEventException;
import io.veto.event.PanPolicy;
import io.veto.event.PaymentEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Each hostile kind does to the parser what {@code HostileInputITCase} expects of the job, fast. */
class HostileRecordsTest {
    @Test
    void shouldBeRejectedOrAcceptedAsEachKindSays() {
        long now = System.currentTimeMillis();
        EventParser parser = new EventParser(
                PanPolicy.TOKENIZE, "hostile-test-key-0123456789".getBytes(StandardCharsets.UTF_8), 64 * 1024);
        List<HostileRecords.Hostile> records = HostileRecords.generate(new Random(7), 3_000, now);
        assertThat(records.stream().map(HostileRecords.Hostile::kind).collect(Collectors.toSet()))
                .hasSize(HostileRecords.kinds());
        for (HostileRecords.Hostile h : records) {
            try {
                PaymentEvent e = parser.parse(h.value(), "t/0/0", now);
                assertThat(h.expect()).as("%s was accepted", h).isEqualTo(HostileRecords.Expect.DECIDED);
                assertThat(e.paymentId()).isEqualTo(h.paymentId());
                assertThat(HostileRecords.PANS).noneMatch(p -> e.toString().contains(p));
            } catch (InvalidEventException ex) {
                assertThat(h.expect())
                        .as("%s was rejected: %s", h, ex.getMessage())
                        .isEqualTo(HostileRecords.Expect.DLQ);
                assertThat(HostileRecords.PANS).noneMatch(p -> ex.getMessage().contains(p));
            }
        }
    }
}
