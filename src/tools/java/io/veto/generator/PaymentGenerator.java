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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
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
 *       ECOM; card-present only where the cardholder can be: never farther from the card's previous
 *       card-present payment than {@value #GENUINE_MAX_KMH} km/h allows, so genuine traffic never
 *       looks like impossible travel), or
 *   <li>an event of a fraud scenario instance, each on one card (or one customer) and interleaved in
 *       event time with the rest; genuine traffic leaves the card alone while it runs. Every event
 *       of an instance carries the scenario's {@code fraudLabel} (in the JSON too) and a
 *       {@link ScenarioTag} (not in the JSON) naming the instance and the payment that completes it:
 *       <ul>
 *         <li>{@code card_testing}: 3-6 probes of 0.50-1.99 at distinct, mostly digital-goods
 *             merchants, 25-110 s apart, then one 400-1500 EUR purchase within ~12 minutes of the
 *             first probe, all online; the purchase completes it;
 *         <li>{@code velocity_burst}: 6-10 payments of 15-400 EUR, each 3-25 s after the previous,
 *             all within 2.5 minutes, online or at one shop; the 6th completes it;
 *         <li>{@code amount_anomaly}: one payment of 10-30x the card's usual median at a merchant
 *             the cardholder never uses;
 *         <li>{@code impossible_travel}: an ordinary card-present payment where the cardholder is,
 *             then 30-90 minutes later one at least 1,500 km away (at least
 *             {@value #TRAVEL_MIN_KMH} km/h); the second completes it;
 *         <li>{@code account_takeover}: a PASSWORD_RESET or DEVICE_CHANGE from a device new to the
 *             customer, then 6-55 minutes later an online payment on one of the customer's cards
 *             from that device, of 8-20x the customer's usual ticket (and at least 150), at a merchant the customer
 *             never uses; the payment completes it;
 *         <li>{@code refund_abuse}: payment, full REFUND, payment, full REFUND, payment on one card
 *             at one online shop within 2h20; the third payment completes it;
 *       </ul>
 *       their payments make up {@link GeneratorConfig#fraudRate()} of the payments, split among
 *       the scenarios by {@link #DEFAULT_SCENARIO_WEIGHTS} or the weights given, or
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

    /**
     * How often each scenario is picked, relative to the others (they need not add up to 1):
     * card_testing 0.25, velocity_burst 0.20, amount_anomaly 0.15, impossible_travel 0.15,
     * account_takeover 0.15, refund_abuse 0.10. {@link GeneratorConfig#fraudRate()} sets how many
     * payments are fraud; these weights only split that among the scenarios.
     */
    public static final Map<String, Double> DEFAULT_SCENARIO_WEIGHTS =
            Collections.unmodifiableMap(weights(0.25, 0.20, 0.15, 0.15, 0.15, 0.10));

    /** card_testing: the fewest and most small probes before the big purchase. */
    public static final int CARD_TESTING_MIN_PROBES = 3;

    public static final int CARD_TESTING_MAX_PROBES = 6;
    /** velocity_burst: the payment with this 1-based number completes the burst (bursts have 6 to 10). */
    public static final int VELOCITY_MIN_PAYMENTS = 6;
    /** impossible_travel: the least distance between the two card-present payments, km. */
    public static final double TRAVEL_MIN_KM = 1_500;
    /** impossible_travel: the least implied speed between them, km/h (an airliner does ~900). */
    public static final double TRAVEL_MIN_KMH = 1_250;
    /**
     * Genuine card-present payments of a card are never farther from the card's previous
     * card-present payment than this speed allows: a cardholder abroad first has to get there.
     */
    public static final double GENUINE_MAX_KMH = 300;

    private static final int POS_MEMORY = 8;
    private static final Set<String> REFUND_ABUSE_MCCS = Set.of("5732", "5691", "5311", "5944", "5999");
    private static final DateTimeFormatter WIDE_YEARS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final GeneratorConfig config;
    private final World world;
    private final SplittableRandom rng;
    private final Clock liveClock;
    private final String eventPrefix;
    private final String paymentPrefix;
    private final String scenarioPrefix;
    private final double[] scenarioWeights;

    private long clockMicros;
    private long lastMicros = Long.MIN_VALUE;
    /** Event time of the last event returned (a scenario event may be stamped before its tick). */
    private long lastEventMicros = Long.MIN_VALUE;

    private long eventSeq;
    private long paymentSeq;
    private long scenarioSeq;

    private final PriorityQueue<Pending> pending =
            new PriorityQueue<>(Comparator.comparingLong((Pending p) -> p.due).thenComparingLong(p -> p.order));
    private long pendingOrder;
    private final long[] cardBusyUntil;
    private final long[] cardInScenarioUntil;
    /**
     * Per card: times and merchants of its last {@link #POS_MEMORY} card-present payments, a ring at
     * {@code card * POS_MEMORY} (merchant -1: none), and the slot of the latest.
     */
    private final long[] posMicros;

    private final int[] posMerchant;
    private final int[] posLatest;
    /** Per card: event time of its last payment and of its last REFUND (Long.MIN_VALUE: none). */
    private final long[] lastPaymentMicros;

    private final long[] lastRefundMicros;
    private Paid lastPaid;

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

    /** A generator with the {@link #DEFAULT_SCENARIO_WEIGHTS}. */
    public PaymentGenerator(GeneratorConfig config) {
        this(config, DEFAULT_SCENARIO_WEIGHTS);
    }

    /**
     * A generator whose fraud scenarios are picked with these relative weights, e.g.
     * {@code Map.of("impossible_travel", 1.0)} for impossible travel only. Labels left out get weight
     * 0; at least one weight must be positive.
     */
    public PaymentGenerator(GeneratorConfig config, Map<String, Double> scenarioWeights) {
        this.config = config;
        this.scenarioWeights = new double[GeneratedEvent.SCENARIO_LABELS.size()];
        double total = 0;
        for (Map.Entry<String, Double> w : scenarioWeights.entrySet()) {
            int i = GeneratedEvent.SCENARIO_LABELS.indexOf(w.getKey());
            if (i < 0) {
                throw new IllegalArgumentException(
                        "unknown scenario '" + w.getKey() + "', known: " + GeneratedEvent.SCENARIO_LABELS);
            }
            if (!(w.getValue() >= 0 && w.getValue() < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException("scenario weight must be finite and >= 0: " + w);
            }
            this.scenarioWeights[i] = w.getValue();
            total += w.getValue();
        }
        if (!(total > 0)) {
            throw new IllegalArgumentException("at least one scenario weight must be positive");
        }
        this.world = new World(config);
        this.rng = new SplittableRandom(config.seed() * 0x9E3779B97F4A7C15L + 0x5EED);
        this.liveClock = config.liveClock();
        String run = config.runId().isEmpty() ? "" : config.runId() + "-";
        this.eventPrefix = "evt-" + run;
        this.paymentPrefix = "pay-" + run;
        this.scenarioPrefix = "sc-" + run;
        Instant start = config.startTime();
        this.clockMicros = Math.multiplyExact(start.getEpochSecond(), SECOND) + start.getNano() / 1_000;
        this.cardBusyUntil = new long[world.cards.length];
        Arrays.fill(cardBusyUntil, Long.MIN_VALUE);
        this.cardInScenarioUntil = new long[world.cards.length];
        Arrays.fill(cardInScenarioUntil, Long.MIN_VALUE);
        this.posMicros = new long[world.cards.length * POS_MEMORY];
        this.posMerchant = new int[world.cards.length * POS_MEMORY];
        Arrays.fill(posMerchant, -1);
        this.posLatest = new int[world.cards.length];
        this.lastPaymentMicros = new long[world.cards.length];
        Arrays.fill(lastPaymentMicros, Long.MIN_VALUE);
        this.lastRefundMicros = new long[world.cards.length];
        Arrays.fill(lastRefundMicros, Long.MIN_VALUE);
        double f = config.fraudRate();
        this.creditPerGenuine = f / (1 - f);
        planNextScenario();
        JsonFactory factory =
                new JsonFactoryBuilder().rootValueSeparator((String) null).build();
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
            pending.poll();
            // on the simulated clock a scenario event keeps its planned time (unless events before it
            // are later), so its spacing is exactly as planned and not stretched to the next tick
            long at = liveClock != null ? now : Math.max(head.due, lastEventMicros);
            lastEventMicros = at;
            return emit(head, at);
        }
        lastEventMicros = now;
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

    private static Map<String, Double> weights(double... w) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < w.length; i++) {
            out.put(GeneratedEvent.SCENARIO_LABELS.get(i), w[i]);
        }
        return out;
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
        World.Card card = pickGenuineCard(now);
        boolean wantEcom = rng.nextDouble() < card.ecomShare;
        World.Merchant m = world.merchants[usualOrOccasional(card, wantEcom)];
        boolean ecom = channelIsEcom(m, wantEcom);
        if (!ecom && !reachable(card, m, now)) {
            // the cardholder cannot be there yet (the last card-present payment was too far, too
            // recently): shop online instead, or else where the card last was
            m = world.merchants[usualOrOccasional(card, true)];
            ecom = channelIsEcom(m, true);
            if (!ecom && !reachable(card, m, now)) {
                m = world.merchants[lastPosMerchant(card)];
            }
        }
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

    /** A card for genuine traffic: the busier ones more often, none while a scenario runs on it. */
    private World.Card pickGenuineCard(long now) {
        World.Card card = world.pickCard(rng);
        for (int attempt = 0; attempt < 16 && cardInScenarioUntil[card.index] >= now; attempt++) {
            card = world.pickCard(rng);
        }
        return card;
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
        World.Card card = pickGenuineCard(now);
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
        return accountEvent(now, c, type, device, ip, null);
    }

    private GeneratedEvent accountEvent(
            long now, World.Customer c, String type, String device, String ip, ScenarioTag tag) {
        String eventId = eventPrefix + (++eventSeq);
        long millis = Math.floorDiv(now, 1_000L);
        String label = tag == null ? null : tag.label();
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
            if (label != null) {
                json.writeStringField("fraudLabel", label);
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new GeneratedEvent(c.primary.key, eventId, type, null, millis, label, finish(), tag);
    }

    // ---------------------------------------------------------------- refunds, reversals, chargebacks

    private GeneratedEvent refundOrReversal(long now) {
        boolean reversal = rng.nextDouble() < 0.35;
        Paid p = pickPaid(recent, recentCount, reversal ? 300 : recent.length, now);
        if (p == null) {
            return null;
        }
        long cents = p.cents;
        if (!reversal && rng.nextDouble() < 0.4 && cents > 1) {
            cents = Math.max(1, Math.min(cents - 1, Math.round(cents * (0.1 + 0.8 * rng.nextDouble()))));
        }
        return followUp(now, reversal ? GeneratedEvent.REVERSAL : GeneratedEvent.REFUND, p, cents, null);
    }

    private GeneratedEvent chargeback(long now) {
        Paid p = null;
        if (rng.nextDouble() < 0.6) {
            p = pickPaid(recentFraud, recentFraudCount, recentFraud.length, now);
        }
        if (p == null) {
            p = pickPaid(recent, recentCount, recent.length, now);
        }
        return p == null ? null : followUp(now, GeneratedEvent.CHARGEBACK, p, p.cents, null);
    }

    /**
     * A recent payment not yet refunded, reversed or charged back, among the last {@code window}, and
     * not on a card a scenario is running on.
     */
    private Paid pickPaid(Paid[] ring, long count, int window, long now) {
        int n = (int) Math.min(Math.min(count, ring.length), window);
        if (n == 0) {
            return null;
        }
        for (int attempt = 0; attempt < 8; attempt++) {
            long seq = count - 1 - rng.nextInt(n);
            Paid p = ring[(int) (seq % ring.length)];
            if (!p.followedUp && cardInScenarioUntil[p.card.index] < now) {
                p.followedUp = true;
                return p;
            }
        }
        return null;
    }

    private GeneratedEvent followUp(long now, String type, Paid p, long cents, ScenarioTag tag) {
        if (type.equals(GeneratedEvent.REFUND)) {
            lastRefundMicros[p.card.index] = now;
        }
        String eventId = eventPrefix + (++eventSeq);
        long millis = Math.floorDiv(now, 1_000L);
        String label = tag == null ? null : tag.label();
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
            if (label != null) {
                json.writeStringField("fraudLabel", label);
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new GeneratedEvent(p.card.key, eventId, type, p.paymentId, millis, label, finish(), tag);
    }

    // ---------------------------------------------------------------- fraud scenarios

    private void planNextScenario() {
        nextScenario = GeneratedEvent.SCENARIO_LABELS.get(World.pickWeighted(scenarioWeights, rng));
        nextScenarioSize = switch (nextScenario) {
            case GeneratedEvent.CARD_TESTING ->
                CARD_TESTING_MIN_PROBES
                        + rng.nextInt(CARD_TESTING_MAX_PROBES - CARD_TESTING_MIN_PROBES + 1)
                        + 1; // probes + the big one
            case GeneratedEvent.VELOCITY_BURST -> VELOCITY_MIN_PAYMENTS + rng.nextInt(5); // 6 .. 10
            case GeneratedEvent.IMPOSSIBLE_TRAVEL -> 2;
            case GeneratedEvent.REFUND_ABUSE -> 3;
            default -> 1; // amount_anomaly, account_takeover
        };
        // jittered start so scenarios are not evenly spaced; the credit keeps the long-run rate exact
        nextScenarioThreshold = nextScenarioSize * (0.25 + 1.5 * rng.nextDouble());
    }

    private void startScenario(long now) {
        String id = scenarioPrefix + (++scenarioSeq);
        Steps steps = new Steps(id, nextScenario);
        List<World.Card> involved;
        if (nextScenario.equals(GeneratedEvent.ACCOUNT_TAKEOVER)) {
            World.Customer customer = victimCustomer(now);
            involved = customer.cards;
            accountTakeover(steps, now, customer);
        } else {
            World.Card card = victim(now);
            involved = List.of(card);
            switch (nextScenario) {
                case GeneratedEvent.CARD_TESTING -> cardTesting(steps, now, card, nextScenarioSize - 1);
                case GeneratedEvent.VELOCITY_BURST -> velocityBurst(steps, now, card, nextScenarioSize);
                case GeneratedEvent.IMPOSSIBLE_TRAVEL -> {
                    boolean done = impossibleTravel(steps, now, card);
                    for (int attempt = 0; attempt < 8 && !done; attempt++) { // a card that is somewhere odd
                        card = victim(now);
                        involved = List.of(card);
                        done = impossibleTravel(steps, now, card);
                    }
                    if (!done) { // a world without far-apart shops
                        steps = new Steps(id, GeneratedEvent.AMOUNT_ANOMALY);
                        nextScenarioSize = 1;
                        amountAnomaly(steps, now, card);
                    }
                }
                case GeneratedEvent.REFUND_ABUSE -> refundAbuse(steps, now, card);
                default -> amountAnomaly(steps, now, card);
            }
        }
        long end = steps.schedule();
        for (World.Card c : involved) {
            cardInScenarioUntil[c.index] = end; // genuine traffic leaves the card alone meanwhile
            cardBusyUntil[c.index] = end + 30 * MINUTE; // and scenarios on one card stay apart
        }
        fraudCredit -= nextScenarioSize;
        planNextScenario();
    }

    /**
     * A card to attack: stolen cards are any cards, not the busy ones; not one already under attack,
     * nor one that paid in the last 5 minutes (which a burst rule could count in), nor, for refund
     * abuse, one refunded in the last 24 hours (which a refund-cycling rule could start from).
     */
    private World.Card victim(long now) {
        World.Card card = world.cards[rng.nextInt(world.cards.length)];
        for (int attempt = 0; attempt < 32 && !fresh(card, now); attempt++) {
            card = world.cards[rng.nextInt(world.cards.length)];
        }
        return card;
    }

    private boolean fresh(World.Card card, long now) {
        return cardBusyUntil[card.index] <= now
                && (lastPaymentMicros[card.index] == Long.MIN_VALUE || now - lastPaymentMicros[card.index] > 5 * MINUTE)
                && (!nextScenario.equals(GeneratedEvent.REFUND_ABUSE)
                        || lastRefundMicros[card.index] == Long.MIN_VALUE
                        || now - lastRefundMicros[card.index] > 24 * 60 * MINUTE);
    }

    /** An account to take over: none of whose cards is under attack. */
    private World.Customer victimCustomer(long now) {
        World.Customer customer = victim(now).customer;
        for (int attempt = 0; attempt < 32 && busy(customer, now); attempt++) {
            customer = world.cards[rng.nextInt(world.cards.length)].customer;
        }
        return customer;
    }

    private boolean busy(World.Customer customer, long now) {
        for (World.Card c : customer.cards) {
            if (!fresh(c, now)) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code probes} (3-6) payments of 0.50-1.99 in the card's currency at distinct, mostly
     * digital-goods merchants, 25-110 s apart, then 30-180 s later one purchase of 400-1500 EUR (at
     * least 340 in any card currency) at a high-risk online merchant: at most ~12 minutes from the
     * first probe. All online, from one fraudster device and IP. The big purchase completes it.
     */
    private void cardTesting(Steps steps, long now, World.Card card, int probes) {
        String device = World.newDeviceId(rng);
        String ip = world.foreignIp(card.country, rng);
        int[] used = new int[probes + 1];
        long t = now;
        for (int i = 0; i < probes; i++) {
            if (i > 0) {
                t += 25 * SECOND + (long) (rng.nextDouble() * 85 * SECOND);
            }
            int m = distinctMerchant(world.testingPool, used, i);
            used[i] = m;
            long cents = 50 + rng.nextInt(150); // 0.50 .. 1.99
            steps.payment(t, card, world.merchants[m], cents, card.currency, true, ip, device);
        }
        t += 30 * SECOND + (long) (rng.nextDouble() * 150 * SECOND);
        int big = distinctMerchant(world.bigTicketEcom, used, probes);
        long cents = toCents(400 + rng.nextDouble() * 1100, card.perEur);
        steps.payment(t, card, world.merchants[big], cents, card.currency, true, ip, device).completes = true;
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
            candidate = (attempt < 32 ? pool : world.ecomAll)
                    [rng.nextInt(attempt < 32 ? pool.length : world.ecomAll.length)];
        }
        return candidate;
    }

    /**
     * {@code n} (6-10) payments of 15-400 EUR on one card, each 3-25 s after the previous and all
     * within 2.5 minutes (the default rule wants 6, each within 30 s, within 3 minutes): online at random merchants from one device and IP (60%), or a cloned card
     * run at the terminals of one shop, usually abroad but never farther from the card's last
     * card-present payment than a traveller could have got. The 6th payment completes it.
     */
    private void velocityBurst(Steps steps, long now, World.Card card, int n) {
        long maxGap = Math.min(25 * SECOND, 150 * SECOND / (n - 1));
        boolean online = rng.nextDouble() < 0.6;
        World.Merchant shop = null;
        if (!online) {
            // a cloned card cashed out in one city, usually abroad
            for (int attempt = 0; attempt < 16 && shop == null; attempt++) {
                int city = rng.nextInt(world.cities.length);
                if (world.posByCity[city].length == 0
                        || (world.cityCountry[city] == card.country && rng.nextDouble() < 0.7)) {
                    continue;
                }
                World.Merchant m = world.merchants[world.posByCity[city][rng.nextInt(world.posByCity[city].length)]];
                if (m.pos && reachable(card, m, now)) {
                    shop = m;
                }
            }
            online = shop == null;
        }
        String device = online ? World.newDeviceId(rng) : null;
        String ip = online ? world.foreignIp(card.country, rng) : null;
        double baseEur = 40 + rng.nextDouble() * 110;
        long t = now;
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                t += 3 * SECOND + (long) (rng.nextDouble() * (maxGap - 3 * SECOND));
            }
            World.Merchant m = online ? world.merchants[world.ecomAll[rng.nextInt(world.ecomAll.length)]] : shop;
            boolean ecom = channelIsEcom(m, online);
            String currency = ecom ? card.currency : world.countries[m.country].currency();
            double eur = Math.max(15, Math.min(400, baseEur * Math.exp(0.4 * rng.nextGaussian())));
            long cents = toCents(
                    eur, ecom || currency.equals(card.currency) ? card.perEur : world.countries[m.country].perEur());
            Pending p = steps.payment(t, card, m, cents, currency, ecom, ip, device);
            p.completes = i == VELOCITY_MIN_PAYMENTS - 1;
        }
    }

    /**
     * One payment of 10-30x the card's usual median at a merchant the cardholder never uses, mostly
     * high-risk and online (a new device, a foreign IP); card-present only where the cardholder
     * could be. It completes itself.
     */
    private void amountAnomaly(Steps steps, long now, World.Card card) {
        World.Merchant m = null;
        for (int attempt = 0; attempt < 64 && m == null; attempt++) {
            int[] pool = rng.nextDouble() < 0.7 ? world.highRisk : world.ecomAll;
            World.Merchant candidate = world.merchants[pool[rng.nextInt(pool.length)]];
            boolean usable = candidate.ecom || (candidate.country == card.country && reachable(card, candidate, now));
            if (usable && !card.knows(candidate.index)) {
                m = candidate;
            }
        }
        if (m == null) { // tiny worlds: any merchant the cardholder does not use
            for (World.Merchant candidate : world.merchants) {
                if (!card.knows(candidate.index) && (candidate.ecom || reachable(card, candidate, now))) {
                    m = candidate;
                    break;
                }
            }
            if (m == null) {
                m = world.merchants[world.ecomAll[0]];
            }
        }
        boolean ecom = channelIsEcom(m, true);
        String device = ecom ? World.newDeviceId(rng) : null;
        String ip = ecom ? world.foreignIp(card.country, rng) : null;
        double multiple = 10.05 + rng.nextDouble() * 19.95;
        long cents = toCents(card.medianEur * multiple, card.perEur);
        String currency = ecom ? card.currency : world.countries[m.country].currency();
        steps.payment(now, card, m, cents, currency, ecom, ip, device).completes = true;
    }

    /**
     * Two card-present payments on one card: an ordinary one where the cardholder is (one of the
     * usual shops at home, or where the card last was), then 30-90 minutes later a cash-out of
     * 100-800 EUR at a shop at least {@value #TRAVEL_MIN_KM} km away, so that distance over elapsed
     * time is at least {@value #TRAVEL_MIN_KMH} km/h (airliners do ~900). The second completes it.
     */
    private boolean impossibleTravel(Steps steps, long now, World.Card card) {
        World.Merchant here = null;
        int[] usual = card.usualPos;
        for (int attempt = 0; attempt < 8 && here == null && usual.length > 0; attempt++) {
            World.Merchant m = world.merchants[usual[rng.nextInt(usual.length)]];
            if (m.pos && reachable(card, m, now)) {
                here = m;
            }
        }
        if (here == null
                && lastPosMerchant(card) >= 0
                && reachable(card, world.merchants[lastPosMerchant(card)], now)) {
            here = world.merchants[lastPosMerchant(card)];
        }
        if (here == null || !here.pos) { // nowhere the cardholder can be (or a world without shops)
            return false;
        }
        // far enough for even the shortest gap to beat an airliner by a third, and reachable in time by nobody
        double hours = 0.5 + rng.nextDouble();
        World.Merchant there = null;
        double km = 0;
        for (int attempt = 0; attempt < 48 && there == null; attempt++) {
            int city = rng.nextInt(world.cities.length);
            int[] shops = world.posByCity[city];
            if (shops.length == 0) {
                continue;
            }
            World.Merchant m = world.merchants[shops[rng.nextInt(shops.length)]];
            double d = World.km(here, m);
            if (m.pos && d >= TRAVEL_MIN_KM) {
                there = m;
                km = d;
            }
        }
        if (there == null) { // the farthest shop there is
            for (int i : world.posAll) {
                double d = World.km(here, world.merchants[i]);
                if (world.merchants[i].pos && d > km) {
                    there = world.merchants[i];
                    km = d;
                }
            }
        }
        if (there == null || km < TRAVEL_MIN_KM) {
            return false;
        }
        hours = Math.max(0.5, Math.min(hours, km / TRAVEL_MIN_KMH));
        String localCurrency = world.countries[here.country].currency();
        double eur = Math.max(
                1.0,
                Math.min(
                        card.medianEur * here.mcc.amountFactor() * Math.exp(card.sigma * rng.nextGaussian()),
                        8 * card.medianEur));
        steps.payment(
                now,
                card,
                here,
                toCents(
                        eur,
                        localCurrency.equals(card.currency) ? card.perEur : world.countries[here.country].perEur()),
                localCurrency,
                false,
                null,
                null);
        String farCurrency = world.countries[there.country].currency();
        long due = now + (long) (hours * 3600 * SECOND);
        steps.payment(
                        due,
                        card,
                        there,
                        toCents(
                                100 + rng.nextDouble() * 700,
                                farCurrency.equals(card.currency)
                                        ? card.perEur
                                        : world.countries[there.country].perEur()),
                        farCurrency,
                        false,
                        null,
                        null)
                .completes = true;
        return true;
    }

    /**
     * A PASSWORD_RESET or DEVICE_CHANGE of the customer from a device the customer never had (and a
     * foreign IP), then 6-55 minutes later an online payment on one of the customer's cards from
     * that device and IP, of 8-20x the customer's usual median ticket (the highest of the cards') and
     * at least 150 in the card's currency,
     * at a merchant none of the customer's cards ever uses. The payment completes it.
     */
    private void accountTakeover(Steps steps, long now, World.Customer customer) {
        String type = rng.nextDouble() < 0.5 ? GeneratedEvent.PASSWORD_RESET : GeneratedEvent.DEVICE_CHANGE;
        String device = World.newDeviceId(rng);
        String ip = world.foreignIp(customer.country, rng);
        steps.account(now, customer, type, device, ip);

        World.Card card = customer.cards.get(rng.nextInt(customer.cards.size()));
        double usualEur = 0;
        for (World.Card c : customer.cards) {
            usualEur = Math.max(usualEur, c.medianEur);
        }
        World.Merchant m = null;
        for (int attempt = 0; attempt < 64 && m == null; attempt++) {
            int[] pool = rng.nextDouble() < 0.7 ? world.bigTicketEcom : world.ecomAll;
            World.Merchant candidate = world.merchants[pool[rng.nextInt(pool.length)]];
            if (candidate.ecom && !knows(customer, candidate.index)) {
                m = candidate;
            }
        }
        for (int i = 0; m == null && i < world.merchants.length; i++) { // tiny worlds
            if (world.merchants[i].ecom && !knows(customer, i)) {
                m = world.merchants[i];
            }
        }
        if (m == null) {
            m = world.merchants[world.ecomAll[0]];
        }
        long due = now + 6 * MINUTE + (long) (rng.nextDouble() * 49 * MINUTE);
        // and never small: at least 150 in the card's currency (a takeover is worth the trouble)
        long cents =
                Math.max(toCents(usualEur * (8 + rng.nextDouble() * 12), card.perEur), 15_000 + rng.nextInt(35_000));
        steps.payment(due, card, m, cents, card.currency, channelIsEcom(m, true), ip, device).completes = true;
    }

    private static boolean knows(World.Customer customer, int merchant) {
        for (World.Card c : customer.cards) {
            if (c.knows(merchant)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Payment, full REFUND of it, payment, full REFUND, payment: one card, one online shop (mostly
     * electronics, clothing, department stores, jewellery), the cardholder's own device and IP, 80-500
     * EUR each; a refund 10-40 minutes after its payment, the next payment 5-30 minutes after a refund,
     * all within 2h20. The third payment completes it.
     */
    private void refundAbuse(Steps steps, long now, World.Card card) {
        World.Merchant m = null;
        for (int attempt = 0; attempt < 32 && m == null; attempt++) {
            World.Merchant candidate = world.merchants[world.ecomAll[rng.nextInt(world.ecomAll.length)]];
            if (candidate.ecom && REFUND_ABUSE_MCCS.contains(candidate.mcc.code())) {
                m = candidate;
            }
        }
        if (m == null) {
            m = world.merchants[world.ecomAll[rng.nextInt(world.ecomAll.length)]];
        }
        boolean ecom = channelIsEcom(m, true);
        World.Customer c = card.customer;
        String device = ecom ? c.devices[rng.nextInt(c.devices.length)] : null;
        String ip = ecom ? c.homeIp : null;
        String currency = ecom ? card.currency : world.countries[m.country].currency();
        double perEur = currency.equals(card.currency) ? card.perEur : world.countries[m.country].perEur();
        double baseEur = 80 + rng.nextDouble() * 420;
        long t = now;
        for (int i = 0; i < 3; i++) {
            long cents = toCents(Math.max(80, Math.min(500, baseEur * Math.exp(0.15 * rng.nextGaussian()))), perEur);
            Pending payment = steps.payment(t, card, m, cents, currency, ecom, ip, device);
            if (i == 2) {
                payment.completes = true;
                break;
            }
            t += 10 * MINUTE + (long) (rng.nextDouble() * 30 * MINUTE);
            steps.refund(t, payment);
            t += 5 * MINUTE + (long) (rng.nextDouble() * 25 * MINUTE);
        }
    }

    /**
     * Whether the cardholder could be at {@code m} now: no farther from any of the card's last
     * {@value #POS_MEMORY} card-present payments than {@link #GENUINE_MAX_KMH} allows. Checking them
     * all, not just the last, keeps a genuine payment from pairing at airliner speed with an older
     * one too (after a fraudulent card-present payment far away, say).
     */
    private boolean reachable(World.Card card, World.Merchant m, long now) {
        int base = card.index * POS_MEMORY;
        for (int i = 0; i < POS_MEMORY; i++) {
            int at = posMerchant[base + i];
            if (at < 0 || at == m.index) {
                continue;
            }
            double km = World.km(world.merchants[at], m);
            double hours = (now - posMicros[base + i]) / (3600.0 * SECOND);
            if (km > GENUINE_MAX_KMH * hours) {
                return false;
            }
        }
        return true;
    }

    /** The merchant of the card's latest card-present payment, -1 if none. */
    private int lastPosMerchant(World.Card card) {
        return posMerchant[card.index * POS_MEMORY + posLatest[card.index]];
    }

    /** The events of one scenario instance, built in event-time order, then tagged and queued. */
    private final class Steps {
        final String id;
        final String label;
        final List<Pending> list = new ArrayList<>(12);

        Steps(String id, String label) {
            this.id = id;
            this.label = label;
        }

        Pending payment(
                long due,
                World.Card card,
                World.Merchant m,
                long cents,
                String currency,
                boolean ecom,
                String ip,
                String device) {
            Pending p = add(due, Pending.PAYMENT);
            p.card = card;
            p.merchant = m;
            p.cents = cents;
            p.currency = currency;
            p.ecom = ecom;
            p.ip = ip;
            p.device = device;
            return p;
        }

        /** A full refund of {@code payment}; neither it nor the payment gets another follow-up. */
        void refund(long due, Pending payment) {
            Pending p = add(due, Pending.REFUND);
            p.refunds = payment;
            payment.keepFollowUpsAway = true;
        }

        void account(long due, World.Customer customer, String type, String device, String ip) {
            Pending p = add(due, Pending.ACCOUNT);
            p.customer = customer;
            p.accountType = type;
            p.device = device;
            p.ip = ip;
        }

        private Pending add(long due, int kind) {
            Pending p = new Pending();
            if (!list.isEmpty() && due < list.get(list.size() - 1).due) {
                throw new IllegalStateException("scenario steps out of order");
            }
            p.due = due;
            p.kind = kind;
            list.add(p);
            return p;
        }

        /** Tags and queues the steps; returns the last one's due time. */
        long schedule() {
            int size = list.size();
            for (int i = 0; i < size; i++) {
                Pending p = list.get(i);
                p.order = pendingOrder++;
                p.tag = new ScenarioTag(id, label, i + 1, size, p.completes);
                pending.add(p);
            }
            return list.get(size - 1).due;
        }
    }

    private GeneratedEvent emit(Pending p, long now) {
        return switch (p.kind) {
            case Pending.REFUND -> {
                Paid paid = p.refunds.paid;
                yield followUp(now, GeneratedEvent.REFUND, paid, paid.cents, p.tag);
            }
            case Pending.ACCOUNT -> accountEvent(now, p.customer, p.accountType, p.device, p.ip, p.tag);
            default -> {
                GeneratedEvent e = payment(now, p.card, p.merchant, p.cents, p.currency, p.ecom, p.ip, p.device, p.tag);
                p.paid = lastPaid;
                if (p.keepFollowUpsAway) {
                    lastPaid.followedUp = true;
                }
                yield e;
            }
        };
    }

    // ---------------------------------------------------------------- payments and JSON

    private GeneratedEvent payment(
            long now,
            World.Card card,
            World.Merchant m,
            long cents,
            String currency,
            boolean ecom,
            String ip,
            String device,
            ScenarioTag tag) {
        String label = tag == null ? null : tag.label();
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
        lastPaid = paid;
        lastPaymentMicros[card.index] = now;
        if (!ecom) {
            int slot = (posLatest[card.index] + 1) % POS_MEMORY;
            posLatest[card.index] = slot;
            posMicros[card.index * POS_MEMORY + slot] = now;
            posMerchant[card.index * POS_MEMORY + slot] = m.index;
        }
        return new GeneratedEvent(card.key, eventId, GeneratedEvent.PAYMENT, paymentId, millis, label, finish(), tag);
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

    /** A scenario event waiting for its event time. */
    private static final class Pending {
        static final int PAYMENT = 0;
        static final int REFUND = 1;
        static final int ACCOUNT = 2;

        long due;
        long order;
        int kind;
        ScenarioTag tag;
        boolean completes;
        World.Card card;
        World.Merchant merchant;
        long cents;
        String currency;
        boolean ecom;
        String ip;
        String device;
        /** REFUND: the scenario payment refunded (emitted before, so {@link #paid} is set). */
        Pending refunds;
        /** PAYMENT: the payment as emitted. */
        Paid paid;
        /** PAYMENT: a scenario refund follows, so no random refund, reversal or chargeback may. */
        boolean keepFollowUpsAway;

        World.Customer customer;
        String accountType;
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
