package io.veto.backtest;

import io.veto.event.EventParser;
import io.veto.event.EventType;
import io.veto.event.Ingested;
import io.veto.event.PaymentEvent;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * One pass over an events file before a backtest, with the job's own parser: counts events,
 * payments and rejected lines, measures how far event time goes backwards (so the backtest's
 * watermark never makes a payment late), finds the first CHARGEBACK of each payment, and writes
 * each payment's {@code paymentId,eventTime,cardToken,amount,currency} in file order.
 */
final class EventScan {
    long events;
    long payments;
    long rejected;
    /** The largest amount by which an event's time is behind an earlier event's, ms. */
    long disorderMillis;

    long firstEventTime = Long.MAX_VALUE;
    long lastEventTime = Long.MIN_VALUE;
    /** A rejected line's error when a raw card number could not be tokenized (no key), else null. */
    String panProblem;

    String firstRejection;
    /** Event time of the earliest CHARGEBACK of each payment id. */
    final Map<String, Long> chargebacks = new HashMap<>();

    /** Scans {@code events} and writes the unlabelled payment rows to {@code rows}. */
    static EventScan run(Path events, EventParser parser, Path rows) throws IOException {
        EventScan s = new EventScan();
        String fileName = events.getFileName().toString();
        try (InputStream in = Files.newInputStream(events);
                BufferedWriter out = Files.newBufferedWriter(rows, StandardCharsets.UTF_8)) {
            EventFileSource.LineIterator lines =
                    new EventFileSource.LineIterator(new EventFileSource.Split(events.toString(), 0, 1));
            long maxTime = Long.MIN_VALUE;
            while (lines.hasNext()) {
                EventFileSource.Line l = lines.next();
                Ingested in1 = EventFileSource.parse(parser, fileName, l.number(), l.bytes());
                if (in1.event() == null) {
                    s.rejected++;
                    String error = in1.rejected().error();
                    if (s.firstRejection == null) {
                        s.firstRejection = fileName + ":" + l.number() + ": " + error;
                    }
                    if (s.panProblem == null && error.contains("raw PAN")) {
                        s.panProblem = fileName + ":" + l.number() + ": " + error;
                    }
                    continue;
                }
                PaymentEvent e = in1.event();
                s.events++;
                long t = e.eventTime();
                s.firstEventTime = Math.min(s.firstEventTime, t);
                s.lastEventTime = Math.max(s.lastEventTime, t);
                if (maxTime != Long.MIN_VALUE && t < maxTime) {
                    s.disorderMillis = Math.max(s.disorderMillis, maxTime - t);
                }
                maxTime = Math.max(maxTime, t);
                if (e.type() == EventType.PAYMENT) {
                    s.payments++;
                    out.write(PaymentsCsv.row(
                            e.paymentId(), t, e.cardToken(), e.amount().toPlainString(), e.currency()));
                    out.write('\n');
                } else if (e.type() == EventType.CHARGEBACK && e.paymentId() != null) {
                    s.chargebacks.merge(e.paymentId(), t, Math::min);
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return s;
    }
}
