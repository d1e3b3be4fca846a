package io.veto.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * The top frames of a JFR recording's CPU samples ({@code jdk.ExecutionSample}), what JDK 17's
 * {@code jfr} tool cannot summarise by itself: samples per thread group (thread names without
 * their numbers), the hottest methods by self time, and by total time (on the stack) — optionally
 * only for threads whose name matches a regex, e.g. Flink's task threads, and for a time slice
 * (seconds since the JVM started, as the benchmark's report lines). {@code --native true} adds {@code jdk.NativeMethodSample}: threads
 * in native code (RocksDB's JNI calls, socket I/O, but also threads parked in epoll), which
 * execution samples leave out.
 *
 * <pre>java -cp target/tools-classes io.veto.bench.JfrTop target/bench-e2e.jfr [--threads REGEX] [--top N] [--from S] [--to S] [--native true] [--callers Class.method --depth N]</pre>
 */
public final class JfrTop {
    private JfrTop() {}

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println(
                    "usage: JfrTop FILE.jfr [--threads REGEX] [--top N] [--from S] [--to S] [--native true]");
            System.exit(2);
        }
        Path file = Path.of(args[0]);
        Pattern threads = null;
        int top = 25;
        double from = 0;
        double to = Double.MAX_VALUE;
        boolean nativeToo = false;
        String callersOf = null;
        int depth = 6;
        for (int i = 1; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--threads" -> threads = Pattern.compile(args[i + 1]);
                case "--top" -> top = Integer.parseInt(args[i + 1]);
                case "--from" -> from = Double.parseDouble(args[i + 1]);
                case "--to" -> to = Double.parseDouble(args[i + 1]);
                case "--native" -> nativeToo = Boolean.parseBoolean(args[i + 1]);
                case "--callers" -> callersOf = args[i + 1];
                case "--depth" -> depth = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Map<String, Long> byThread = new HashMap<>();
        Map<String, Long> self = new HashMap<>();
        Map<String, Long> total = new HashMap<>();
        Map<String, Long> callers = new HashMap<>();
        long samples = 0;
        long all = 0;
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        // Seconds are counted from the JVM's start (jdk.JVMInformation), as the benchmark's report lines are.
        long first = Long.MAX_VALUE;
        for (RecordedEvent e : events) {
            if (e.getEventType().getName().equals("jdk.JVMInformation") && e.hasField("jvmStartTime")) {
                first = Math.min(first, e.getInstant("jvmStartTime").toEpochMilli());
            }
        }
        if (first == Long.MAX_VALUE) {
            for (RecordedEvent e : events) {
                first = Math.min(first, e.getStartTime().toEpochMilli());
            }
        }
        for (RecordedEvent e : events) {
            String type = e.getEventType().getName();
            if (!type.equals("jdk.ExecutionSample") && !(nativeToo && type.equals("jdk.NativeMethodSample"))) {
                continue;
            }
            long t = e.getStartTime().toEpochMilli();
            double at = (t - first) / 1000.0;
            if (at < from || at > to) {
                continue;
            }
            all++;
            String thread = e.getThread("sampledThread") == null
                    ? "?"
                    : e.getThread("sampledThread").getJavaName();
            String group = thread == null ? "?" : thread.replaceAll("[0-9]+", "#");
            if (threads != null && (thread == null || !threads.matcher(thread).find())) {
                byThread.merge(group, 1L, Long::sum);
                continue;
            }
            byThread.merge(group, 1L, Long::sum);
            RecordedStackTrace st = e.getStackTrace();
            if (st == null || st.getFrames().isEmpty()) {
                continue;
            }
            samples++;
            List<RecordedFrame> frames = st.getFrames();
            self.merge(name(frames.get(0)), 1L, Long::sum);
            if (callersOf != null) {
                for (int k = 0; k < frames.size(); k++) {
                    if (name(frames.get(k)).equals(callersOf)) {
                        StringBuilder chain = new StringBuilder();
                        for (int j = k; j < Math.min(frames.size(), k + depth); j++) {
                            chain.append(j == k ? "" : " <- ").append(name(frames.get(j)));
                        }
                        callers.merge(chain.toString(), 1L, Long::sum);
                        break;
                    }
                }
            }
            Set<String> seen = new HashSet<>();
            for (RecordedFrame f : frames) {
                String n = name(f);
                if (seen.add(n)) {
                    total.merge(n, 1L, Long::sum);
                }
            }
        }
        System.out.printf(
                Locale.ROOT,
                "%,d CPU samples%s; %,d in the selected threads%n",
                all,
                threads == null ? "" : " (threads matching " + threads + ")",
                samples);
        System.out.println("\nSamples by thread group:");
        print(byThread, all, top);
        System.out.println("\nTop methods, self (the frame on CPU):");
        print(self, samples, top);
        System.out.println("\nTop methods, total (anywhere on the stack):");
        print(total, samples, top);
        if (callersOf != null) {
            System.out.println("\nCall chains of " + callersOf + ":");
            print(callers, samples, top);
        }
    }

    private static String name(RecordedFrame f) {
        RecordedMethod m = f.getMethod();
        String type = m.getType().getName();
        return type.substring(type.lastIndexOf('.') + 1) + "." + m.getName();
    }

    private static void print(Map<String, Long> counts, long of, int top) {
        List<Map.Entry<String, Long>> list = new ArrayList<>(counts.entrySet());
        list.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
        for (int i = 0; i < Math.min(top, list.size()); i++) {
            System.out.printf(
                    Locale.ROOT,
                    "  %6.2f%%  %8d  %s%n",
                    100.0 * list.get(i).getValue() / of,
                    list.get(i).getValue(),
                    list.get(i).getKey());
        }
    }
}
