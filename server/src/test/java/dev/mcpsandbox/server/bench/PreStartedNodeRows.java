package dev.mcpsandbox.server.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * JavaScript's side of issue 16, all in one run: Node cannot fork a template, so a call gets a node started ahead of
 * it (the warm pool), with or without the operator's modules loaded ({@code forkServer.preload.javascript}). Each row
 * beside the bare {@code node -e} of the same run: latency, throughput and CPU per execution at concurrency 4, and an
 * import-heavy program. {@code bin/bench fork} runs these after the Python rows ({@code bin/bench fork javascript}
 * runs only these) and puts the section in place in BENCHMARKS.md.
 */
final class PreStartedNodeRows {
    static final String HEADING = "## Pre-started JavaScript in the product (node, bubblewrap)";
    private static final String NODE = "/usr/bin/node";
    /** limits.timeoutSeconds by default: what the pool's nodes were started with (see sequential). */
    private static final int DEFAULT_TIMEOUT = 30;
    private static final String SNIPPET = "console.log(6*7)";
    /** The largest CommonJS package a sandbox sees on this machine (under /usr, beside Mermaid's renderer). */
    private static final String HEAVY = "/usr/local/lib/node_modules/@mermaid-js/mermaid-cli/node_modules/puppeteer-core";
    private static final String HEAVY_PROGRAM = "const p = require('" + HEAVY + "');\n"
            + "console.log(typeof p.launch === 'function' ? 6*7 : 0)\n";
    private static final String CONFIG = "{\"pool\": {\"javascript\": %d}, \"execution\": {\"maxConcurrent\": 8,"
            + " \"queueSize\": 64}, \"forkServer\": {\"preload\": {\"javascript\": [%s]}}}";

    private final Benchmark bench;
    private final Path jar;
    private final int samples;

    PreStartedNodeRows(Benchmark bench, Path jar, int samples) {
        this.bench = bench;
        this.jar = jar;
        this.samples = samples;
    }

    void run() throws Exception {
        boolean heavy = Files.isDirectory(Path.of(HEAVY));
        String preload = heavy ? "\"" + HEAVY + "\"" : "";
        bench.line(HEADING);
        bench.line("");
        Benchmark.Stats floor = bench.floor(List.of(NODE, "-e", SNIPPET));
        bench.line("| path | p50 ms | p95 ms | p50 / bare `node -e` p50 |");
        bench.line("|---|---:|---:|---:|");
        row("bare `node -e console.log(6*7)` (the floor)", floor, floor);
        try (Benchmark.Server server = Benchmark.Server.start(jar, String.format(CONFIG, 2, ""))) {
            awaitPreloaded(server, "");
            row("execute_code, pre-started node (pool 2, no preload)",
                    sequential(server, 300, 10), floor);
        }
        if (heavy) {
            try (Benchmark.Server server = Benchmark.Server.start(jar, String.format(CONFIG, 2, preload))) {
                awaitPreloaded(server, preload);
                // Each pre-started node loads puppeteer-core (about 0.3 s of CPU): spaced so the pool refills.
                row("execute_code, pre-started node (pool 2, puppeteer-core preloaded)",
                        sequential(server, 1000, 5), floor);
            }
        }
        bench.line("");
        throughputAndCpu(heavy ? preload : "");
        if (heavy) {
            importHeavy(preload);
        } else {
            bench.line("No import-heavy row: " + HEAVY + " is not installed (`bin/setup` installs Mermaid's renderer).");
            bench.line("");
        }
        bench.line("Calls over stdio through the MCP Java SDK client, spaced so the pool refills between them (" + samples
                + " timed after a few untimed). A pre-started node has run its bootstrap and the preload (the"
                + " operator's modules, then the wait for the go line) before the call; the call pays the hand-over,"
                + " loading the entry file, the run, the exit and the Java side. The lane with a preload starts once a"
                + " sandbox of its own has checked the modules at server start; the rows wait until a call finds the module"
                + " loaded.");
        bench.line("");
    }

