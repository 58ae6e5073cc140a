package dev.mcpsandbox.sandbox.pool;

import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxBackend;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executors;

/**
 * Sandboxes started ahead of demand, each used by exactly one execution and then destroyed. A sandbox
 * here is already created (namespaces, cgroups, scratch disk) and its runtime is waiting for its go
 * line, so taking one skips everything but the code itself. Nothing is ever returned to the pool.
 *
 * <p>Each language keeps a target number ready, refilled in the background by at most one thread per
 * core, each creating one sandbox at a time. The target adapts to demand: a take that finds the pool
 * empty raises it (up to twice the configured size); a quiet minute lowers it back.
 */
public final class WarmPool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WarmPool.class);
    private static final Duration QUIET = Duration.ofSeconds(60);

    private final SandboxBackend backend;
    private final Clock clock;
    private final Map<String, Lane> lanes = new ConcurrentHashMap<>();
    private final ExecutorService refill = Executors.newFixedThreadPool(
            Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())), r -> {
                Thread t = new Thread(r, "warm-pool");
                t.setDaemon(true);
                return t;
            });
    private volatile boolean closed;

    public WarmPool(SandboxBackend backend, Clock clock) {
        this.backend = backend;
        this.clock = clock;
    }

    /**
     * Keeps {@code size} sandboxes of {@code template} ready for {@code languageId}. Requests whose spec
     * has the same {@link PoolKey} are served from here.
     */
    public void keep(String languageId, SandboxSpec template, int size) {
        keep(languageId, template, template, size);
    }

    /**
     * Keeps {@code size} sandboxes made from {@code template} ready for requests whose spec has the {@link PoolKey}
     * of {@code serves}: a template that differs only in what its runtime does before the go line (the operator's
     * preloaded modules) serves the requests of the plain one, which a sandbox created for a call would run.
     */
    public void keep(String languageId, SandboxSpec template, SandboxSpec serves, int size) {
        int capped = Math.min(size, memoryCap(template));
        if (capped < size) {
            log.info("pre-starting {} {} sandboxes instead of {}: each may use {} MB", capped, languageId, size,
                    template.limits().memoryMb());
        }
        if (capped <= 0) {
            return;
        }
        Lane lane = new Lane(languageId, template, PoolKey.of(serves), capped);
        lanes.put(languageId, lane);
        scheduleRefill(lane);
    }

    /**
     * Idle sandboxes hold little, but each may grow to its memory limit the moment it runs; the sandboxes one
     * language keeps ready (including growth under demand, twice the configured size) may together reserve
     * at most a quarter of the machine's memory.
     */
    private static int memoryCap(SandboxSpec template) {
        long physical = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getTotalMemorySize();
        long perSandbox = Math.max(1, template.limits().memoryMb()) * 1024L * 1024L;
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, physical / 4 / perSandbox / 2));
    }

    /** A ready sandbox for this spec, or empty (the caller takes the cold path). Never the same one twice. */
    public Optional<Sandbox> take(String languageId, SandboxSpec spec) {
        Lane lane = lanes.get(languageId);
        if (lane == null || !lane.key.serves(PoolKey.of(spec))) {
            return Optional.empty();
        }
        Optional<Sandbox> taken = lane.poll();
        scheduleRefill(lane);
        return taken;
    }

    /** Sandboxes ready right now, per language. */
    public Map<String, Integer> ready() {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        lanes.forEach((id, lane) -> counts.put(id, lane.size()));
        return counts;
    }

    /** Starts as many creations as the lane is short of; each task creates exactly one sandbox. */
    private void scheduleRefill(Lane lane) {
        while (!closed && lane.startCreation()) {
            try {
                refill.execute(() -> createOne(lane));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                lane.creationFailed();
                return;
            }
        }
    }

    private void createOne(Lane lane) {
        try {
            Sandbox sandbox = backend.create(lane.template);
            if (!lane.offer(sandbox)) {
                sandbox.close();
            }
        } catch (SandboxException | RuntimeException e) {
            lane.creationFailed();
            if (!closed) {
                // a creation cut short by close() is no news
                log.warn("cannot pre-start a {} sandbox: {}", lane.languageId, e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        refill.shutdownNow();
        // A creation cut short cleans up after itself (its scratch mount among others): the backend closes next and
        // deletes the run directory, which failed while a mount was still in it.
        try {
            if (!refill.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("a warm pool creation still runs 10 s after close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lanes.values().forEach(Lane::drain);
    }

    /** The ready sandboxes of one language. */
    private final class Lane {
        private final String languageId;
        private final SandboxSpec template;
        private final PoolKey key;
        private final int configured;
        private final Deque<Sandbox> ready = new ArrayDeque<>();
        private int creating;
        private int target;
        private Instant lastMiss = Instant.MIN;

        Lane(String languageId, SandboxSpec template, PoolKey key, int configured) {
            this.languageId = languageId;
            this.template = template;
            this.key = key;
            this.configured = configured;
            this.target = configured;
        }

        synchronized Optional<Sandbox> poll() {
            while (!ready.isEmpty()) {
                Sandbox sandbox = ready.pollFirst();
                if (sandbox.alive()) {
                    adaptAfterHit();
                    return Optional.of(sandbox);
                }
                log.info("a pre-started {} sandbox died while waiting; discarding it", languageId);
                sandbox.close();
            }
            lastMiss = clock.instant();
            target = Math.min(configured * 2, target + 1);
            return Optional.empty();
        }

        private void adaptAfterHit() {
            if (target > configured && Duration.between(lastMiss, clock.instant()).compareTo(QUIET) > 0) {
                target--;
            }
        }

        /** Reserves one creation when ready plus in-progress sandboxes fall short of the target. */
        synchronized boolean startCreation() {
            if (ready.size() + creating >= target) {
                return false;
            }
            creating++;
            return true;
        }

        synchronized void creationFailed() {
            creating--;
        }

        synchronized boolean offer(Sandbox sandbox) {
            creating--;
            if (closed) {
                return false;
            }
            ready.addLast(sandbox);
            return true;
        }

        synchronized int size() {
            return ready.size();
        }

        void drain() {
            List<Sandbox> all;
            synchronized (this) {
                all = List.copyOf(ready);
                ready.clear();
            }
            all.forEach(Sandbox::close);
        }
    }
}
