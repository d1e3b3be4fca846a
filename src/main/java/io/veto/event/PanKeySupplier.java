package io.veto.event;

import java.io.Serializable;

/**
 * Supplies the PAN tokenization key where the parser runs (on each TaskManager). The production
 * supplier reads the TaskManager's environment, so the key is never part of the job graph or its
 * configuration.
 */
@FunctionalInterface
public interface PanKeySupplier extends Serializable {
    /** The key, or null when none is configured. */
    byte[] get();

    static PanKeySupplier fromEnvironment() {
        return () -> PanKey.fromEnvironment().orElse(null);
    }
}