    /**
     * {@code samples} timed calls after {@code warmup} untimed ones, each answer checked. With the default timeout:
     * node cannot lower its rlimits at the go line, so a pre-started node serves only calls with the limits it was
     * started with (PoolKey), and a call asking for another timeout gets a sandbox of its own.
     */
    private Benchmark.Stats sequential(Benchmark.Server server, long pauseMs, int warmup) throws InterruptedException {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < samples + warmup; i++) {
            Thread.sleep(pauseMs);
            long t = System.nanoTime();
            Map<String, Object> r = server.execute("javascript", SNIPPET, DEFAULT_TIMEOUT);
            double took = (System.nanoTime() - t) / 1e6;
            Benchmark.check("javascript", "42\n", r);
            if (i >= warmup) {
                ms.add(took);
            }
        }
        return Benchmark.Stats.of(ms);
    }

    private void row(String path, Benchmark.Stats s, Benchmark.Stats floor) {
        bench.line(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.2f |", path, s.p50(), s.p95(), s.p50() / floor.p50()));
    }

    /**
     * The lane of a server with a preload starts after its check: wait until a call finds the module loaded before
     * its code ran, then for the pool to refill. A server without a preload only needs the refill.
     */
    private static void awaitPreloaded(Benchmark.Server server, String preload) throws InterruptedException {
        if (!preload.isEmpty()) {
            String probe = "console.log(Object.keys(require.cache).some((k) => k.startsWith('" + HEAVY + "/')) ? 42 : 0)";
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (!"42\n".equals(server.execute("javascript", probe, DEFAULT_TIMEOUT).get("stdout"))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no pre-started node had " + HEAVY + " loaded within 120 s");
                }
                Thread.sleep(1000);
            }
        }
        Thread.sleep(3000);
    }

    /** Throughput at concurrency 4 and CPU per execution, each beside bare spawns measured just before. */
    private void throughputAndCpu(String preload) throws Exception {
        int n = Math.max(80, samples * 2);
        long before = CpuAccount.reapedChildrenOfSelfNanos();
        for (int i = 0; i < n; i++) {
            bareSpawn(i);
        }
        double bareCpu = (CpuAccount.reapedChildrenOfSelfNanos() - before) / 1e6 / n;
        bench.line("| concurrency 4, " + n + " executions | per second | bare spawns per second | ratio |"
                + " CPU ms per execution | CPU / one bare spawn (" + String.format(Locale.ROOT, "%.1f", bareCpu) + " ms) |");
        bench.line("|---|---:|---:|---:|---:|---:|");
        List<String[]> paths = new ArrayList<>();
        paths.add(new String[] {"pre-started node (pool 4), no preload", "", String.format(CONFIG, 4, "")});
        if (!preload.isEmpty()) {
            paths.add(new String[] {"pre-started node (pool 4), puppeteer-core preloaded", preload,
                    String.format(CONFIG, 4, preload)});
        }
        for (String[] path : paths) {
            try (Benchmark.Server server = Benchmark.Server.start(jar, path[2])) {
                awaitPreloaded(server, path[1]);
                throughput(server, 4, 40);
                Thread.sleep(3000);
                double bare = bareThroughput(4, n);
                try (CpuAccount cpu = CpuAccount.of(server.pid())) {
                    long total = cpu.totalNanos();
                    long started = System.nanoTime();
                    int wrong = throughput(server, 4, n);
                    double perSecond = n / ((System.nanoTime() - started) / 1e9);
                    if (wrong > 0) {
                        throw new IllegalStateException(wrong + " wrong answers");
                    }
                    Thread.sleep(1000);
                    double cpuMs = (cpu.totalNanos() - total) / 1e6 / n;
                    bench.line(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.2f | %.1f | %.2f |", path[0],
                            perSecond, bare, perSecond / bare, cpuMs, cpuMs / bareCpu));
                }
            }
        }
        bench.line("");
        bench.line("CPU as in the Python rows: the server and everything below it in a cpuacct cgroup over the window"
                + " (with a pool, sandboxes started before the window and refills running after it roughly cancel"
                + " out), the bare spawns as this JVM's reaped children.");
        bench.line("");
    }

    /** {@code count} executions of {@code console.log(n*7)} from {@code concurrency} clients; the wrong answers. */
    private static int throughput(Benchmark.Server server, int concurrency, int count) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(concurrency);
        AtomicInteger wrong = new AtomicInteger();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int n = i;
                futures.add(clients.submit(() -> {
                    Map<String, Object> r = server.execute("javascript", "console.log(" + n + "*7)", DEFAULT_TIMEOUT);
                    if (!((n * 7) + "\n").equals(r.get("stdout"))) {
                        wrong.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            clients.shutdown();
        }
        return wrong.get();
    }

    private static void bareSpawn(int n) throws Exception {
        Process p = new ProcessBuilder(NODE, "-e", "console.log(" + n + "*7)").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        if (!out.equals((n * 7) + "\n")) {
            throw new IllegalStateException("bare node printed " + out);
        }
    }

    private static double bareThroughput(int concurrency, int count) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(concurrency);
        try {
            long start = System.nanoTime();
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int n = i;
                futures.add(threads.submit(() -> {
                    bareSpawn(n);
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            return count / ((System.nanoTime() - start) / 1e9);
        } finally {
            threads.shutdown();
        }
    }

    /** The import-heavy program bare, then served without and with the module preloaded, alternating calls. */
    private void importHeavy(String preload) throws Exception {
        int runs = Math.max(10, samples / 4);
        List<Double> bare = new ArrayList<>();
        List<Double> plain = new ArrayList<>();
        List<Double> preloaded = new ArrayList<>();
        try (Benchmark.Server without = Benchmark.Server.start(jar, String.format(CONFIG, 1, ""));
             Benchmark.Server with = Benchmark.Server.start(jar, String.format(CONFIG, 1, preload))) {
            awaitPreloaded(without, "");
            awaitPreloaded(with, preload);
            for (int i = 0; i < runs + 2; i++) {
                long t = System.nanoTime();
                Process p = new ProcessBuilder(NODE, "-e", HEAVY_PROGRAM).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes());
                p.waitFor();
                double tookBare = (System.nanoTime() - t) / 1e6;
                if (!out.equals("42\n")) {
                    throw new IllegalStateException("bare node printed " + out);
                }
                Thread.sleep(700);
                double tookPlain = served(without);
                Thread.sleep(700);
                double tookPreloaded = served(with);
                if (i >= 2) {
                    bare.add(tookBare);
                    plain.add(tookPlain);
                    preloaded.add(tookPreloaded);
                }
                Thread.sleep(700);
            }
        }
        Benchmark.Stats b = Benchmark.Stats.of(bare);
        Benchmark.Stats w = Benchmark.Stats.of(plain);
        Benchmark.Stats s = Benchmark.Stats.of(preloaded);
        bench.line("| `require(puppeteer-core)` | bare `node -e` p50 ms | pre-started, no preload, p50 ms | ratio |"
                + " pre-started, puppeteer-core preloaded, p50 ms | ratio |");
        bench.line("|---|---:|---:|---:|---:|---:|");
        bench.line(String.format(Locale.ROOT, "| %d alternating calls each | %.0f | %.0f | %.2f | %.0f | %.2f |", runs,
                b.p50(), w.p50(), w.p50() / b.p50(), s.p50(), s.p50() / b.p50()));
        bench.line("");
    }

    private static double served(Benchmark.Server server) {
        long t = System.nanoTime();
        Map<String, Object> r = server.execute("javascript", HEAVY_PROGRAM, DEFAULT_TIMEOUT);
        double took = (System.nanoTime() - t) / 1e6;
        Benchmark.check("javascript", "42\n", r);
        return took;
    }
}
