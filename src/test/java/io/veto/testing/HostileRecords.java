package io.veto.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.regex.Matcher;

/**
 * Records an attacker or a buggy upstream writes to the payments topic, for
 * {@code HostileInputITCase}: malformed JSON and encodings, every numeric and time edge, oversized
 * records and fields, card numbers in every field and form, duplicate and conflicting events. Each
 * kind says what the job must do with it: park it in the DLQ, or decide it (then it is a payment
 * with a {@code paymentId} of its own).
 */
public final class HostileRecords {
    /** Raw card numbers the records hide; none may appear in any output, log or checkpoint. */
    public static final List<String> PANS = List.of(
            "4111111111111111",
            "5105105105105100",
            "378282246310005",
            "6011111111111117",
            "4012888888881881",
            "5555555555554444",
            "3530111333300000",
            "4000056655665556");

    public enum Expect {
        DLQ,
        DECIDED
    }

    /** One hostile record; {@code paymentId} is set when it must be decided. */
    public record Hostile(String kind, byte[] value, Expect expect, String paymentId) {
        @Override
        public String toString() { // never the payload: it may hold a raw PAN
            return "Hostile[" + kind + ", " + expect + ", " + (value == null ? "null" : value.length + " bytes") + "]";
        }
    }

    private record Kind(String name, Expect expect, Function<Ctx, byte[]> make) {}

    /** What a kind builds its record from: fresh ids, a card number, a time near the job's clock. */
    public static final class Ctx {
        final Random random;
        final long now;
        final String paymentId;
        final String pan;

        Ctx(Random random, long now, String paymentId) {
            this.random = random;
            this.now = now;
            this.paymentId = paymentId;
            this.pan = PANS.get(random.nextInt(PANS.size()));
        }

        /** A valid payment on one of a few cards, customers and merchants. */
        String payment(String time, String amount, String extra) {
            return "{\"eventId\":\"evt-" + paymentId + "\",\"type\":\"PAYMENT\",\"paymentId\":\"" + paymentId
                    + "\",\"eventTime\":" + time
                    + ",\"cardToken\":\"tok-h-" + random.nextInt(50) + "\",\"customerId\":\"cust-h-"
                    + random.nextInt(50)
                    + "\",\"merchantId\":\"mer-h-" + random.nextInt(20) + "\",\"amount\":" + amount
                    + ",\"currency\":\"EUR\"" + extra + "}";
        }

        /** Half an hour back: behind the valid traffic, so that no hostile payment moves its watermark. */
        String time() {
            return Long.toString(now - 1_800_000 - random.nextInt(60_000));
        }

        String payment() {
            return payment(time(), "12.30", "");
        }

        /** A payment with {@code field} set to {@code json}, the field it replaces removed. */
        String with(String field, String json) {
            String p = payment().replaceFirst("\"" + field + "\":(\"[^\"]*\"|[-0-9.]+),?", "");
            return p.replaceFirst("\\{", Matcher.quoteReplacement("{\"" + field + "\":" + json + ","))
                    .replace(",}", "}");
        }

