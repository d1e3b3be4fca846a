package io.veto.entity;

import io.veto.event.PaymentEvent;
import io.veto.feature.Entity;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * An event on its way to one entity's window (merchant, device, IP ...): the entity stage adds it
 * to the window and, for a payment, answers with the values of {@code features}.
 *
 * @param key {@code entity:value}, e.g. {@code merchant:m-0042}: what the entity stage is keyed by
 * @param features the entity's features the payment's rule set reads, by name ({@code count_10m});
 *     empty for feedback events (refunds, chargebacks), which only update the window
 *
 * <p>Flink serializes it with {@link EntitySerializers}.
 */
@TypeInfo(EntitySerializers.RequestFactory.class)
public record EntityRequest(String key, Entity entity, PaymentEvent event, String[] features) {
    public static String keyOf(Entity entity, String value) {
        return entity.ruleName() + ":" + value;
    }

    public boolean wantsAnswer() {
        return features.length > 0;
    }
}
