package io.veto.entity;

import io.veto.feature.Entity;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * One entity stage's answer for one payment: the values of the features it was asked for. It may
 * reach the card stage before the payment itself does (they travel different channels).
 *
 * <p>Flink serializes it with {@link EntitySerializers}.
 */
@TypeInfo(EntitySerializers.FeaturesFactory.class)
public record EntityFeatures(String cardToken, String paymentId, long eventTime, Entity entity, String[] names, double[] values) {}
