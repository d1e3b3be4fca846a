package io.veto.backtest.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.veto.cli.VetoCli;
import io.veto.decision.Decision;
import io.veto.decision.Outcome;
import io.veto.decision.Reason;
import io.veto.decision.ShadowResult;
import io.veto.kafka.DecisionJson;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report's figures against values known by hand and against a second, naive computation in
 * this test (AUC by comparing every fraud with every genuine payment, AP as the mean over frauds of
 * the precision at their score, per-rule figures by scanning the reasons), on generated data full of
 * ties. Both read the same files a backtest writes.
 */
class BacktestReportTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long DAY = 86_400_000L;
    private static final long T0 = 1_793_577_600_000L; // 2026-11-02T00:00:00Z

    @TempDir
    Path dir;

    /** One payment of a test: its label, amount, card, day, and each set's decision. */
    record P(
            String id,
            int day,
            String card,
            String amount,
            boolean fraud,
            Outcome outcome,
            int score,
            List<Reason> reasons,
            List<Reason> shadow,
            Outcome baseOutcome,
            int baseScore) {}

    private static Reason r(String id, int points) {
        return new Reason(id, points, null, id + " fired");
    }

    @Test
    void shouldReportTheValuesWorkedOutByHand() throws Exception {
        List<P> ps = List.of(
                new P(
                        "p1",
                        0,
                        "c1",
                        "100",
                        true,
                        Outcome.DENY,
                        90,
                        List.of(r("rule-a", 90)),
                        List.of(),
                        Outcome.DENY,
                        90),
                new P(
                        "p2",
                        0,
                        "c1",
                        "10",
                        false,
                        Outcome.REVIEW,
                        60,
                        List.of(r("rule-b", 60)),
                        List.of(),
                        Outcome.APPROVE,
                        0),
                new P(
                        "p3",
                        0,
                        "c2",
                        "30",
                        true,
                        Outcome.REVIEW,
                        50,
                        List.of(r("rule-b", 25), r("rule-c", 25)),
                        List.of(),
                        Outcome.APPROVE,
                        0),
                new P("p4", 0, "c3", "5", false, Outcome.APPROVE, 0, List.of(), List.of(), Outcome.APPROVE, 0),
                new P(
                        "p5",
                        0,
                        "c2",
                        "70",
                        true,
                        Outcome.APPROVE,
                        0,
                        List.of(),
                        List.of(r("shadow-x", 20)),
                        Outcome.APPROVE,
                        0),
                new P("p6", 0, "c3", "1", false, Outcome.APPROVE, 0, List.of(), List.of(), Outcome.APPROVE, 0));
        write(ps, true);
        BacktestReport.write(dir, new ReportOptions("next", "today", 0.5, 0.6));
        JsonNode s = JSON.readTree(dir.resolve(BacktestReport.SUMMARY).toFile());

        assertThat(s.at("/headline/payments").asLong()).isEqualTo(6);
        assertThat(s.at("/headline/frauds").asLong()).isEqualTo(3);
        assertThat(s.at("/headline/fraudAmount").decimalValue()).isEqualByComparingTo("200");
        JsonNode c = s.at("/sets/0");
        assertThat(c.at("/name").asText()).isEqualTo("next");
        // Fraud-genuine pairs: p1 beats all 3; p3 loses to p2, beats p4 and p6; p5 loses to p2, ties p4 and p6: 6 of 9.
        assertThat(c.at("/rocAuc").asDouble()).isCloseTo(6.0 / 9, within(1e-12));
        // At 90: recall 1/3, precision 1; at 50: +1/3 at 2/3; at 0: +1/3 at 3/6.
        assertThat(c.at("/averagePrecision").asDouble()).isCloseTo(1.0 / 3 + 2.0 / 9 + 1.0 / 6, within(1e-12));
        assertThat(c.at("/deny/precision").asDouble()).isEqualTo(1.0);
        assertThat(c.at("/deny/recall").asDouble()).isCloseTo(1.0 / 3, within(1e-12));
        assertThat(c.at("/deny/amountRecall").asDouble()).isCloseTo(0.5, within(1e-12));
        assertThat(c.at("/denyOrReview/precision").asDouble()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(c.at("/denyOrReview/recall").asDouble()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(c.at("/denyOrReview/amountRecall").asDouble()).isCloseTo(0.65, within(1e-12));
        // Cards: c1 max 90 with a fraud, c2 max 50 with frauds, c3 max 0 without: 2 of 3.
        assertThat(c.at("/days/0/cardPrecisionAt100").asDouble()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(c.at("/days/0/deny").asLong()).isEqualTo(1);
        assertThat(c.at("/days/0/review").asLong()).isEqualTo(2);
        assertThat(c.at("/thresholds/reviewRate/threshold").asDouble()).isEqualTo(50);
        assertThat(c.at("/thresholds/reviewRate/flagged").asLong()).isEqualTo(3);
        assertThat(c.at("/thresholds/precision/threshold").asDouble()).isEqualTo(50);
        assertThat(c.at("/thresholds/precision/recall").asDouble()).isCloseTo(2.0 / 3, within(1e-12));

        Map<String, JsonNode> rules = new HashMap<>();
        c.at("/rules").forEach(n -> rules.put(n.get("ruleId").asText(), n));
        assertThat(rules).containsOnlyKeys("rule-a", "rule-b", "rule-c", "shadow-x");
        assertRule(rules.get("rule-a"), "active", 1, 1, 1, 0);
        assertRule(rules.get("rule-b"), "active", 2, 1, 0, 1);
        assertThat(rules.get("rule-b").get("genuineAmount").decimalValue()).isEqualByComparingTo("10");
        assertRule(rules.get("rule-c"), "active", 1, 1, 0, 0);
        assertRule(rules.get("shadow-x"), "shadow", 1, 1, 1, 0);
        assertThat(rules.get("rule-b").get("precision").asDouble()).isEqualTo(0.5);
        assertThat(rules.get("rule-b").get("recall").asDouble()).isCloseTo(1.0 / 3, within(1e-12));

        Map<String, JsonNode> moves = new HashMap<>();
        s.at("/changes/transitions")
                .forEach(n -> moves.put(
                        n.get("before").asText() + ">" + n.get("after").asText(), n));
        assertThat(moves.get("APPROVE>REVIEW").get("payments").asLong()).isEqualTo(2);
        assertThat(moves.get("APPROVE>REVIEW").get("frauds").asLong()).isEqualTo(1);
        assertThat(moves.get("APPROVE>APPROVE").get("payments").asLong()).isEqualTo(3);
        assertThat(moves.get("DENY>DENY").get("payments").asLong()).isEqualTo(1);
        JsonNode top = s.at("/changes/top");
        assertThat(top).hasSize(2);
        assertThat(top.get(0).get("paymentId").asText()).isEqualTo("p3");
        assertThat(top.get(0).get("effect").asText()).isEqualTo("fraud newly caught");
        assertThat(top.get(0).get("reasonsAfter").get(1).asText()).isEqualTo("rule-c +25: rule-c fired");
        assertThat(top.get(1).get("effect").asText()).isEqualTo("genuine newly held");
    }

    private static void assertRule(JsonNode r, String kind, long hits, long frauds, long only, long genuine) {
        assertThat(r.get("kind").asText()).isEqualTo(kind);
        assertThat(r.get("hits").asLong()).as(r.get("ruleId") + " hits").isEqualTo(hits);
        assertThat(r.get("fraudHits").asLong()).as(r.get("ruleId") + " frauds").isEqualTo(frauds);
        assertThat(r.get("onlyItCatches").asLong())
                .as(r.get("ruleId") + " only")
                .isEqualTo(only);
        assertThat(r.get("genuineHits").asLong())
                .as(r.get("ruleId") + " genuine")
                .isEqualTo(genuine);
    }

    @Test
    void shouldEqualANaiveComputationOnGeneratedDataWithTies() throws Exception {
        Random rnd = new Random(7);
        String[] ruleIds = {"velocity", "amount", "testing", "mcc", "night"};
        List<P> ps = new ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            int day = rnd.nextInt(3);
            // Few distinct scores and 150 cards a day: ties everywhere, also at the 100th card.
            int score = rnd.nextInt(4) == 0 ? 0 : 5 * rnd.nextInt(12);
            boolean fraud = rnd.nextDouble() < 0.02 + score / 80.0;
            Outcome o = score >= 45 ? Outcome.DENY : score >= 25 ? Outcome.REVIEW : Outcome.APPROVE;
            List<Reason> reasons = new ArrayList<>();
            List<Reason> shadow = new ArrayList<>();
            for (String id : ruleIds) {
                if (rnd.nextInt(5) == 0) {
                    (id.equals("night") ? shadow : reasons).add(r(id, 10));
                }
            }
            int base = Math.max(0, score + 5 * (rnd.nextInt(3) - 1));
            Outcome bo = base >= 45 ? Outcome.DENY : base >= 30 ? Outcome.REVIEW : Outcome.APPROVE;
            ps.add(new P(
                    "pay-" + i,
                    day,
                    "card-" + day + "-" + rnd.nextInt(150),
                    (1 + rnd.nextInt(50000)) / 100 + "." + rnd.nextInt(10),
                    fraud,
                    o,
                    score,
                    reasons,
                    shadow,
                    bo,
                    base));
        }
        write(ps, true);
        BacktestReport.write(dir, new ReportOptions("cand", "base", 0.1, 0.5));
        JsonNode s = JSON.readTree(dir.resolve(BacktestReport.SUMMARY).toFile());

        long frauds = ps.stream().filter(P::fraud).count();
        for (int set = 0; set < 2; set++) {
            boolean cand = set == 0;
            JsonNode f = s.at("/sets/" + set);
            int[] sc =
                    ps.stream().mapToInt(p -> cand ? p.score() : p.baseScore()).toArray();
            Outcome[] oc =
                    ps.stream().map(p -> cand ? p.outcome() : p.baseOutcome()).toArray(Outcome[]::new);
            assertThat(f.at("/rocAuc").asDouble()).isCloseTo(naiveAuc(ps, sc), within(1e-12));
            assertThat(f.at("/averagePrecision").asDouble()).isCloseTo(naiveAp(ps, sc), within(1e-12));
            for (boolean orReview : new boolean[] {false, true}) {
                long flagged = 0;
                long tp = 0;
                BigDecimal caught = BigDecimal.ZERO;
                BigDecimal all = BigDecimal.ZERO;
                for (int i = 0; i < ps.size(); i++) {
                    boolean fl = oc[i] == Outcome.DENY || (orReview && oc[i] == Outcome.REVIEW);
                    flagged += fl ? 1 : 0;
                    tp += fl && ps.get(i).fraud() ? 1 : 0;
                    if (ps.get(i).fraud()) {
                        all = all.add(new BigDecimal(ps.get(i).amount()));
                        caught = fl ? caught.add(new BigDecimal(ps.get(i).amount())) : caught;
                    }
                }
                JsonNode fl = f.at(orReview ? "/denyOrReview" : "/deny");
                assertThat(fl.get("flagged").asLong()).isEqualTo(flagged);
                assertThat(fl.get("precision").asDouble()).isCloseTo((double) tp / flagged, within(1e-12));
                assertThat(fl.get("recall").asDouble()).isCloseTo((double) tp / frauds, within(1e-12));
                assertThat(fl.get("amountRecall").asDouble())
                        .isCloseTo(caught.doubleValue() / all.doubleValue(), within(1e-12));
            }
            for (int day = 0; day < 3; day++) {
                assertThat(f.at("/days/" + day + "/cardPrecisionAt100").asDouble())
                        .as("card precision@100 of day %d", day)
                        .isCloseTo(naiveCardPrecision(ps, sc, day, 100), within(1e-12));
            }
            if (cand) {
                assertRulesMatchNaive(ps, f.at("/rules"), frauds);
            }
        }
    }

    /** Every (fraud, genuine) pair: 1 when the fraud scores higher, half on a tie. */
    private static double naiveAuc(List<P> ps, int[] sc) {
        double wins = 0;
        long pairs = 0;
        for (int i = 0; i < ps.size(); i++) {
            if (!ps.get(i).fraud()) {
                continue;
            }
            for (int j = 0; j < ps.size(); j++) {
                if (ps.get(j).fraud()) {
                    continue;
                }
                pairs++;
                wins += sc[i] > sc[j] ? 1 : sc[i] == sc[j] ? 0.5 : 0;
            }
        }
        return wins / pairs;
    }

    /** The mean over frauds of the precision of flagging every payment scoring at least that fraud's score. */
    private static double naiveAp(List<P> ps, int[] sc) {
        double sum = 0;
        long frauds = 0;
        for (int i = 0; i < ps.size(); i++) {
            if (!ps.get(i).fraud()) {
                continue;
            }
            frauds++;
            long flagged = 0;
            long tp = 0;
            for (int j = 0; j < ps.size(); j++) {
                if (sc[j] >= sc[i]) {
                    flagged++;
                    tp += ps.get(j).fraud() ? 1 : 0;
                }
            }
            sum += (double) tp / flagged;
        }
        return sum / frauds;
    }

    /** Each card in by its chance of being among the top k under a random order of ties. */
    private static double naiveCardPrecision(List<P> ps, int[] sc, int day, int k) {
        Map<String, int[]> cards = new LinkedHashMap<>();
        for (int i = 0; i < ps.size(); i++) {
            if (ps.get(i).day() != day) {
                continue;
            }
            int[] c = cards.computeIfAbsent(ps.get(i).card(), x -> new int[] {Integer.MIN_VALUE, 0});
            c[0] = Math.max(c[0], sc[i]);
            c[1] |= ps.get(i).fraud() ? 1 : 0;
        }
        int kk = Math.min(k, cards.size());
        double expected = 0;
        for (int[] c : cards.values()) {
            long above = cards.values().stream().filter(o -> o[0] > c[0]).count();
            long tied = cards.values().stream().filter(o -> o[0] == c[0]).count();
            double chance = Math.max(0, Math.min(1, (double) (kk - above) / tied));
            expected += c[1] * chance;
        }
        return expected / kk;
    }

    private static void assertRulesMatchNaive(List<P> ps, JsonNode rules, long frauds) {
        Set<String> seen = new LinkedHashSet<>();
        for (JsonNode r : rules) {
            String id = r.get("ruleId").asText();
            seen.add(id);
            long hits = 0;
            long tp = 0;
            long only = 0;
            long genuine = 0;
            for (P p : ps) {
                List<Reason> all = new ArrayList<>(p.reasons());
                all.addAll(p.shadow());
                boolean hit = all.stream().anyMatch(x -> x.ruleId().equals(id));
                if (!hit) {
                    continue;
                }
                hits++;
                if (p.fraud()) {
                    tp++;
                    only += all.size() == 1 ? 1 : 0;
                } else {
                    genuine++;
                }
            }
            assertThat(r.get("kind").asText()).isEqualTo(id.equals("night") ? "shadow" : "active");
            assertThat(r.get("hits").asLong()).as(id).isEqualTo(hits);
            assertThat(r.get("fraudHits").asLong()).as(id).isEqualTo(tp);
            assertThat(r.get("precision").asDouble()).as(id).isCloseTo((double) tp / hits, within(1e-12));
            assertThat(r.get("recall").asDouble()).as(id).isCloseTo((double) tp / frauds, within(1e-12));
            assertThat(r.get("onlyItCatches").asLong()).as(id).isEqualTo(only);
            assertThat(r.get("genuineHits").asLong()).as(id).isEqualTo(genuine);
        }
        assertThat(seen).containsExactlyInAnyOrder("velocity", "amount", "testing", "mcc", "night");
    }

    @Test
    void shouldEscapeAnalystTextInTheHtml() throws Exception {
        Reason evil = new Reason("rule-a", 90, null, "<script>alert('x')</script> & \"quoted\"");
        write(
                List.of(
                        new P(
                                "p<1>",
                                0,
                                "c1",
                                "10",
                                true,
                                Outcome.DENY,
                                90,
                                List.of(evil),
                                List.of(),
                                Outcome.APPROVE,
                                0),
                        new P(
                                "p2",
                                0,
                                "c2",
                                "10",
                                false,
                                Outcome.APPROVE,
                                0,
                                List.of(),
                                List.of(),
                                Outcome.APPROVE,
                                0)),
                true);
        BacktestReport.write(dir, new ReportOptions("<img src=x onerror=alert(1)>", "base", 0.5));
        String html = Files.readString(dir.resolve(BacktestReport.HTML));
        assertThat(html).doesNotContain("<script>alert").doesNotContain("<img").doesNotContain("<1>");
        assertThat(html).contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;");
        assertThat(html).contains("&lt;img src=x onerror=alert(1)&gt;").contains("p&lt;1&gt;");
        // The report's own check script, and no other.
        assertThat(html.split("<script>", -1)).hasSize(2);
        // Opens offline: nothing to fetch (the SVG namespace is a name, not a download).
        assertThat(html.replace("xmlns=\"http://www.w3.org/2000/svg\"", ""))
                .doesNotContain("http://", "https://", "src=\"", "href=\"//");
    }

    @Test
    void shouldRejectABadLabelWithFileAndLine() throws Exception {
        Files.writeString(
                dir.resolve(BacktestData.PAYMENTS),
                BacktestData.HEADER + "\np1,1,c1,10.00,EUR,1\np2,2,c1,5.00,EUR,yes\n");
        Files.writeString(dir.resolve(BacktestData.CANDIDATE), "");
        assertThatThrownBy(() -> BacktestReport.write(dir, new ReportOptions("c", null, 0.01)))
                .hasMessage(dir.resolve(BacktestData.PAYMENTS) + ":3: label must be 1 (fraud) or 0, not 'yes'");
    }

    @Test
    void shouldSayWhichDecisionLineIsNotADecision() throws Exception {
        Files.writeString(dir.resolve(BacktestData.PAYMENTS), BacktestData.HEADER + "\np1,1,c1,10.00,EUR,1\n");
        Files.writeString(dir.resolve(BacktestData.CANDIDATE), "{\"paymentId\":\"p1\"}\n");
        assertThatThrownBy(() -> BacktestReport.write(dir, new ReportOptions("c", null, 0.01)))
                .hasMessageStartingWith(dir.resolve(BacktestData.CANDIDATE) + ":1: not a decision");
    }

    @Test
    void shouldWriteTheReportFromTheCommandLineWithAReviewRateInPercent() throws Exception {
        write(
                List.of(
                        new P(
                                "p1",
                                0,
                                "c1",
                                "10",
                                true,
                                Outcome.DENY,
                                90,
                                List.of(r("rule-a", 90)),
                                List.of(),
                                Outcome.APPROVE,
                                0),
                        new P(
                                "p2",
                                0,
                                "c2",
                                "10",
                                false,
                                Outcome.APPROVE,
                                0,
                                List.of(),
                                List.of(),
                                Outcome.APPROVE,
                                0)),
                true);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = VetoCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute("rules", "report", dir.toString(), "--candidate-name", "next", "--review-rate", "50%");
        assertThat(err.toString()).isEmpty();
        assertThat(exit).isZero();
        assertThat(out.toString())
                .isEqualTo(dir.resolve("report.html") + ": 2 payments, 1 frauds; next AP 1.0000, AUC 1.0000\n");
        JsonNode s = JSON.readTree(dir.resolve(BacktestReport.SUMMARY).toFile());
        assertThat(s.at("/sets/0/thresholds/reviewRate/target").asDouble()).isEqualTo(0.5);
        assertThat(s.at("/sets/1/name").asText()).isEqualTo("baseline");

        Files.delete(dir.resolve(BacktestData.CANDIDATE));
        exit = VetoCli.commandLine().setErr(new PrintWriter(err, true)).execute("rules", "report", dir.toString());
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains(dir.resolve(BacktestData.CANDIDATE) + ": not found");
    }

    private void write(List<P> ps, boolean baseline) throws IOException {
        StringBuilder csv = new StringBuilder(BacktestData.HEADER + "\n");
        try (OutputStream c = Files.newOutputStream(dir.resolve(BacktestData.CANDIDATE));
                OutputStream b = Files.newOutputStream(dir.resolve(BacktestData.BASELINE))) {
            for (P p : ps) {
                long t = T0 + p.day() * DAY + 3_600_000L;
                csv.append(p.id())
                        .append(',')
                        .append(t)
                        .append(',')
                        .append(p.card())
                        .append(',')
                        .append(p.amount())
                        .append(",EUR,")
                        .append(p.fraud() ? 1 : 0)
                        .append('\n');
                ShadowResult shadow = p.shadow().isEmpty()
                        ? null
                        : new ShadowResult("REVIEW", p.score() + 20, p.shadow().toArray(new Reason[0]));
                c.write(DecisionJson.write(decision(p.id(), t, p.outcome(), p.score(), p.reasons(), shadow, p.card())));
                c.write('\n');
                if (baseline) {
                    Reason[] br = p.baseScore() > 0 ? new Reason[] {r("base-rule", p.baseScore())} : new Reason[0];
                    b.write(DecisionJson.write(
                            decision(p.id(), t, p.baseOutcome(), p.baseScore(), List.of(br), null, p.card())));
                    b.write('\n');
                }
            }
        }
        Files.writeString(dir.resolve(BacktestData.PAYMENTS), csv);
    }

    private static Decision decision(
            String id, long t, Outcome o, int score, List<Reason> reasons, ShadowResult shadow, String card) {
        return new Decision(
                id,
                "evt-" + id,
                o,
                score,
                reasons.toArray(new Reason[0]),
                "test@1",
                shadow,
                t,
                t,
                false,
                card,
                "400000",
                "0002",
                new String[0],
                new double[0]);
    }
}
