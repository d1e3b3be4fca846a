package io.veto.rule;

/**
 * One value of an allow or block list as the analyst wrote it.
 *
 * @param value the value, e.g. {@code tok_9f2c...}, {@code KP} or the BIN range {@code 400000-400099}
 * @param note why it is on the list (ticket, source), or null
 * @param expires event time from which the value no longer matches; {@link Long#MAX_VALUE} when never
 * @param line where it is written in the list file
 */
public record ListEntry(String value, String note, long expires, int line) {

    public boolean activeAt(long eventTime) {
        return eventTime < expires;
    }
}
