package io.veto.backtest.report;

import io.veto.decision.Decision;
import io.veto.decision.Outcome;
import io.veto.decision.Reason;
import io.veto.kafka.DecisionJson;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A backtest's output directory read into memory: the labelled payments of {@code payments.csv}
 * and, for each rule set, its decision on each of them, at the same index. Malformed lines stop
 * the report with the file, line and problem: a report on half-read data would mislead.
 */
public final class BacktestData {
    public static final String PAYMENTS = "payments.csv";
    public static final String CANDIDATE = "decisions-candidate.jsonl";
    public static final String BASELINE = "decisions-baseline.jsonl";
    static final String HEADER = "paymentId,eventTime,cardToken,amount,currency,label";
    static final long DAY = 86_400_000L;

    /** The labelled payments, in file order. */
    public record Payments(
            String[] id, long[] eventTime, String[] card, BigDecimal[] amount, String[] currency, boolean[] fraud) {
        public int size() {
            return id.length;
        }

        public long day(int i) {
            return Math.floorDiv(eventTime[i], DAY);
        }
    }

    /**
     * One rule set's decisions, aligned with the payments; a payment with no decision has a null
     * outcome. Reasons are kept only for decisions that have some.
     *
     * @param duplicates decisions read again for a payment already decided (at-least-once
     *     delivery can write them; the first one counts)
     * @param unknown decisions for payments that are not in payments.csv (left out)
     */
    public record Decisions(
            Outcome[] outcome,
            int[] score,
            Reason[][] reasons,
            String[] shadowOutcome,
            Reason[][] shadowReasons,
            Set<String> versions,
            long duplicates,
            long unknown) {
        public long missing() {
            long m = 0;
            for (Outcome o : outcome) {
                m += o == null ? 1 : 0;
            }
            return m;
        }
    }

    private BacktestData() {}

    public static Payments readPayments(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).strip().equals(HEADER)) {
            throw new ReportException(file + ":1: expected the header '" + HEADER + "'");
        }
        int n = lines.size() - 1;
        while (n > 0 && lines.get(n).isBlank()) {
            n--;
        }
        String[] id = new String[n];
        long[] time = new long[n];
        String[] card = new String[n];
        BigDecimal[] amount = new BigDecimal[n];
        String[] currency = new String[n];
        boolean[] fraud = new boolean[n];
        Map<String, String> interned = new HashMap<>();
        Set<String> seen = new HashSet<>(n * 2);
        for (int i = 0; i < n; i++) {
            String line = lines.get(i + 1);
            String where = file + ":" + (i + 2) + ": ";
            String[] f = line.split(",", -1);
            if (f.length != 6) {
                throw new ReportException(where + "expected 6 fields (" + HEADER + "), found " + f.length);
            }
            if (f[0].isEmpty() || !seen.add(f[0])) {
                throw new ReportException(
                        where + (f[0].isEmpty() ? "empty paymentId" : "paymentId " + f[0] + " appears twice"));
            }
            id[i] = f[0];
            try {
                time[i] = Long.parseLong(f[1]);
            } catch (NumberFormatException e) {
                throw new ReportException(where + "eventTime '" + f[1] + "' is not epoch milliseconds");
            }
            card[i] = interned.computeIfAbsent(f[2], s -> s);
            try {
                amount[i] = new BigDecimal(f[3]);
            } catch (NumberFormatException e) {
                throw new ReportException(where + "amount '" + f[3] + "' is not a decimal number");
            }
            currency[i] = interned.computeIfAbsent(f[4], s -> s);
            if (!f[5].equals("0") && !f[5].equals("1")) {
                throw new ReportException(where + "label must be 1 (fraud) or 0, not '" + f[5] + "'");
            }
            fraud[i] = f[5].equals("1");
        }
        return new Payments(id, time, card, amount, currency, fraud);
    }

    public static Decisions readDecisions(Path file, Payments payments) throws IOException {
        Map<String, Integer> index = new HashMap<>(payments.size() * 2);
        for (int i = 0; i < payments.size(); i++) {
            index.put(payments.id()[i], i);
        }
        int n = payments.size();
        Outcome[] outcome = new Outcome[n];
        int[] score = new int[n];
        Reason[][] reasons = new Reason[n][];
        String[] shadowOutcome = new String[n];
        Reason[][] shadowReasons = new Reason[n][];
        Set<String> versions = new LinkedHashSet<>();
        Map<String, String> ruleIds = new HashMap<>();
        long duplicates = 0;
        long unknown = 0;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                Decision d;
                try {
                    d = DecisionJson.read(line.getBytes(StandardCharsets.UTF_8));
                } catch (RuntimeException e) {
                    throw new ReportException(file + ":" + lineNo + ": not a decision (" + firstLine(e) + ")");
                }
                Integer i = index.get(d.paymentId());
                if (i == null) {
                    unknown++;
                    continue;
                }
                if (outcome[i] != null) {
                    duplicates++;
                    continue;
                }
                outcome[i] = d.decision();
                score[i] = d.score();
                versions.add(d.ruleSetVersion());
                reasons[i] = d.reasons().length == 0 ? null : intern(d.reasons(), ruleIds);
                if (d.shadow() != null) {
                    shadowOutcome[i] = d.shadow().decision();
                    shadowReasons[i] = d.shadow().reasons().length == 0
                            ? null
                            : intern(d.shadow().reasons(), ruleIds);
                }
            }
        }
        return new Decisions(outcome, score, reasons, shadowOutcome, shadowReasons, versions, duplicates, unknown);
    }

    /** Rule ids repeat on every hit: one string each keeps a large backtest's reasons small. */
    private static Reason[] intern(Reason[] rs, Map<String, String> ids) {
        for (int k = 0; k < rs.length; k++) {
            Reason r = rs[k];
            rs[k] = new Reason(
                    ids.computeIfAbsent(r.ruleId(), s -> s), r.points(), r.outcome(), r.detail(), r.events());
        }
        return rs;
    }

    private static String firstLine(Exception e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** A backtest directory the report cannot use, with the file and line. */
    public static final class ReportException extends UncheckedIOException {
        public ReportException(String message) {
            super(message, new IOException(message));
        }
    }
}
