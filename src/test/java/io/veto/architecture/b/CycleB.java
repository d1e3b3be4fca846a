package io.veto.architecture.b;

import io.veto.architecture.a.CycleA;

/** The other half of the package cycle {@link CycleA} starts. */
public final class CycleB {
    private CycleB() {}

    public static int depth() {
        return 0;
    }

    public static int round() {
        return CycleA.depth();
    }
}