        String panWith(char sep, int every) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < pan.length(); i++) {
                if (i > 0 && i % every == 0) {
                    b.append(sep);
                }
                b.append(pan.charAt(i));
            }
            return b.toString();
        }

        String fullWidthPan() {
            StringBuilder b = new StringBuilder();
            pan.chars().forEach(c -> b.append((char) ('\uff10' + (c - '0'))));
            return b.toString();
        }

        String escapedPan() {
            StringBuilder b = new StringBuilder();
            pan.chars().forEach(c -> b.append(String.format("\\u%04x", c)));
            return b.toString();
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static final List<Kind> KINDS = List.of(
            // Malformed JSON and encodings.
            new Kind("not-json", Expect.DLQ, c -> utf8("card " + c.pan + " declined, retry")),
            new Kind("truncated", Expect.DLQ, c -> utf8(c.payment().substring(0, 60))),
            new Kind("invalid-utf8", Expect.DLQ, c -> {
                byte[] b = utf8(c.payment());
                b[20] = (byte) 0xC3;
                b[21] = (byte) 0x28;
                return b;
            }),
            new Kind("utf16-bom", Expect.DECIDED, c -> ("\uFEFF" + c.payment()).getBytes(StandardCharsets.UTF_16LE)),
            new Kind("array-root", Expect.DLQ, c -> utf8("[" + c.payment() + "]")),
            new Kind("number-root", Expect.DLQ, c -> utf8(c.pan)),
            new Kind("empty", Expect.DLQ, c -> new byte[0]),
            new Kind("tombstone", Expect.DLQ, c -> null),
            new Kind("deep-nesting", Expect.DLQ, c -> utf8(c.with("note", "[".repeat(40) + "]".repeat(40)))),
            new Kind("duplicate-field", Expect.DLQ, c -> utf8(c.payment().replace("}", ",\"amount\":1}"))),
            new Kind("control-bytes", Expect.DLQ, c -> {
                byte[] b = new byte[2000];
                c.random.nextBytes(b);
                return b;
            }),
            new Kind("nul-in-id", Expect.DLQ, c -> utf8(c.with("deviceId", "\"dev\\u0000-1\""))),
            new Kind("unpaired-surrogate", Expect.DLQ, c -> utf8(c.with("type", "\"PAY\\ud800MENT\""))),
            new Kind("unknown-type", Expect.DLQ, c -> utf8(c.with("type", "\"TELEPORT\""))),
            new Kind("object-as-id", Expect.DLQ, c -> utf8(c.with("merchantId", "{\"id\":\"" + c.pan + "\"}"))),
            new Kind(
                    "missing-amount-with-pan",
                    Expect.DLQ,
                    c -> utf8(c.payment().replace("\"amount\":12.30,", "\"pan\":\"" + c.pan + "\","))),
            new Kind(
                    "pan-not-luhn",
                    Expect.DLQ,
                    c -> utf8(c.with("cardToken", "null")
                            .replace("\"cardToken\":null,", "\"pan\":\"4111111111111112\","))),
            // Oversized records and fields.
            new Kind("oversized-record", Expect.DLQ, c -> {
                StringBuilder pad = new StringBuilder();
                int size = 70_000 + c.random.nextInt(600_000);
                while (pad.length() < size) {
                    pad.append(" card ").append(c.pan).append(" \\u0000 \u00e9\u20ac\"\\\\");
                }
                return utf8(c.with("note", "\"" + pad + "\""));
            }),
            new Kind("huge-field", Expect.DLQ, c -> utf8(c.with("deviceId", "\"" + "d".repeat(20_000) + "\""))),
            new Kind("long-number", Expect.DLQ, c -> utf8(c.with("amount", "1" + "0".repeat(3_000)))),
            // Time edges.
            new Kind("time-long-max", Expect.DLQ, c -> utf8(c.with("eventTime", Long.toString(Long.MAX_VALUE)))),
            new Kind("time-long-min", Expect.DLQ, c -> utf8(c.with("eventTime", Long.toString(Long.MIN_VALUE)))),
            new Kind("time-zero", Expect.DLQ, c -> utf8(c.with("eventTime", "0"))),
            new Kind("time-beyond-long", Expect.DLQ, c -> utf8(c.with("eventTime", "92233720368547758070"))),
            new Kind("time-huge-year", Expect.DLQ, c -> utf8(c.with("eventTime", "\"+1000000000-12-31T23:59:59Z\""))),
            new Kind("time-epoch-seconds", Expect.DLQ, c -> utf8(c.with("eventTime", Long.toString(c.now / 1000)))),
            new Kind("time-epoch-micros", Expect.DLQ, c -> utf8(c.with("eventTime", Long.toString(c.now * 1000)))),
            new Kind(
                    "time-far-future",
                    Expect.DLQ,
                    c -> utf8(c.with("eventTime", Long.toString(c.now + 365L * 86_400_000)))),
            new Kind("time-hour-ahead", Expect.DLQ, c -> utf8(c.with("eventTime", Long.toString(c.now + 3_600_000)))),
            new Kind("time-fraction", Expect.DLQ, c -> utf8(c.with("eventTime", c.now + ".5"))),
            // Numeric edges.
            new Kind("amount-huge-exponent", Expect.DLQ, c -> utf8(c.with("amount", "1e999999999"))),
            new Kind("amount-tiny-exponent", Expect.DLQ, c -> utf8(c.with("amount", "\"1e-999999999\""))),
            new Kind("amount-many-decimals", Expect.DLQ, c -> utf8(c.with("amount", "0." + "0".repeat(60) + "1"))),
            new Kind("amount-nan", Expect.DLQ, c -> utf8(c.with("amount", "\"NaN\""))),
            new Kind("amount-negative", Expect.DLQ, c -> utf8(c.with("amount", "-0.01"))),
            new Kind("amount-too-large", Expect.DLQ, c -> utf8(c.with("amount", "1000000000000"))),
            new Kind("amount-five-decimals", Expect.DLQ, c -> utf8(c.with("amount", "1.00001"))),
            new Kind("lat-infinite", Expect.DLQ, c -> utf8(c.with("lat", "1e400"))),
            // Card numbers in every field and form.
            new Kind("pan-in-cardToken", Expect.DLQ, c -> utf8(c.with("cardToken", "\"" + c.pan + "\""))),
            new Kind("pan-in-bin", Expect.DLQ, c -> utf8(c.with("bin", "\"" + c.pan + "\""))),
            new Kind(
                    "pan-dots-in-paymentId",
                    Expect.DLQ,
                    c -> utf8(c.with("paymentId", "\"" + c.panWith('.', 4) + "\""))),
            new Kind(
                    "pan-slashes-in-customerId",
                    Expect.DLQ,
                    c -> utf8(c.with("customerId", "\"" + c.panWith('/', 4) + "\""))),
            new Kind(
                    "pan-double-spaces-in-merchantId",
                    Expect.DLQ,
                    c -> utf8(c.with("merchantId", "\"" + c.panWith(' ', 2).replace(" ", "  ") + "\""))),
            new Kind(
                    "pan-full-width-in-deviceId",
                    Expect.DLQ,
                    c -> utf8(c.with("deviceId", "\"" + c.fullWidthPan() + "\""))),
            new Kind(
                    "pan-escaped-in-terminalId",
                    Expect.DLQ,
                    c -> utf8(c.with("terminalId", "\"" + c.escapedPan() + "\""))),
            new Kind("pan-in-longer-run-eventId", Expect.DLQ, c -> utf8(c.with("eventId", "\"00" + c.pan + "00\""))),
            new Kind("pan-dashes-in-ip", Expect.DLQ, c -> utf8(c.with("ip", "\"" + c.panWith('-', 4) + "\""))),
            new Kind("pan-number-in-customerId", Expect.DLQ, c -> utf8(c.with("customerId", c.pan))),
            new Kind(
                    "pan-in-malformed-note",
                    Expect.DLQ,
                    c -> utf8(c.payment()
                            .replace(
                                    "}",
                                    ",\"note\":\"" + c.panWith(' ', 4) + " " + c.escapedPan() + " "
                                            + c.fullWidthPan()))),
            // Odd but valid: decided.
            new Kind("amount-exponent", Expect.DECIDED, c -> utf8(c.with("amount", "1E+3"))),
            new Kind("amount-trailing-zeros", Expect.DECIDED, c -> utf8(c.with("amount", "12.300000"))),
            new Kind("unknown-fields", Expect.DECIDED, c -> utf8(c.with("note", "{\"nested\":[1,2,{\"x\":null}]}"))),
            new Kind(
                    "months-old",
                    Expect.DECIDED,
                    c -> utf8(c.with("eventTime", Long.toString(c.now - 90L * 86_400_000)))));

    /** Kinds of records that must be decided and would make the next one conflict with them. */
    private static final int DUPLICATE_EVERY = 25;

    private HostileRecords() {}

    public static int kinds() {
        return KINDS.size() + 2; // and the duplicate and conflicting events below
    }

    /**
     * {@code count} hostile records, every kind at least once, oversized ones rare (they are big);
     * every {@value #DUPLICATE_EVERY}th is a valid payment sent twice, or two conflicting payments
     * under one {@code paymentId} (another card and amount).
     */
    public static List<Hostile> generate(Random random, int count, long now) {
        List<Hostile> out = new ArrayList<>(count);
        int seq = 0;
        while (out.size() < count) {
            for (Kind k : KINDS) {
                if (out.size() >= count) {
                    break;
                }
                if (k.name().equals("oversized-record") && seq > KINDS.size() * 8) {
                    continue; // eight of them are enough to show the cap, and each is up to 700 KB
                }
                String id = "pay-hostile-" + (seq++);
                Ctx c = new Ctx(random, now, id);
                out.add(new Hostile(k.name(), k.make().apply(c), k.expect(), k.expect() == Expect.DECIDED ? id : null));
                if (seq % DUPLICATE_EVERY == 0 && out.size() + 2 <= count) {
                    String dup = "pay-hostile-" + (seq++);
                    Ctx d = new Ctx(random, now, dup);
                    byte[] once = utf8(d.payment());
                    if (random.nextBoolean()) {
                        out.add(new Hostile("duplicate", once, Expect.DECIDED, dup));
                        out.add(new Hostile("duplicate", once, Expect.DECIDED, dup));
                    } else {
                        out.add(new Hostile("conflicting", once, Expect.DECIDED, dup));
                        out.add(new Hostile(
                                "conflicting", utf8(d.payment(d.time(), "9999.99", "")), Expect.DECIDED, dup));
                    }
                }
            }
        }
        return out;
    }
}
