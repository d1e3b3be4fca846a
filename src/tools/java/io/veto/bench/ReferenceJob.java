package io.veto.bench;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.veto.event.CardTokenizer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.tuple.Tuple4;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The benchmark's yardstick: the smallest Flink job a payment engineer would write by hand for
 * the same topic, run on the same broker, backlog, state backend and checkpoints as Veto, so that
 * every benchmark run can print Veto ÷ reference. Not shipped as a product: it decides nothing
 * useful. Per payment it parses the JSON into a tree (Jackson), tokenizes the PAN (HMAC, as any
 * job must before keying or storing it), keys by card, keeps a 10-minute count in a {@link MapState}
 * (one entry per event, expired on read) and a running average in a {@link ValueState}, and writes a
 * small JSON answer keyed by paymentId. Its decision is on arrival: no watermark wait.
 */
final class ReferenceJob {
    static final long WINDOW_MILLIS = Duration.ofMinutes(10).toMillis();

    private ReferenceJob() {}

    /** Settings of one run of the reference job. */
    record Settings(
            String bootstrapServers,
            String paymentsTopic,
            String outTopic,
            String groupId,
            boolean fromLatest,
            int parallelism,
            Duration bufferTimeout,
            Duration producerLinger,
            Duration checkpointInterval,
            byte[] panKey) {}

    /** Adds the reference job to {@code env}. */
    static void build(StreamExecutionEnvironment env, Settings s) {
        env.setParallelism(s.parallelism());
        env.setBufferTimeout(s.bufferTimeout().toMillis());
        env.enableCheckpointing(s.checkpointInterval().toMillis());
        KafkaSource<Tuple4<String, String, Long, Long>> source =
                KafkaSource.<Tuple4<String, String, Long, Long>>builder()
                        .setBootstrapServers(s.bootstrapServers())
                        .setTopics(s.paymentsTopic())
                        .setGroupId(s.groupId())
                        .setStartingOffsets(
                                s.fromLatest() ? OffsetsInitializer.latest() : OffsetsInitializer.earliest())
                        .setDeserializer(new Parse(s.panKey()))
                        .setProperty("fetch.max.wait.ms", "5")
                        .build();
        Properties producer = new Properties();
        producer.setProperty("linger.ms", Long.toString(s.producerLinger().toMillis()));
        producer.setProperty("acks", "all");
        producer.setProperty("enable.idempotence", "true");
        producer.setProperty("compression.type", "lz4");
        KafkaSink<Tuple2<String, byte[]>> sink = KafkaSink.<Tuple2<String, byte[]>>builder()
                .setBootstrapServers(s.bootstrapServers())
                .setRecordSerializer(new Out(s.outTopic()))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .setKafkaProducerConfig(producer)
                .build();
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "reference payments")
                .uid("reference-source")
                .keyBy(t -> t.f1, Types.STRING)
                .process(new CountAndAverage())
                .uid("reference-count")
                .name("reference 10-minute count + average")
                .sinkTo(sink)
                .uid("reference-sink");
    }

    /** JSON tree parse of a payments-topic record: (paymentId, card token, event time, amount in cents); other types are skipped. */
    static final class Parse implements KafkaRecordDeserializationSchema<Tuple4<String, String, Long, Long>> {
        private static final long serialVersionUID = 1L;
        private final byte[] panKey;
        private transient ObjectMapper json;
        private transient CardTokenizer tokenizer;

        Parse(byte[] panKey) {
            this.panKey = panKey.clone();
        }

        @Override
        public void open(DeserializationSchema.InitializationContext context) {
            json = new ObjectMapper();
            tokenizer = new CardTokenizer(panKey);
        }

        @Override
        public void deserialize(
                ConsumerRecord<byte[], byte[]> record, Collector<Tuple4<String, String, Long, Long>> out) {
            JsonNode n;
            try {
                n = json.readTree(record.value());
            } catch (IOException e) {
                return; // the reference has no DLQ: a bad record is skipped
            }
            if (n == null || !"PAYMENT".equals(n.path("type").asText())) {
                return;
            }
            JsonNode pan = n.get("pan");
            String card = pan != null
                    ? tokenizer.token(CardTokenizer.normalize(pan.asText()))
                    : n.path("cardToken").asText();
            long cents = n.path("amount").decimalValue().movePointRight(2).longValue();
            JsonNode t = n.path("eventTime");
            long time = t.isNumber() ? t.asLong() : Instant.parse(t.asText()).toEpochMilli();
            out.collect(Tuple4.of(n.path("paymentId").asText(), card, time, cents));
        }

        @Override
        public TypeInformation<Tuple4<String, String, Long, Long>> getProducedType() {
            return Types.TUPLE(Types.STRING, Types.STRING, Types.LONG, Types.LONG);
        }
    }

    /** A card's payments of the last 10 minutes (event time -> count) and its running average amount. */
    static final class CountAndAverage
            extends KeyedProcessFunction<String, Tuple4<String, String, Long, Long>, Tuple2<String, byte[]>> {
        private static final JsonFactory JSON = new JsonFactory();
        private transient MapState<Long, Long> recent;
        private transient ValueState<Tuple2<Long, Long>> sumAndCount;

        @Override
        public void open(OpenContext ctx) {
            recent = getRuntimeContext().getMapState(new MapStateDescriptor<>("recent", Types.LONG, Types.LONG));
            sumAndCount = getRuntimeContext()
                    .getState(new ValueStateDescriptor<>("sum-count", Types.TUPLE(Types.LONG, Types.LONG)));
        }

        @Override
        public void processElement(
                Tuple4<String, String, Long, Long> p, Context ctx, Collector<Tuple2<String, byte[]>> out)
                throws Exception {
            long time = p.f2;
            Long same = recent.get(time);
            recent.put(time, same == null ? 1L : same + 1);
            long count = 0;
            for (Iterator<Map.Entry<Long, Long>> it = recent.iterator(); it.hasNext(); ) {
                Map.Entry<Long, Long> e = it.next();
                if (e.getKey() <= time - WINDOW_MILLIS) {
                    it.remove();
                } else {
                    count += e.getValue();
                }
            }
            Tuple2<Long, Long> sc = sumAndCount.value();
            sc = sc == null ? Tuple2.of(p.f3, 1L) : Tuple2.of(sc.f0 + p.f3, sc.f1 + 1);
            sumAndCount.update(sc);
            double average = sc.f0 / 100.0 / sc.f1;
            String decision = count > 5 || p.f3 / 100.0 > 10 * average ? "REVIEW" : "APPROVE";
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
            try (JsonGenerator g = JSON.createGenerator(bytes, JsonEncoding.UTF8)) {
                g.writeStartObject();
                g.writeStringField("paymentId", p.f0);
                g.writeStringField("decision", decision);
                g.writeNumberField("count10m", count);
                g.writeNumberField("averageAmount", average);
                g.writeEndObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            out.collect(Tuple2.of(p.f0, bytes.toByteArray()));
        }
    }

    /** Writes an answer keyed by its paymentId, as Veto writes decisions. */
    static final class Out implements KafkaRecordSerializationSchema<Tuple2<String, byte[]>> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        Out(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(
                Tuple2<String, byte[]> r, KafkaSinkContext ctx, Long timestamp) {
            return new ProducerRecord<>(topic, r.f0.getBytes(StandardCharsets.UTF_8), r.f1);
        }
    }
}
