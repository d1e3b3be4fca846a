package io.veto.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;

/**
 * A metric group that keeps what is registered in it, by path: {@code rule=velocity.hits} for
 * {@code addGroup("rule", "velocity").counter("hits")}. Flink's own groups need a running registry.
 */
final class RecordingMetricGroup extends UnregisteredMetricsGroup {
    private final Map<String, Metric> metrics;
    private final String prefix;

    RecordingMetricGroup() {
        this(new ConcurrentHashMap<>(), "");
    }

    private RecordingMetricGroup(Map<String, Metric> metrics, String prefix) {
        this.metrics = metrics;
        this.prefix = prefix;
    }

    Metric get(String path) {
        return metrics.get(path);
    }

    long count(String path) {
        Metric m = metrics.get(path);
        return m == null ? 0 : ((Counter) m).getCount();
    }

    Object gauge(String path) {
        return ((Gauge<?>) metrics.get(path)).getValue();
    }

    Histogram histogram(String path) {
        return (Histogram) metrics.get(path);
    }

    private <M extends Metric> M keep(String name, M metric) {
        metrics.put(prefix + name, metric);
        return metric;
    }

    @Override
    public Counter counter(String name) {
        return keep(name, new SimpleCounter());
    }

    @Override
    public <C extends Counter> C counter(String name, C counter) {
        return keep(name, counter);
    }

    @Override
    public <T, G extends Gauge<T>> G gauge(String name, G gauge) {
        return keep(name, gauge);
    }

    @Override
    public <H extends Histogram> H histogram(String name, H histogram) {
        return keep(name, histogram);
    }

    @Override
    public MetricGroup addGroup(String name) {
        return new RecordingMetricGroup(metrics, prefix + name + ".");
    }

    @Override
    public MetricGroup addGroup(String key, String value) {
        return new RecordingMetricGroup(metrics, prefix + key + "=" + value + ".");
    }
}
