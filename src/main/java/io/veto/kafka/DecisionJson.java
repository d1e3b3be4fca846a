package io.veto.kafka;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.veto.decision.Decision;
import io.veto.decision.Outcome;
import io.veto.decision.Reason;
import io.veto.decision.ShadowResult;
import io.veto.event.DlqRecord;
import io.veto.sequence.Alert;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/**
 * The JSON forms of the decisions and DLQ topics (see the README's field tables), written with a
 * streaming generator so a decision costs no intermediate tree, and read back for tests and tools.
 * A decision is written for every payment: each thread reuses one generator and buffer, and times
 * and whole-number features are formatted without the general-purpose formatters (same text).
 */
public final class DecisionJson {
    private static final JsonFactory FACTORY = new JsonFactory();
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private DecisionJson() {}

    public static byte[] write(Decision d) {
        Writer w = WRITERS.get();
        try {
            return w.write(d);
        } catch (IOException | RuntimeException e) {
            // The generator may be mid-object: the next decision gets a fresh one.
            WRITERS.remove();
            if (e instanceof IOException io) {
                throw new UncheckedIOException(io);
            }
            throw (RuntimeException) e;
        }
    }

    /** No separator between root values: one generator writes decision after decision, each its own array. */
    private static final JsonFactory REUSABLE =
            new JsonFactoryBuilder().rootValueSeparator((String) null).build();

    private static final ThreadLocal<Writer> WRITERS = ThreadLocal.withInitial(Writer::new);

    /**
     * One thread's generator and buffer, reused from decision to decision (a decision is written on
     * the sink's thread for every payment), and the date part of the last day it formatted.
     */
    private static final class Writer {
        private final ByteArrayBuilder buffer = new ByteArrayBuilder(8192);
        private final JsonGenerator g;
        private final char[] time = new char[24];
        private long day = Long.MIN_VALUE;

