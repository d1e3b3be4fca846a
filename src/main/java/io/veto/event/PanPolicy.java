package io.veto.event;

/** What the parser does with an event that carries a raw card number. */
public enum PanPolicy {
    /** Replace it with a keyed HMAC token; the job refuses to start without a key. */
    TOKENIZE,
    /** Send the event to the DLQ (masked); for deployments where upstream must tokenize. */
    REJECT
}
