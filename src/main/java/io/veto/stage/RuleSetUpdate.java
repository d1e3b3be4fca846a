package io.veto.stage;

/**
 * A rule set as published on the rules topic, after the rules source's {@link RuleSetGuard}: either
 * accepted (signed, named, within limits, its examples pass), for every rule-aware operator to
 * decode and compile where it will run, or refused with the problems they all report.
 *
 * @param origin where it came from, {@code topic/partition/offset}, for the status message
 * @param name the rule-set name, when refused ({@code ?} when it has no usable one); null when accepted
 * @param version the version, when refused; null when accepted
 * @param problems why it was refused; null when accepted
 */
public record RuleSetUpdate(byte[] json, String origin, String name, String version, String[] problems) {

    /** An accepted publication. */
    public RuleSetUpdate(byte[] json, String origin) {
        this(json, origin, null, null, null);
    }

    public boolean refused() {
        return problems != null;
    }
}
