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
 * @param partial the answer may miss events of the window that were still on their way: the
 *     request was already behind the stage's watermark when it came, or it was answered before
 *     the watermark reached it (a quiet spell). The decision then says {@code late}.
 */
@TypeInfo(EntitySerializers.FeaturesFactory.class)
public record EntityFeatures(
        String cardToken,
        String paymentId,
        long eventTime,
        Entity entity,
        String[] names,
        double[] values,
        SequenceMatch[] matches,
        boolean partial) {

    /** An exact answer of a feature stage. */
    public EntityFeatures(
            String cardToken, String paymentId, long eventTime, Entity entity, String[] names, double[] values) {
        this(cardToken, paymentId, eventTime, entity, names, values, null, false);
    }
}
