package io.veto.generator;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.Iterator;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * An endless, deterministic stream of realistic card-payment events with labelled fraud injected:
 * the test traffic for the local demo, the integration tests, benchmarks and backtests.
 *
 * <p>The stream is drawn from a synthetic world built from the config's seed: cards (Luhn-valid
 * PANs on per-country BINs) held by customers with a home city, devices and IPs, a spending profile
 * (log-normal tickets around a per-card median of 10 to 150 EUR) and the handful of merchants they
 * use; merchants with a category code, a country, a location and terminals. Each event is
 * <ul>
 *   <li>a genuine PAYMENT (busy cards more often, mostly at the card's usual merchants, POS or
 *       ECOM), or
 *   <li>a PAYMENT of a fraud scenario, each a burst on one card, interleaved in event time with the
 *       rest: {@code card_testing} (4-8 probes of 0.50-1.99 at distinct, mostly digital-goods
 *       merchants, then one 400-1500 EUR purchase, all within ~8 minutes), {@code velocity_burst}
 *       (8-15 moderate payments within 2-9.5 minutes) or {@code amount_anomaly} (one payment of
 *       10-30x the card's usual median at a merchant the cardholder never uses); such scenarios
 *       make up {@link GeneratorConfig#fraudRate()} of the payments, or
 *   <li>a REFUND / REVERSAL / CHARGEBACK of an earlier payment (same PAN, merchant, currency and
 *       amount; a refund may be partial; chargebacks favour fraud payments), or
 *   <li>a LOGIN / PASSWORD_RESET / DEVICE_CHANGE of a customer.
 * </ul>
 *
 * <p>Event time comes from a simulated clock starting at {@link GeneratorConfig#startTime()} and
 * advancing by an exponentially distributed gap of mean {@link GeneratorConfig#meanGapMicros()}
 * per event, or, with {@link GeneratorConfig#liveClock()}, from the wall clock at generation. Event
 * times never decrease, so they never decrease per card key either. The Kafka key is the card's
 * opaque id, never the PAN.
 *
 * <p>JSON is written with one reused Jackson {@link JsonGenerator}: well over 200k events/s on one
 * thread. Not thread-safe; the generator never logs anything (the JSON holds raw PANs).
 */
public final class PaymentGenerator implements Iterator<GeneratedEvent> {

    private static final long SECOND = 1_000_000L; // micros
    private static final long MINUTE = 60 * SECOND;
    private static final DateTimeFormatter WIDE_YEARS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final GeneratorConfig config;
    private final World world;
    private final SplittableRandom rng;
    private final Clock liveClock;
    private final String eventPrefix;
    private final String paymentPrefix;

    private long clockMicros;
    private long lastMicros = Long.MIN_VALUE;
    private long eventSeq;
    private long paymentSeq;

    private final PriorityQueue<Pending> pending =
            new PriorityQueue<>(Comparator.comparingLong((Pending p) -> p.due).thenComparingLong(p -> p.order));
    private long pendingOrder;
    private final long[] cardBusyUntil;

    private final Paid[] recent = new Paid[8192];
    private long recentCount;
    private final Paid[] recentFraud = new Paid[1024];
    private long recentFraudCount;

    private final double creditPerGenuine;
    private double fraudCredit;
    private String nextScenario;
    private int nextScenarioSize;
    private double nextScenarioThreshold;

    private final ByteArrayBuilder out = new ByteArrayBuilder(512);
    private final JsonGenerator json;
    private final char[] timeChars = new char[24];
    private long cachedDay = Long.MIN_VALUE;

    public PaymentGenerator(GeneratorConfig config) {
        this.config = config;
        this.world = new World(config);
        this.rng = new SplittableRandom(config.seed() * 0x9E3779B97F4A7C15L + 0x5EED);
        this.liveClock = config.liveClock();
        String run = config.runId().isEmpty() ? "" : config.runId() + "-";
        this.eventPrefix = "evt-" + run;
        this.paymentPrefix = "pay-" + run;
        Instant start = config.startTime();
        this.clockMicros = Math.multiplyExact(start.getEpochSecond(), SECOND) + start.getNano() / 1_000;
        this.cardBusyUntil = new long[world.cards.length];
        java.util.Arrays.fill(cardBusyUntil, Long.MIN_VALUE);
        double f = config.fraudRate();
        this.creditPerGenuine = f / (1 - f);
        planNextScenario();
        JsonFactory factory = new JsonFactoryBuilder().rootValueSeparator((String) null).build();
        try {
            this.json = factory.createGenerator(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public GeneratorConfig config() {
        return config;
    }

    /** Always true: the stream is endless. */
    @Override
    public boolean hasNext() {
        return true;
    }

    @Override
    public GeneratedEvent next() {
        long now = tick();
        Pending head = pending.peek();
        if (head != null && head.due <= now) {
            return emit(pending.poll(), now);
        }
        double u = rng.nextDouble();
        if (u < config.accountEventShare()) {
            return accountEvent(now);
        }
        u -= config.accountEventShare();
        if (u < config.refundShare()) {
            GeneratedEvent e = refundOrReversal(now);
            if (e != null) {
                return e;
            }
        } else if (u - config.refundShare() < config.chargebackShare()) {
            GeneratedEvent e = chargeback(now);
            if (e != null) {
                return e;
            }
        }
        if (config.fraudRate() > 0 && fraudCredit >= nextScenarioThreshold) {
            startScenario(now);
            return emit(pending.poll(), now);
        }
        return genuinePayment(now);
    }

    /** The usual (median) genuine ticket of a card, in its own currency; NaN for an unknown key. */
    double usualMedianAmount(String cardKey) {
        for (World.Card c : world.cards) {
            if (c.key.equals(cardKey)) {
                return c.medianHome();
            }
        }
        return Double.NaN;
    }

    World world() {
        return world;
    }

    // ---------------------------------------------------------------- clock

    private long tick() {
        long now;
        if (liveClock != null) {
            now = liveClock.millis() * 1_000L;
        } else {
            if (lastMicros != Long.MIN_VALUE) {
                clockMicros += (long) (-Math.log(1.0 - rng.nextDouble()) * config.meanGapMicros());
            }
            now = clockMicros;
        }
        if (now < lastMicros) {
            now = lastMicros;
        }
        lastMicros = now;
        return now;
    }

    // ---------------------------------------------------------------- genuine traffic

    private GeneratedEvent genuinePayment(long now) {
        World.Card card = world.pickCard(rng);
        boolean wantEcom = rng.nextDouble() < card.ecomShare;
        World.Merchant m = world.merchants[usualOrOccasional(card, wantEcom)];
        boolean ecom = channelIsEcom(m, wantEcom);
        double eur = card.medianEur * m.mcc.amountFactor() * Math.exp(card.sigma * rng.nextGaussian());
        eur = Math.max(1.0, Math.min(eur, 8 * card.medianEur));
        String currency = ecom ? card.currency : world.countries[m.country].currency();
        long cents = toCents(eur, currency.equals(card.currency) ? card.perEur : world.countries[m.country].perEur());
        String ip = null;
        String device = null;
        if (ecom) {
            World.Customer c = card.customer;
            device = c.devices[rng.nextInt(c.devices.length)];
            ip = rng.nextDouble() < 0.75 ? c.homeIp : c.mobileIp;
        }
        fraudCredit += creditPerGenuine;
        return payment(now, card, m, cents, currency, ecom, ip, device, null);
    }

    private int usualOrOccasional(World.Card card, boolean ecom) {
        int[] usual = ecom ? card.usualEcom : card.usualPos;
        int[] occasional = ecom ? card.occasionalEcom : card.occasionalPos;
        if (usual.length == 0) {
            usual = ecom ? card.usualPos : card.usualEcom;
        }
        if (occasional.length == 0 || (usual.length > 0 && rng.nextDouble() < 0.85)) {
            double x = rng.nextDouble();
            return usual[(int) (usual.length * x * x)]; // the first usual merchant is the favourite
        }
        return occasional[rng.nextInt(occasional.length)];
    }

    private GeneratedEvent accountEvent(long now) {
        World.Card card = world.pickCard(rng);
        World.Customer c = card.customer;
        double r = rng.nextDouble();
        String type;
        String device;
        if (r < 0.75) {
            type = GeneratedEvent.LOGIN;
            device = c.devices[rng.nextInt(c.devices.length)];
        } else if (r < 0.85) {
            type = GeneratedEvent.PASSWORD_RESET;
            device = c.devices[rng.nextInt(c.devices.length)];
        } else {
            type = GeneratedEvent.DEVICE_CHANGE;
            device = World.newDeviceId(rng);
            c.devices[rng.nextInt(c.devices.length)] = device; // the new phone replaces an old one
        }
        String ip = rng.nextDouble() < 0.7 ? c.homeIp : c.mobileIp;
        String eventId = eventPrefix + (++eventSeq);
        long millis = Math.floorDiv(now, 1_000L);
        try {
            json.writeStartObject();
            json.writeStringField("eventId", eventId);
            json.writeStringField("type", type);
            json.writeFieldName("eventTime");
            writeTime(millis);
            json.writeStringField("customerId", c.id);
            json.writeStringField("deviceId", device);
            json.writeStringField("ip", ip);
            json.writeStringField("country", world.countries[c.country].code());
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new GeneratedEvent(c.primary.key, eventId, type, null, millis, null, finish());
    }

    // ---------------------------------------------------------------- refunds, reversals, chargebacks

    private GeneratedEvent refundOrReversal(long now) {
        boolean reversal = rng.nextDouble() < 0.35;
        Paid p = pickPaid(recent, recentCount, reversal ? 300 : recent.length);
        if (p == null) {
            return null;
        }
        long cents = p.cents;
        if (!reversal && rng.nextDouble() < 0.4 && cents > 1) {
            cents = Math.max(1, Math.min(cents - 1, Math.round(cents * (0.1 + 0.8 * rng.nextDouble()))));
        }
        return followUp(now, reversal ? GeneratedEvent.REVERSAL : GeneratedEvent.REFUND, p, cents);
    }

    private GeneratedEvent chargeback(long now) {
        Paid p = null;
        if (rng.nextDouble() < 0.6) {
            p = pickPaid(recentFraud, recentFraudCount, recentFraud.length);
        }
        if (p == null) {
            p = pickPaid(recent, recentCount, recent.length);
        }
        return p == null ? null : followUp(now, GeneratedEvent.CHARGEBACK, p, p.cents);
    }

    /** A recent payment not yet refunded, reversed or charged back, among the last {@code window}. */
    private Paid pickPaid(Paid[] ring, long count, int window) {
        int n = (int) Math.min(Math.min(count, ring.length), window);
        if (n == 0) {
            return null;
        }
        for (int attempt = 0; attempt < 8; attempt++) {
            long seq = count - 1 - rng.nextInt(n);
            Paid p = ring[(int) (seq % ring.length)];
            if (!p.followedUp) {
                p.followedUp = true;
                return p;
            }
        }
        return null;
    }

    private GeneratedEvent followUp(long now, String type, Paid p, long cents) {
        String eventId = eventPrefix + (++eventSeq);
        long millis = Math.floorDiv(now, 1_000L);
        World.Merchant m = p.merchant;
        try {
            json.writeStartObject();
            json.writeStringField("eventId", eventId);
            json.writeStringField("type", type);
            json.writeStringField("paymentId", p.paymentId);
            json.writeFieldName("eventTime");
            writeTime(millis);
            json.writeStringField("pan", p.card.pan);
            json.writeStringField("customerId", p.card.customer.id);
            json.writeStringField("merchantId", m.id);
            json.writeStringField("mcc", m.mcc.code());
            json.writeFieldName("amount");
            json.writeNumber(BigDecimal.valueOf(cents, 2));
            json.writeStringField("currency", p.currency);
            json.writeStringField("country", world.countries[m.country].code());
            json.writeStringField("channel", p.ecom ? "ECOM" : "POS");
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new GeneratedEvent(p.card.key, eventId, type, p.paymentId, millis, null, finish());
    }

    // ---------------------------------------------------------------- fraud scenarios

    private void planNextScenario() {
        double r = rng.nextDouble();
        if (r < 0.40) {
            nextScenario = GeneratedEvent.CARD_TESTING;
            nextScenarioSize = 4 + rng.nextInt(5) + 1; // probes + the big one
        } else if (r < 0.75) {
            nextScenario = GeneratedEvent.VELOCITY_BURST;
            nextScenarioSize = 8 + rng.nextInt(8);
        } else {
            nextScenario = GeneratedEvent.AMOUNT_ANOMALY;
            nextScenarioSize = 1;
        }
        // jittered start so scenarios are not evenly spaced; the credit keeps the long-run rate exact
        nextScenarioThreshold = nextScenarioSize * (0.25 + 1.5 * rng.nextDouble());
    }

    private void startScenario(long now) {
        World.Card card = victim(now);
        long end;
        switch (nextScenario) {
            case GeneratedEvent.CARD_TESTING -> end = cardTesting(now, card, nextScenarioSize - 1);
            case GeneratedEvent.VELOCITY_BURST -> end = velocityBurst(now, card, nextScenarioSize);
            default -> end = amountAnomaly(now, card);
        }
        // keep scenarios on one card apart, so each burst reads as one incident
        cardBusyUntil[card.index] = end + 30 * MINUTE;
        fraudCredit -= nextScenarioSize;
        planNextScenario();
    }

    /** A card to attack: stolen cards are any cards, not the busy ones; not one already under attack. */
    private World.Card victim(long now) {
        World.Card card = world.cards[rng.nextInt(world.cards.length)];
        for (int attempt = 0; attempt < 32 && cardBusyUntil[card.index] > now; attempt++) {
            card = world.cards[rng.nextInt(world.cards.length)];
        }
        return card;
    }

    private long cardTesting(long now, World.Card card, int probes) {
        String device = World.newDeviceId(rng);
        String ip = world.foreignIp(card.country, rng);
        int[] used = new int[probes + 1];
        long t = now;
        for (int i = 0; i < probes; i++) {
            int m = distinctMerchant(world.testingPool, used, i);
            used[i] = m;
            long cents = 50 + rng.nextInt(150); // 0.50 .. 1.99
            schedule(t, card, world.merchants[m], cents, card.currency, true, ip, device, GeneratedEvent.CARD_TESTING);
            t += 5 * SECOND + (long) (rng.nextDouble() * 40 * SECOND);
        }
        t += 25 * SECOND + (long) (rng.nextDouble() * 155 * SECOND);
        int big = distinctMerchant(world.bigTicketEcom, used, probes);
        long cents = toCents(400 + rng.nextDouble() * 1100, card.perEur);
        schedule(t, card, world.merchants[big], cents, card.currency, true, ip, device, GeneratedEvent.CARD_TESTING);
        return t;
    }

    private int distinctMerchant(int[] pool, int[] used, int usedCount) {
        int candidate = pool[rng.nextInt(pool.length)];
        for (int attempt = 0; attempt < 64; attempt++) {
            boolean seen = false;
            for (int i = 0; i < usedCount; i++) {
                if (used[i] == candidate) {
                    seen = true;
                    break;
                }
            }
            if (!seen) {
                return candidate;
            }
            candidate = (attempt < 32 ? pool : world.ecomAll)[rng.nextInt(attempt < 32 ? pool.length : world.ecomAll.length)];
        }
        return candidate;
    }

    private long velocityBurst(long now, World.Card card, int n) {
        long span = 2 * MINUTE + (long) (rng.nextDouble() * 7.5 * MINUTE);
        long[] offsets = new long[n];
        for (int i = 1; i < n; i++) {
            offsets[i] = (long) (rng.nextDouble() * span);
        }
        java.util.Arrays.sort(offsets);
        boolean online = rng.nextDouble() < 0.6;
        String device = online ? World.newDeviceId(rng) : null;
        String ip = online ? world.foreignIp(card.country, rng) : null;
        int[] pool;
        if (online) {
            pool = world.ecomAll;
        } else {
            // a cloned card cashed out in one city, usually abroad
            int city;
            int attempts = 0;
            do {
                city = rng.nextInt(world.cities.length);
            } while (attempts++ < 16 && (world.posByCity[city].length == 0
                    || (world.cityCountry[city] == card.country && rng.nextDouble() < 0.7)));
            pool = world.posByCity[city].length > 0 ? world.posByCity[city] : world.posAll;
        }
        double baseEur = 40 + rng.nextDouble() * 110;
        for (int i = 0; i < n; i++) {
            World.Merchant m = world.merchants[pool[rng.nextInt(pool.length)]];
            boolean ecom = channelIsEcom(m, online);
            String currency = ecom ? card.currency : world.countries[m.country].currency();
            double eur = Math.max(15, Math.min(400, baseEur * Math.exp(0.4 * rng.nextGaussian())));
            long cents = toCents(eur, ecom || currency.equals(card.currency) ? card.perEur
                    : world.countries[m.country].perEur());
            schedule(now + offsets[i], card, m, cents, currency, ecom, ip, device, GeneratedEvent.VELOCITY_BURST);
        }
        return now + offsets[n - 1];
    }

    private long amountAnomaly(long now, World.Card card) {
        World.Merchant m = null;
        for (int attempt = 0; attempt < 64 && m == null; attempt++) {
            int[] pool = rng.nextDouble() < 0.7 ? world.highRisk : world.ecomAll;
            World.Merchant candidate = world.merchants[pool[rng.nextInt(pool.length)]];
            boolean usable = candidate.ecom || candidate.country == card.country;
            if (usable && !card.knows(candidate.index)) {
                m = candidate;
            }
        }
        if (m == null) { // tiny worlds: any merchant the cardholder does not use
            for (World.Merchant candidate : world.merchants) {
                if (!card.knows(candidate.index)) {
                    m = candidate;
                    break;
                }
            }
            if (m == null) {
                m = world.merchants[0];
            }
        }
        boolean ecom = channelIsEcom(m, true);
        String device = ecom ? World.newDeviceId(rng) : null;
        String ip = ecom ? world.foreignIp(card.country, rng) : null;
        double multiple = 10.05 + rng.nextDouble() * 19.95;
        long cents = toCents(card.medianEur * multiple, card.perEur);
        schedule(now, card, m, cents, card.currency, ecom, ip, device, GeneratedEvent.AMOUNT_ANOMALY);
        return now;
    }

    private void schedule(long due, World.Card card, World.Merchant m, long cents, String currency, boolean ecom,
                          String ip, String device, String label) {
        Pending p = new Pending();
        p.due = due;
        p.order = pendingOrder++;
        p.card = card;
        p.merchant = m;
        p.cents = cents;
        p.currency = currency;
        p.ecom = ecom;
        p.ip = ip;
        p.device = device;
        p.label = label;
        pending.add(p);
    }

    private GeneratedEvent emit(Pending p, long now) {
        return payment(now, p.card, p.merchant, p.cents, p.currency, p.ecom, p.ip, p.device, p.label);
    }

    // ---------------------------------------------------------------- payments and JSON

    private GeneratedEvent payment(long now, World.Card card, World.Merchant m, long cents, String currency,
                                   boolean ecom, String ip, String device, String label) {
        String eventId = eventPrefix + (++eventSeq);
        String paymentId = paymentPrefix + (++paymentSeq);
        long millis = Math.floorDiv(now, 1_000L);
        try {
            json.writeStartObject();
            json.writeStringField("eventId", eventId);
            json.writeStringField("type", GeneratedEvent.PAYMENT);
            json.writeStringField("paymentId", paymentId);
            json.writeFieldName("eventTime");
            writeTime(millis);
            json.writeStringField("pan", card.pan);
            json.writeStringField("customerId", card.customer.id);
            json.writeStringField("merchantId", m.id);
            json.writeStringField("mcc", m.mcc.code());
            if (!ecom) {
                json.writeStringField("terminalId", m.terminals[rng.nextInt(m.terminals.length)]);
            }
            json.writeFieldName("amount");
            json.writeNumber(BigDecimal.valueOf(cents, 2));
            json.writeStringField("currency", currency);
            json.writeStringField("country", world.countries[m.country].code());
            json.writeStringField("channel", ecom ? "ECOM" : "POS");
            if (ecom) {
                json.writeStringField("ip", ip);
                json.writeStringField("deviceId", device);
            } else {
                json.writeFieldName("lat");
                json.writeNumber(m.lat);
                json.writeFieldName("lon");
                json.writeNumber(m.lon);
            }
            if (label != null) {
                json.writeStringField("fraudLabel", label);
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Paid paid = new Paid(paymentId, card, m, cents, currency, ecom);
        recent[(int) (recentCount++ % recent.length)] = paid;
        if (label != null) {
            recentFraud[(int) (recentFraudCount++ % recentFraud.length)] = paid;
        }
        return new GeneratedEvent(card.key, eventId, GeneratedEvent.PAYMENT, paymentId, millis, label, finish());
    }

    private byte[] finish() {
        try {
            json.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] bytes = out.toByteArray();
        out.reset();
        return bytes;
    }

    /** ISO-8601 with millis ({@code 2026-11-28T18:40:01.123Z}) without a formatter per event. */
    private void writeTime(long millis) throws IOException {
        if (config.epochMillisTime()) {
            json.writeNumber(millis);
            return;
        }
        long day = Math.floorDiv(millis, 86_400_000L);
        if (day != cachedDay) {
            String date = LocalDate.ofEpochDay(day).toString();
            if (date.length() != 10) { // years beyond 0000-9999
                json.writeString(WIDE_YEARS.format(Instant.ofEpochMilli(millis)));
                return;
            }
            date.getChars(0, 10, timeChars, 0);
            timeChars[10] = 'T';
            timeChars[13] = ':';
            timeChars[16] = ':';
            timeChars[19] = '.';
            timeChars[23] = 'Z';
            cachedDay = day;
        }
        int ms = (int) Math.floorMod(millis, 86_400_000L);
        int h = ms / 3_600_000;
        int min = ms / 60_000 % 60;
        int s = ms / 1_000 % 60;
        int frac = ms % 1_000;
        timeChars[11] = (char) ('0' + h / 10);
        timeChars[12] = (char) ('0' + h % 10);
        timeChars[14] = (char) ('0' + min / 10);
        timeChars[15] = (char) ('0' + min % 10);
        timeChars[17] = (char) ('0' + s / 10);
        timeChars[18] = (char) ('0' + s % 10);
        timeChars[20] = (char) ('0' + frac / 100);
        timeChars[21] = (char) ('0' + frac / 10 % 10);
        timeChars[22] = (char) ('0' + frac % 10);
        json.writeString(timeChars, 0, 24);
    }

    private static boolean channelIsEcom(World.Merchant m, boolean wantEcom) {
        return (wantEcom && m.ecom) || !m.pos;
    }

    private static long toCents(double eur, double perEur) {
        return Math.max(1L, Math.round(eur * perEur * 100));
    }

    /** A scenario payment waiting for its event time. */
    private static final class Pending {
        long due;
        long order;
        World.Card card;
        World.Merchant merchant;
        long cents;
        String currency;
        boolean ecom;
        String ip;
        String device;
        String label;
    }

    /** A payment that a refund, reversal or chargeback may later refer to. */
    private static final class Paid {
        final String paymentId;
        final World.Card card;
        final World.Merchant merchant;
        final long cents;
        final String currency;
        final boolean ecom;
        boolean followedUp;

        Paid(String paymentId, World.Card card, World.Merchant merchant, long cents, String currency, boolean ecom) {
            this.paymentId = paymentId;
            this.card = card;
            this.merchant = merchant;
            this.cents = cents;
            this.currency = currency;
            this.ecom = ecom;
        }
    }
}
