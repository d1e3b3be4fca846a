package io.veto.bench;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

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
    private final Map<Long, Long> startThreadCpu;

    private CpuMeter(long startNanos, long startProcessCpu, long startBusyTicks, Map<Long, Long> startThreadCpu) {
        this.startNanos = startNanos;
        this.startProcessCpu = startProcessCpu;
        this.startBusyTicks = startBusyTicks;
        this.startThreadCpu = startThreadCpu;
    }

    static CpuMeter start() {
        return new CpuMeter(System.nanoTime(), processCpuNanos(), busyTicks(), threadCpu());
    }

    /**
     * CPU use over the phase so far, in cores (2.0 = both cores of a 2-core machine busy), and the
     * CPU seconds of this JVM's threads by group (thread names without their numbers), most first.
     */
    record Usage(
            double seconds,
            double machineCores,
            double thisJvmCores,
            double loadAverage,
            Map<String, Double> threadSeconds) {
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
        Map<String, Double> byGroup = new HashMap<>();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (Map.Entry<Long, Long> now : threadCpu().entrySet()) {
            long used = now.getValue() - startThreadCpu.getOrDefault(now.getKey(), 0L);
            ThreadInfo info = threads.getThreadInfo(now.getKey());
            if (used > 0 && info != null) {
                byGroup.merge(group(info.getThreadName()), used / 1e9, Double::sum);
            }
        }
        Map<String, Double> sorted = new LinkedHashMap<>();
        byGroup.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return new Usage(elapsed / 1e9, machine, jvm, loadAverage(), sorted);
    }

    /** A thread's group: its name without numbers and subtask indexes ("card features ... (1/2)#0" -> "card features ..."). */
    static String group(String name) {
        return name.replaceAll("\\s*\\(\\d+/\\d+\\)(#\\d+)?", "").replaceAll("\\d+", "#");
    }

    private static Map<Long, Long> threadCpu() {
        Map<Long, Long> cpu = new HashMap<>();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        if (!threads.isThreadCpuTimeSupported()) {
            return cpu;
        }
        for (long id : threads.getAllThreadIds()) {
            long t = threads.getThreadCpuTime(id);
            if (t > 0) {
                cpu.put(id, t);
            }
        }
        return cpu;
    }

    static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
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
