package dev.mcpsandbox.server.operations;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/** A cumulative Prometheus histogram of seconds, lock-free; also keeps the maximum for the stats summary. */
final class LatencyHistogram {
    /** From a warm Python run (~30 ms) to the largest timeout an operator is likely to allow. */
    static final double[] BOUNDS = {0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};

    private final LongAdder[] buckets = new LongAdder[BOUNDS.length];
    private final LongAdder count = new LongAdder();
    private final DoubleAdder sum = new DoubleAdder();
    private final AtomicLong maxMillis = new AtomicLong();

    LatencyHistogram() {
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new LongAdder();
        }
    }

    void observe(double seconds) {
        for (int i = 0; i < BOUNDS.length; i++) {
            if (seconds <= BOUNDS[i]) {
                buckets[i].increment();
                break;
            }
        }
        count.increment();
        sum.add(seconds);
        maxMillis.accumulateAndGet(Math.round(seconds * 1000), Math::max);
    }

    void write(PrometheusText p, String name, Map<String, String> labels) {
        long cumulative = 0;
        for (int i = 0; i < BOUNDS.length; i++) {
            cumulative += buckets[i].sum();
            Map<String, String> l = new LinkedHashMap<>(labels);
            l.put("le", PrometheusText.number(BOUNDS[i]));
            p.sample(name + "_bucket", l, cumulative);
        }
        long n = count.sum();
        Map<String, String> inf = new LinkedHashMap<>(labels);
        inf.put("le", "+Inf");
        p.sample(name + "_bucket", inf, n);
        p.sample(name + "_sum", labels, sum.sum());
        p.sample(name + "_count", labels, n);
    }

    Map<String, Object> summary() {
        long n = count.sum();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", n);
        m.put("mean", n == 0 ? 0 : Math.round(sum.sum() * 1000 / n));
        m.put("max", maxMillis.get());
        return m;
    }
}
