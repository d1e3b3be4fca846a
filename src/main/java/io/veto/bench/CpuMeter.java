package io.veto.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How busy the machine was during a phase of a benchmark, and how much of that was this JVM: on a
 * shared machine the rest is other people's builds and tests, which a figure must be read against.
 * Reads the machine's busy time from {@code /proc/stat} (Linux) and this process's CPU time from
 * the JVM; elsewhere the machine's share is unknown (NaN).
 */
final class CpuMeter {
    /** Linux reports {@code /proc/stat} in clock ticks of 10 ms on every common kernel configuration. */
    private static final double TICK_NANOS = 10_000_000.0;

    private final long startNanos;
    private final long startProcessCpu;
    private final long startBusyTicks;

    private CpuMeter(long startNanos, long startProcessCpu, long startBusyTicks) {
        this.startNanos = startNanos;
        this.startProcessCpu = startProcessCpu;
        this.startBusyTicks = startBusyTicks;
    }

    static CpuMeter start() {
        return new CpuMeter(System.nanoTime(), processCpuNanos(), busyTicks());
    }

    /** CPU use over the phase so far, in cores (2.0 = both cores of a 2-core machine busy). */
    record Usage(double seconds, double machineCores, double thisJvmCores, double loadAverage) {
        /** What other processes used, in cores: the noise the phase ran in. */
        double othersCores() {
            return Double.isNaN(machineCores) ? Double.NaN : Math.max(0, machineCores - thisJvmCores);
        }
    }

    Usage stop() {
        double elapsed = System.nanoTime() - startNanos;
        long busy = busyTicks();
        double machine = busy < 0 || startBusyTicks < 0 ? Double.NaN : (busy - startBusyTicks) * TICK_NANOS / elapsed;
        double jvm = (processCpuNanos() - startProcessCpu) / elapsed;
        return new Usage(elapsed / 1e9, machine, jvm, loadAverage());
    }

    static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    /** Ticks all CPUs spent busy since boot (everything but idle and iowait); -1 when unknown. */
    private static long busyTicks() {
        try {
            String line = Files.readAllLines(Path.of("/proc/stat")).get(0);
            String[] f = line.trim().split("\\s+");
            if (!f[0].equals("cpu")) {
                return -1;
            }
            long busy = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                if (i != 4 && i != 5) { // idle, iowait
                    busy += Long.parseLong(f[i]);
                }
            }
            return busy;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
