package io.veto.testing;

import io.veto.event.EventType;
import io.veto.event.PaymentEvent;
import java.math.BigDecimal;

/**
 * A builder for one card event with the fields sequence rules look at (type, merchant, channel,
 * location, the payment a refund refers to), everything else as in {@link Payments}.
 */
public final class CardEvents {
    private String eventId;
    private EventType type = EventType.PAYMENT;
    private String paymentId;
    private long eventTime;
    private String card = "card-a";
    private String merchant = "merch-1";
    private BigDecimal amount = new BigDecimal("10.00");
    private String channel = "ECOM";
    private String country = "DE";
    private Double lat;
    private Double lon;

    private CardEvents() {}

    /** A payment whose id is {@code id} and event id {@code evt-<id>}. */
    public static CardEvents pay(String id, long eventTime) {
        CardEvents b = new CardEvents();
        b.eventId = "evt-" + id;
        b.paymentId = id;
        b.eventTime = eventTime;
        return b;
    }

    /** A refund (its own event id) of the payment {@code paymentId}. */
    public static CardEvents refund(String eventId, String paymentId, long eventTime) {
        CardEvents b = new CardEvents();
        b.eventId = eventId;
        b.type = EventType.REFUND;
        b.paymentId = paymentId;
        b.eventTime = eventTime;
        return b;
    }

    public CardEvents card(String card) {
        this.card = card;
        return this;
    }

    public CardEvents merchant(String merchant) {
        this.merchant = merchant;
        return this;
    }

    public CardEvents amount(String amount) {
        this.amount = new BigDecimal(amount);
        return this;
    }

    /** A card-present payment at a terminal at this location. */
    public CardEvents pos(double lat, double lon) {
        this.channel = "POS";
        this.lat = lat;
        this.lon = lon;
        return this;
    }

    public CardEvents channel(String channel) {
        this.channel = channel;
        return this;
    }

    public CardEvents country(String country) {
        this.country = country;
        return this;
    }

    public PaymentEvent build() {
        return new PaymentEvent(
                eventId,
                type,
                paymentId,
                eventTime,
                card,
                "411111",
                "1111",
                "cust-1",
                merchant,
                "5411",
                null,
                amount,
                "EUR",
                country,
                "10.0.0.1",
                "dev-1",
                channel,
                lat,
                lon,
                "test/0/0");
    }
}
