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

    /** The events, in the order written; the last payment is the one the expectation is about. */
    public List<PaymentEvent> events() {
        List<PaymentEvent> out = new ArrayList<>(payments.size());
        String lastPayment = null;
        for (int i = 0; i < payments.size(); i++) {
            ExamplePayment p = payments.get(i);
            String id = "example-" + (i + 1);
            // A refund, reversal or chargeback is about the payment written before it.
            String paymentId = p.type() == EventType.PAYMENT ? id : p.type().refersToPayment() ? lastPayment : null;
            if (p.type() == EventType.PAYMENT) {
                lastPayment = id;
            }
            boolean cardEvent = p.type().isCardEvent();
            out.add(new PaymentEvent(
                    "evt-" + id,
                    p.type(),
                    paymentId,
                    p.time(),
                    cardEvent ? (p.card() != null ? p.card() : card) : null,
                    cardEvent ? bin : null,
                    cardEvent ? last4 : null,
                    p.customer(),
                    p.merchant(),
                    p.mcc(),
                    p.terminal(),
                    p.amount(),
                    p.currency(),
                    p.country(),
                    p.ip(),
                    p.device(),
                    p.channel(),
                    p.lat(),
                    p.lon(),
                    "example:" + file + ":" + p.line()));
        }
        return out;
    }
}
