package io.veto.event;

import java.nio.charset.StandardCharsets;

/**
 * A record that Veto could not accept: the original payload (with anything that looks like a card
 * number masked), the reason, and its source coordinates so it can be found, fixed and replayed.
 *
 * <p>Built with {@link #of}, it always fits in one Kafka request: the payload is cut to
 * {@link #MAX_PAYLOAD_BYTES} as written (UTF-8, JSON-escaped, after masking), the cut marked in the
 * payload and in {@code payloadCut}; {@code payloadBytes} is the size of the original record.
 */
public record DlqRecord(
        String sourceTopic,
        int sourcePartition,
        long sourceOffset,
        long sourceTimestamp,
        String error,
        String payload,
        int payloadBytes,
        boolean payloadCut,
        long rejectedAt) {

    /**
     * The payload's share of a DLQ record, far below the producer's 1 MB {@code max.request.size}
     * and the broker's {@code message.max.bytes}, so that no rejected record can fail the DLQ sink.
     */
    public static final int MAX_PAYLOAD_BYTES = 256 * 1024;
    /** Reasons are ours and short; one that quotes the input is cut here. */
    public static final int MAX_ERROR_BYTES = 2 * 1024;

    private static final String CUT = "…[cut]";

    /** A DLQ record of {@code value}, masked and cut to size; {@code value} may be null. */
    public static DlqRecord of(
            String topic, int partition, long offset, long timestamp, String error, byte[] value, long rejectedAt) {
        // Mask before cutting: a cut could leave part of a card number that no longer looks like one.
        String payload = value == null ? "" : PanMasker.mask(new String(value, StandardCharsets.UTF_8));
        String cut = cutToJsonBytes(payload, MAX_PAYLOAD_BYTES);
        return new DlqRecord(
                topic,
                partition,
                offset,
                timestamp,
                cutToJsonBytes(PanMasker.mask(error == null ? "" : error), MAX_ERROR_BYTES),
                cut,
                value == null ? 0 : value.length,
                jsonBytes(payload) > MAX_PAYLOAD_BYTES,
                rejectedAt);
    }

    /**
     * {@code s} if it takes at most {@code maxBytes} once written as a JSON string in UTF-8, else
     * its longest prefix that does with the cut marked. Unpaired surrogates (which a JSON writer
     * refuses) become U+FFFD.
     */
    static String cutToJsonBytes(String s, int maxBytes) {
        int budget = maxBytes - jsonBytes(CUT);
        int used = 0;
        int cutAt = -1;
        StringBuilder fixed = null;
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            int width = 1;
            int cost;
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                width = 2;
                cost = 4;
            } else if (Character.isSurrogate(c)) {
                if (fixed == null) {
                    fixed = new StringBuilder(s.length()).append(s, 0, i);
                }
                fixed.append('\ufffd');
                cost = 3;
                used += cost;
                if (used > budget && cutAt < 0) {
                    cutAt = fixed.length() - 1;
                }
                continue;
            } else {
                cost = charBytes(c);
            }
            if (cutAt < 0 && used + cost > budget) {
                cutAt = fixed == null ? i : fixed.length();
            }
            used += cost;
            if (fixed != null) {
                fixed.append(s, i, i + width);
            }
            i += width - 1;
        }
        String clean = fixed == null ? s : fixed.toString();
        if (used <= maxBytes) {
            return clean;
        }
        return clean.substring(0, cutAt) + CUT;
    }

    static int jsonBytes(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            n += charBytes(s.charAt(i));
        }
        return n;
    }

    /** Bytes of one BMP char in a JSON string written as UTF-8 (escapes included). */
    private static int charBytes(char c) {
        if (c < 0x20) {
            return 6;
        }
        if (c == '"' || c == '\\') {
            return 2;
        }
        if (c < 0x80) {
            return 1;
        }
        return c < 0x800 ? 2 : 3;
    }
}
