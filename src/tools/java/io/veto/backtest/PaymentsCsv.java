package io.veto.backtest;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code payments.csv}, the report's list of payments and their labels: header
 * {@code paymentId,eventTime,cardToken,amount,currency,label}, one line per PAYMENT in the events'
 * order, eventTime in epoch ms, amount a plain decimal, label 1 (fraud) or 0.
 */
public final class PaymentsCsv {
    public static final String HEADER = "paymentId,eventTime,cardToken,amount,currency,label";

    private PaymentsCsv() {}

    static String row(String paymentId, long eventTime, String cardToken, String amount, String currency) {
        return quote(paymentId) + "," + eventTime + "," + quote(cardToken) + "," + amount + "," + quote(currency);
    }

    /** How many payments were labelled, and how many of them fraud. */
    record Counts(long payments, long frauds) {}

    /**
     * Writes {@code csv} from the unlabelled rows: a payment is fraud when {@code labels} says 1 for
     * it or, without labels, when a chargeback of it came within {@code window} of it.
     */
    static Counts label(
            Path rows, Path csv, Map<String, Long> chargebacks, Duration window, Map<String, Integer> labels)
            throws IOException {
        long payments = 0;
        long frauds = 0;
        long windowMillis = window.toMillis();
        try (BufferedReader in = Files.newBufferedReader(rows, StandardCharsets.UTF_8);
                BufferedWriter out = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
            out.write(HEADER);
            out.write('\n');
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = split(line);
                String paymentId = f[0];
                long time = Long.parseLong(f[1]);
                boolean fraud;
                if (labels != null) {
                    fraud = labels.getOrDefault(paymentId, 0) == 1;
                } else {
                    Long cb = chargebacks.get(paymentId);
                    fraud = cb != null && cb - time <= windowMillis;
                }
                payments++;
                frauds += fraud ? 1 : 0;
                out.write(line);
                out.write(fraud ? ",1\n" : ",0\n");
            }
        }
        return new Counts(payments, frauds);
    }

    /** The fields of a CSV line: commas split, double quotes quote ("" is a quote). */
    public static String[] split(String line) {
        List<String> out = new ArrayList<>(6);
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        out.add(field.toString());
        return out.toArray(new String[0]);
    }

    static String quote(String s) {
        if (s == null) {
            return "";
        }
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
