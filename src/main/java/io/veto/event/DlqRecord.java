package io.veto.event;

/**
 * A record that Veto could not accept: the original payload (with anything that looks like a card
 * number masked), the reason, and its source coordinates so it can be found, fixed and replayed.
 */
public record DlqRecord(
        String sourceTopic,
        int sourcePartition,
        long sourceOffset,
        long sourceTimestamp,
        String error,
        String payload,
        long rejectedAt) {}
