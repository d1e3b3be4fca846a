package io.veto.entity;

import io.veto.feature.Entity;

/**
 * One entity stage's answer for one payment: the values of the features it was asked for. It may
 * reach the card stage before the payment itself does (they travel different channels).
 */
public record EntityFeatures(String cardToken, String paymentId, long eventTime, Entity entity, String[] names, double[] values) {}
