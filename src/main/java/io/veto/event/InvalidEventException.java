package io.veto.event;

/** A record that is not a valid event; the message is the reason the DLQ shows (never with a PAN). */
public final class InvalidEventException extends Exception {
    public InvalidEventException(String reason) {
        super(reason, null, false, false);
    }
}
