package io.veto.event;

/**
 * A record exactly as read from Kafka, with where it came from, so a record that cannot be parsed
 * reaches the DLQ with its coordinates.
 */
public record RawEvent(String topic, int partition, long offset, long timestamp, byte[] value) {}
