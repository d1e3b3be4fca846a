package io.veto.entity;

import io.veto.feature.Entity;
import io.veto.rule.SequenceMatch;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * One entity stage's answer for one payment: the values of the features it was asked for. It may
 * reach the card stage before the payment itself does (they travel different channels).
 *
 * <p>Flink serializes it with {@link EntitySerializers}.
 *
 * @param matches the customer's sequence matches this payment completes (from the customer-sequence
 *     stage, whose answers carry no features); null from a feature stage
 */
@TypeInfo(EntitySerializers.FeaturesFactory.class)
public record EntityFeatures(
        String cardToken, String paymentId, long eventTime, Entity entity, String[] names, double[] values, SequenceMatch[] matches) {

    public EntityFeatures(String cardToken, String paymentId, long eventTime, Entity entity, String[] names, double[] values) {
        this(cardToken, paymentId, eventTime, entity, names, values, null);
    }
}
