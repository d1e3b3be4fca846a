package io.veto.backtest;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.veto.event.EventParser;
import io.veto.event.EventType;
import io.veto.event.Ingested;
import io.veto.event.PanPolicy;
import io.veto.event.PaymentEvent;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Copies a time range of a payments topic into an events file for a backtest: the events whose
 * event time is in {@code [from, to)}, and the CHARGEBACKs after {@code to} that label them. Every
 * record is parsed by the job's parser and written back tokenized ({@code cardToken}, BIN, last
 * four), so no card number reaches the disk; records the job would reject are counted and left
 * out. Reading starts at the offsets of record time {@code from} (a record is written after its
 * event happens) and ends at the topic's end as it was when reading began. Each partition is kept
 * in its order (a card's events stay in order) and the partitions are merged by event time, so
 * the file is as nearly in event-time order as the topic's partitions are.
 */
public final class TopicHistory {
    private static final JsonFactory JSON = new JsonFactory();

    private TopicHistory() {}

    /** What was copied. */
    public record Dump(long kept, long skipped, long rejected, long laterChargebacks) {}

    /** The broker could not be reached or did not answer. */
    public static final class UnreachableException extends Exception {
        public UnreachableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public static Dump dump(
            String bootstrapServers,
            Path kafkaConfig,
            String topic,
            Instant from,
            Instant to,
            Path target,
            byte[] panKey)
            throws IOException, UnreachableException {
        if (!from.isBefore(to)) {
            throw new IllegalArgumentException("--from " + from + " must be before --to " + to);
        }
        Properties p = new Properties();
        if (kafkaConfig != null) {
            try (Reader r = Files.newBufferedReader(kafkaConfig)) {
                p.load(r);
            }
        }
        p.setProperty("bootstrap.servers", bootstrapServers);
        p.setProperty("enable.auto.commit", "false");
        p.setProperty("isolation.level", "read_committed");
        p.setProperty("max.poll.records", "5000");
        EventParser parser = new EventParser(
                panKey == null ? PanPolicy.REJECT : PanPolicy.TOKENIZE, panKey, EventParser.DEFAULT_MAX_BYTES);
        long kept = 0;
        long skipped = 0;
        long rejected = 0;
        long laterChargebacks = 0;
        Map<Integer, OutputStream> parts = new HashMap<>();
        Path partDir = Files.createTempDirectory(target.toAbsolutePath().getParent(), ".topic-parts");
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos;
            try {
                infos = consumer.partitionsFor(topic, Duration.ofSeconds(15));
            } catch (TimeoutException e) {
                throw new UnreachableException("Kafka at " + bootstrapServers + " did not answer within 15 s", e);
            }
            if (infos == null || infos.isEmpty()) {
                throw new IllegalArgumentException("no topic '" + topic + "' at " + bootstrapServers);
            }
            List<TopicPartition> partitions = infos.stream()
                    .map(i -> new TopicPartition(topic, i.partition()))
                    .toList();
            consumer.assign(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(15));
            Map<TopicPartition, Long> query = new HashMap<>();
            partitions.forEach(tp -> query.put(tp, from.toEpochMilli()));
            Map<TopicPartition, OffsetAndTimestamp> start = consumer.offsetsForTimes(query, Duration.ofSeconds(15));
            for (TopicPartition tp : partitions) {
                OffsetAndTimestamp o = start.get(tp);
                consumer.seek(tp, o == null ? end.get(tp) : o.offset());
            }
            long fromMs = from.toEpochMilli();
            long toMs = to.toEpochMilli();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) {
                        continue;
                    }
                    Ingested in = EventFileSource.parse(
                            parser, topic, r.offset(), r.value() == null ? new byte[0] : r.value());
                    PaymentEvent e = in.event();
                    if (e == null) {
                        if (panKey == null && in.rejected().error().contains("raw PAN")) {
                            throw new IllegalArgumentException(
                                    "the topic's events carry raw card numbers (" + topic + " offset " + r.offset()
                                            + "): set VETO_PAN_KEY or VETO_PAN_KEY_FILE to the job's key, so cards get the job's tokens");
                        }
                        rejected++;
                        continue;
                    }
                    boolean inRange = e.eventTime() >= fromMs && e.eventTime() < toMs;
                    boolean label = e.eventTime() >= toMs && e.type() == EventType.CHARGEBACK;
                    if (inRange || label) {
                        OutputStream out = parts.get(r.partition());
                        if (out == null) {
                            out = new BufferedOutputStream(
                                    Files.newOutputStream(partDir.resolve(Integer.toString(r.partition()))), 1 << 16);
                            parts.put(r.partition(), out);
                        }
                        out.write(Long.toString(e.eventTime()).getBytes(StandardCharsets.US_ASCII));
                        out.write('\t');
                        out.write(write(e));
                        out.write('\n');
                        kept++;
                        laterChargebacks += label ? 1 : 0;
                    } else {
                        skipped++;
                    }
                }
            }
            for (OutputStream out : parts.values()) {
                out.close();
            }
            merge(partDir, target);
        } finally {
            for (OutputStream out : parts.values()) {
                out.close();
            }
            try (var files = Files.list(partDir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(partDir);
        }
        return new Dump(kept, skipped, rejected, laterChargebacks);
    }

    /** Merges the partitions' {@code time<TAB>json} lines by time, each partition in its own order. */
    private static void merge(Path partDir, Path target) throws IOException {
        PriorityQueue<Head> heads = new PriorityQueue<>(Comparator.comparingLong(Head::time));
        List<BufferedReader> readers = new ArrayList<>();
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(target), 1 << 16);
                var files = Files.list(partDir)) {
            for (Path f : files.sorted().toList()) {
                BufferedReader in = Files.newBufferedReader(f, StandardCharsets.UTF_8);
                readers.add(in);
                Head h = next(in);
                if (h != null) {
                    heads.add(h);
                }
            }
            while (!heads.isEmpty()) {
                Head h = heads.poll();
                out.write(h.json().getBytes(StandardCharsets.UTF_8));
                out.write('\n');
                Head n = next(h.in());
                if (n != null) {
                    heads.add(n);
                }
            }
        } finally {
            for (BufferedReader in : readers) {
                in.close();
            }
        }
    }

    /** A partition's next line: its event time, its JSON, and the partition's reader. */
    private record Head(long time, String json, BufferedReader in) {}

    private static Head next(BufferedReader in) throws IOException {
        String line = in.readLine();
        if (line == null) {
            return null;
        }
        int tab = line.indexOf('\t');
        return new Head(Long.parseLong(line.substring(0, tab)), line.substring(tab + 1), in);
    }

    /** An event in the topic format, tokenized: what the parser read, nothing else. */
    static byte[] write(PaymentEvent e) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(400);
        try (JsonGenerator g = JSON.createGenerator(bytes, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("eventId", e.eventId());
            g.writeStringField("type", e.type().name());
            field(g, "paymentId", e.paymentId());
            g.writeNumberField("eventTime", e.eventTime());
            field(g, "cardToken", e.cardToken());
            field(g, "bin", e.bin());
            field(g, "last4", e.last4());
            field(g, "customerId", e.customerId());
            field(g, "merchantId", e.merchantId());
            field(g, "mcc", e.mcc());
            field(g, "terminalId", e.terminalId());
            if (e.amount() != null) {
                g.writeFieldName("amount");
                g.writeNumber(e.amount());
            }
            field(g, "currency", e.currency());
            field(g, "country", e.country());
            field(g, "ip", e.ip());
            field(g, "deviceId", e.deviceId());
            field(g, "channel", e.channel());
            if (e.lat() != null) {
                g.writeNumberField("lat", e.lat());
            }
            if (e.lon() != null) {
                g.writeNumberField("lon", e.lon());
            }
            g.writeEndObject();
        }
        return bytes.toByteArray();
    }

    private static void field(JsonGenerator g, String name, String value) throws IOException {
        if (value != null) {
            g.writeStringField(name, value);
        }
    }
}