        Writer() {
            try {
                g = REUSABLE.createGenerator(buffer, JsonEncoding.UTF8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        byte[] write(Decision d) throws IOException {
            buffer.reset();
            g.writeStartObject();
            g.writeStringField("paymentId", d.paymentId());
            g.writeStringField("eventId", d.eventId());
            g.writeStringField("decision", d.decision().name());
            g.writeNumberField("score", d.score());
            writeReasons(g, "reasons", d.reasons());
            g.writeStringField("ruleSetVersion", d.ruleSetVersion());
            if (d.shadow() == null) {
                g.writeNullField("shadow");
            } else {
                g.writeObjectFieldStart("shadow");
                g.writeStringField("decision", d.shadow().decision());
                g.writeNumberField("score", d.shadow().score());
                writeReasons(g, "reasons", d.shadow().reasons());
                g.writeEndObject();
            }
            writeInstant("eventTime", d.eventTime());
            writeInstant("decidedAt", d.decidedAt());
            g.writeBooleanField("late", d.late());
            if (d.cardToken() != null) {
                g.writeStringField("cardToken", d.cardToken());
            }
            if (d.cardBin() != null) {
                g.writeStringField("cardBin", d.cardBin());
            }
            if (d.cardLast4() != null) {
                g.writeStringField("cardLast4", d.cardLast4());
            }
            g.writeObjectFieldStart("features");
            for (int i = 0; i < d.featureNames().length; i++) {
                g.writeFieldName(d.featureNames()[i]);
                writeDouble(d.featureValues()[i]);
            }
            g.writeEndObject();
            g.writeEndObject();
            g.flush();
            return buffer.toByteArray();
        }

        /** As {@code Instant.toString()} writes a millisecond instant; that for years outside 0-9999. */
        private void writeInstant(String field, long millis) throws IOException {
            g.writeFieldName(field);
            if (millis < MIN_FAST || millis > MAX_FAST) {
                g.writeString(Instant.ofEpochMilli(millis).toString());
                return;
            }
            long d = Math.floorDiv(millis, DAY);
            if (d != day) {
                String date = LocalDate.ofEpochDay(d).toString();
                date.getChars(0, 10, time, 0);
                time[10] = 'T';
                day = d;
            }
            int ms = (int) (millis - d * DAY);
            int sec = ms / 1000;
            two(time, 11, sec / 3600);
            time[13] = ':';
            two(time, 14, sec / 60 % 60);
            time[16] = ':';
            two(time, 17, sec % 60);
            int frac = ms % 1000;
            if (frac == 0) {
                time[19] = 'Z';
                g.writeString(time, 0, 20);
            } else {
                time[19] = '.';
                time[20] = (char) ('0' + frac / 100);
                time[21] = (char) ('0' + frac / 10 % 10);
                time[22] = (char) ('0' + frac % 10);
                time[23] = 'Z';
                g.writeString(time, 0, 24);
            }
        }

        /** As Jackson writes a double ({@code Double.toString}), with a shortcut for whole numbers (counts). */
        private void writeDouble(double v) throws IOException {
            long l = (long) v;
            if (l == v && Math.abs(l) < 10_000_000L && (l != 0 || Double.doubleToRawLongBits(v) == 0L)) {
                g.writeNumber(l + ".0");
            } else {
                g.writeNumber(v);
            }
        }
    }

    private static final long DAY = 86_400_000L;
    /** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: Instant.toString writes four-digit years between. */
    private static final long MIN_FAST = -62_167_219_200_000L;

    private static final long MAX_FAST = 253_402_300_799_999L;

    private static void two(char[] c, int at, int v) {
        c[at] = (char) ('0' + v / 10);
        c[at + 1] = (char) ('0' + v % 10);
    }

    private static void writeReasons(JsonGenerator g, String field, Reason[] reasons) throws IOException {
        g.writeArrayFieldStart(field);
        for (Reason r : reasons) {
            g.writeStartObject();
            g.writeStringField("ruleId", r.ruleId());
            g.writeNumberField("points", r.points());
            if (r.outcome() != null) {
                g.writeStringField("outcome", r.outcome());
            }
            g.writeStringField("detail", r.detail());
            if (r.events() != null) {
                g.writeArrayFieldStart("events");
                for (String e : r.events()) {
                    g.writeString(e);
                }
                g.writeEndArray();
            }
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /** An entity alert as its JSON on the alerts topic. */
    public static byte[] write(Alert a) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try (JsonGenerator g = FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("alertId", a.alertId());
            g.writeStringField("alert", a.alert());
            g.writeStringField("ruleId", a.ruleId());
            g.writeStringField("entity", a.entity());
            g.writeStringField("entityKey", a.entityKey());
            g.writeArrayFieldStart("events");
            for (String e : a.eventIds()) {
                g.writeString(e);
            }
            g.writeEndArray();
            g.writeStringField(
                    "firstEventTime", Instant.ofEpochMilli(a.firstEventTime()).toString());
            g.writeStringField(
                    "lastEventTime", Instant.ofEpochMilli(a.lastEventTime()).toString());
            g.writeStringField(
                    "detectedAt", Instant.ofEpochMilli(a.detectedAt()).toString());
            g.writeStringField("ruleSetVersion", a.ruleSetVersion());
            if (a.decidedPaymentId() != null) {
                g.writeStringField("paymentId", a.decidedPaymentId());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Reads an alert back (tests, tools). */
    public static Alert readAlert(byte[] json) {
        try {
            JsonNode n = MAPPER.readTree(json);
            List<String> events = new ArrayList<>();
            n.get("events").forEach(e -> events.add(e.asText()));
            return new Alert(
                    n.get("alertId").asText(),
                    n.get("alert").asText(),
                    n.get("ruleId").asText(),
                    n.get("entity").asText(),
                    n.get("entityKey").asText(),
                    events.toArray(new String[0]),
                    Instant.parse(n.get("firstEventTime").asText()).toEpochMilli(),
                    Instant.parse(n.get("lastEventTime").asText()).toEpochMilli(),
                    Instant.parse(n.get("detectedAt").asText()).toEpochMilli(),
                    n.get("ruleSetVersion").asText(),
                    n.hasNonNull("paymentId") ? n.get("paymentId").asText() : null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] write(DlqRecord r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + r.payload().length());
        try (JsonGenerator g = FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("error", r.error());
            g.writeStringField("sourceTopic", r.sourceTopic());
            g.writeNumberField("sourcePartition", r.sourcePartition());
            g.writeNumberField("sourceOffset", r.sourceOffset());
            g.writeStringField(
                    "sourceTimestamp", Instant.ofEpochMilli(r.sourceTimestamp()).toString());
            g.writeStringField("payload", r.payload());
            g.writeNumberField("payloadBytes", r.payloadBytes());
            g.writeBooleanField("payloadCut", r.payloadCut());
            g.writeStringField(
                    "rejectedAt", Instant.ofEpochMilli(r.rejectedAt()).toString());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Reads a decision back (tests, tools); {@code decidedAt} and {@code eventTime} as ISO text. */
    public static Decision read(byte[] json) {
        try {
            JsonNode n = MAPPER.readTree(json);
            JsonNode shadow = n.get("shadow");
            return new Decision(
                    n.get("paymentId").asText(),
                    n.get("eventId").asText(),
                    Outcome.valueOf(n.get("decision").asText()),
                    n.get("score").asInt(),
                    reasons(n.get("reasons")),
                    n.get("ruleSetVersion").asText(),
                    shadow == null || shadow.isNull()
                            ? null
                            : new ShadowResult(
                                    shadow.get("decision").asText(),
                                    shadow.get("score").asInt(),
                                    reasons(shadow.get("reasons"))),
                    Instant.parse(n.get("eventTime").asText()).toEpochMilli(),
                    Instant.parse(n.get("decidedAt").asText()).toEpochMilli(),
                    n.get("late").asBoolean(),
                    n.hasNonNull("cardToken") ? n.get("cardToken").asText() : null,
                    n.hasNonNull("cardBin") ? n.get("cardBin").asText() : null,
                    n.hasNonNull("cardLast4") ? n.get("cardLast4").asText() : null,
                    featureNames(n.get("features")),
                    featureValues(n.get("features")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String[] featureNames(JsonNode features) {
        List<String> names = new ArrayList<>();
        if (features != null) {
            features.fieldNames().forEachRemaining(names::add);
        }
        return names.toArray(new String[0]);
    }

    private static double[] featureValues(JsonNode features) {
        List<Double> values = new ArrayList<>();
        if (features != null) {
            features.elements().forEachRemaining(v -> values.add(v.asDouble()));
        }
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static String[] eventIds(JsonNode arr) {
        List<String> ids = new ArrayList<>();
        arr.forEach(e -> ids.add(e.asText()));
        return ids.toArray(new String[0]);
    }

    private static Reason[] reasons(JsonNode arr) {
        List<Reason> out = new ArrayList<>();
        for (JsonNode r : arr) {
            out.add(new Reason(
                    r.get("ruleId").asText(),
                    r.get("points").asInt(),
                    r.hasNonNull("outcome") ? r.get("outcome").asText() : null,
                    r.get("detail").asText(),
                    r.hasNonNull("events") ? eventIds(r.get("events")) : null));
        }
        return out.toArray(new Reason[0]);
    }
}
