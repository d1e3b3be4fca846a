package io.veto.generator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * A labelled history in the payments-topic format, for backtests: the generator's traffic with its
 * fraud scenarios for a number of days, where every fraud PAYMENT is reported by a CHARGEBACK some
 * days later (as issuers report fraud), merged in event-time order. Genuine payments are never
 * charged back, so a chargeback within the label window is exactly the generator's fraud label.
 *
 * <p>Cards are written as {@code cardToken} (the generator's opaque card id) with BIN and last
 * four, never as a card number: a history is a file that gets copied around. The generator's
 * {@code fraudLabel} stays in each event (Veto ignores unknown fields): it is the truth that tests
 * check the chargeback labels against.
 */
public final class History {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param days how much event time the payments cover
     * @param maxEvents stop the payments early after this many events (0: no limit); chargebacks still follow
     * @param chargebackDelay mean delay of a fraud's chargeback
     * @param chargebackJitter the delay is uniform in {@code delay ± jitter}
     */
    public record Settings(
            GeneratorConfig config,
            Duration days,
            long maxEvents,
            Duration chargebackDelay,
            Duration chargebackJitter) {
        public Settings {
            if (chargebackJitter.compareTo(chargebackDelay) > 0) {
                throw new IllegalArgumentException(
                        "the chargeback jitter must not exceed the delay: a chargeback comes after its payment");
            }
        }
    }

    /** What was written. */
    public record Counts(
            long events, long payments, long frauds, long chargebacks, long firstEventTime, long lastEventTime) {}

    private History() {}

    public static Counts write(Settings s, OutputStream out) throws IOException {
        GeneratorConfig config = s.config()
                .withEventShares(s.config().accountEventShare(), s.config().refundShare(), 0.0);
        PaymentGenerator generator = new PaymentGenerator(config);
        SplittableRandom random = new SplittableRandom(config.seed() ^ 0xC4A12EBAC7L);
        PriorityQueue<Chargeback> pending = new PriorityQueue<>();
        long end = config.startTime().plus(s.days()).toEpochMilli();
        long delay = s.chargebackDelay().toMillis();
        long jitter = s.chargebackJitter().toMillis();
        long events = 0;
        long payments = 0;
        long frauds = 0;
        long chargebacks = 0;
        long first = Long.MIN_VALUE;
        long last = Long.MIN_VALUE;
        long order = 0;
        while (true) {
            GeneratedEvent e = generator.next();
            if (e.eventTimeMillis() >= end || (s.maxEvents() > 0 && events >= s.maxEvents())) {
                break;
            }
            while (!pending.isEmpty() && pending.peek().time <= e.eventTimeMillis()) {
                Chargeback c = pending.poll();
                writeLine(out, c.json);
                last = c.time;
                events++;
                chargebacks++;
            }
            ObjectNode n = (ObjectNode) JSON.readTree(e.json());
            tokenize(n, e.key());
            writeLine(out, JSON.writeValueAsBytes(n));
            events++;
            first = first == Long.MIN_VALUE ? e.eventTimeMillis() : first;
            last = e.eventTimeMillis();
            if (e.isPayment()) {
                payments++;
                if (e.isFraud()) {
                    frauds++;
                    long at = e.eventTimeMillis() + delay + (jitter == 0 ? 0 : random.nextLong(-jitter, jitter + 1));
                    pending.add(new Chargeback(at, order++, chargeback(n, e, at)));
                }
            }
        }
        while (!pending.isEmpty()) {
            Chargeback c = pending.poll();
            writeLine(out, c.json);
            last = c.time;
            events++;
            chargebacks++;
        }
        return new Counts(events, payments, frauds, chargebacks, first, last);
    }

    private static void writeLine(OutputStream out, byte[] json) throws IOException {
        out.write(json);
        out.write('\n');
    }

    /** Replaces the card number by the card's opaque id, its BIN and last four. */
    private static void tokenize(ObjectNode n, String cardKey) {
        if (!n.hasNonNull("pan")) {
            return;
        }
        String pan = n.remove("pan").asText();
        n.put("cardToken", cardKey);
        n.put("bin", pan.substring(0, 6));
        n.put("last4", pan.substring(pan.length() - 4));
    }

    private static byte[] chargeback(ObjectNode payment, GeneratedEvent e, long at) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.put("eventId", "cb-" + e.paymentId());
        c.put("type", GeneratedEvent.CHARGEBACK);
        c.put("paymentId", e.paymentId());
        c.put("eventTime", Instant.ofEpochMilli(at).toString());
        for (String f : new String[] {
            "cardToken",
            "bin",
            "last4",
            "customerId",
            "merchantId",
            "mcc",
            "terminalId",
            "amount",
            "currency",
            "country",
            "channel"
        }) {
            if (payment.has(f)) {
                c.set(f, payment.get(f));
            }
        }
        return JSON.writeValueAsBytes(c);
    }

    private record Chargeback(long time, long order, byte[] json) implements Comparable<Chargeback> {
        @Override
        public int compareTo(Chargeback o) {
            int t = Long.compare(time, o.time);
            return t != 0 ? t : Long.compare(order, o.order);
        }
    }
}
