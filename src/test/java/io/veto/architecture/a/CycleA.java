package io.veto.architecture.a;

import io.veto.architecture.b.CycleB;

/** Half of a package cycle made on purpose: {@code ArchitectureTest} proves its cycle rule finds it. */
public final class CycleA {
    private CycleA() {}

    public static int depth() {
        return CycleB.depth() + 1;
    }
}
