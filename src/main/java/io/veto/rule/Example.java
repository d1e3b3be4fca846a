package io.veto.rule;

import io.veto.event.EventType;
import io.veto.event.PaymentEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * An example written next to the rules: payments on one card and what the decision on the last of
 * them must be. {@code rules test} runs each through the same scorer as the job, so an example is
 * a check that the rules still do what their author meant.
 *
 * @param start the event time that {@code at:} offsets count from
 * @param card the card token of every payment (a token as decisions show it, never a card number)
 */
public record Example(
        String name,
        String file,
        int line,
        int column,
        long start,
        String card,
        String bin,
        String last4,
        List<ExamplePayment> payments,
        Expectation expect) {

    public Example {
        payments = List.copyOf(payments);
    }

    /** {@code file:line}, where the example is written. */
    public String location() {
        return file + ":" + line;
    }

    /** The payment events, in the order written; the last is the one the expectation is about. */
    public List<PaymentEvent> events() {
        List<PaymentEvent> out = new ArrayList<>(payments.size());
        for (int i = 0; i < payments.size(); i++) {
            ExamplePayment p = payments.get(i);
            String id = "example-" + (i + 1);
            out.add(new PaymentEvent(
                    "evt-" + id, EventType.PAYMENT, id, p.time(), p.card() != null ? p.card() : card, bin, last4, p.customer(), p.merchant(), p.mcc(),
                    p.terminal(), p.amount(), p.currency(), p.country(), p.ip(), p.device(), p.channel(), null, null,
                    "example:" + file + ":" + p.line()));
        }
        return out;
    }
}
