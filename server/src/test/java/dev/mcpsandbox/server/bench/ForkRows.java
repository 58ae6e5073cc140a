package dev.mcpsandbox.server.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The fork server's rows (issue 16), all in one run: Python through the fork path beside the bare {@code python3 -c}
 * floor and beside the same pool without the fork server; throughput at concurrency 4 and CPU per execution beside
 * bare spawns; the numpy program with numpy preloaded in the template beside the bare interpreter running it.
 * {@code bin/bench fork} runs only these and puts the section in place in BENCHMARKS.md.
 */
final class ForkRows {
    private static final String SNIPPET = "print(6*7)";
    private static final String NUMPY = "import numpy as np\nprint(int(np.arange(10**6).sum()) % 97)\n";
    private static final String FORK_ON = "{\"pool\": {\"python\": %d}, \"execution\": {\"maxConcurrent\": 8, \"queueSize\": 64},"
            + " \"forkServer\": {\"enabled\": true, \"preload\": {\"python\": [%s]}}}";
    private static final String FORK_OFF = "{\"pool\": {\"python\": %d}, \"execution\": {\"maxConcurrent\": 8, \"queueSize\": 64},"
            + " \"forkServer\": {\"enabled\": false}}";

    private final Benchmark bench;
    private final Path jar;
    private final int samples;

    ForkRows(Benchmark bench, Path jar, int samples) {
        this.bench = bench;
        this.jar = jar;
        this.samples = samples;
    }

    void run() throws Exception {
        bench.line("## Fork path in the product (python, bubblewrap)");
        bench.line("");
        Benchmark.Stats floor = bench.floor(List.of("/usr/bin/python3", "-c", SNIPPET));
        bench.line("| path | p50 ms | p95 ms | p50 / bare `python3 -c` p50 |");
        bench.line("|---|---:|---:|---:|");
        row("bare `python3 -c print(6*7)` (the floor)", floor, floor);
        Benchmark.Stats forked;
        Benchmark.Stats pooled;
        try (Benchmark.Server server = Benchmark.Server.start(jar, String.format(FORK_ON, 2, ""))) {
            Thread.sleep(3000);
            forked = bench.sequential(server, "python", SNIPPET, 150, samples, 10);
        }
        row("execute_code, fork path (forkServer on, pool 2)", forked, floor);
        try (Benchmark.Server server = Benchmark.Server.start(jar, String.format(FORK_OFF, 2))) {
            Thread.sleep(3000);
            pooled = bench.sequential(server, "python", SNIPPET, 150, samples, 10);
        }
        row("execute_code, pre-started bwrap sandbox (forkServer off, pool 2)", pooled, floor);
        bench.line("");
        throughputAndCpu();
        numpy();
        sessions();
        bench.line("Calls over stdio through the MCP Java SDK client, 150 ms apart so the pool refills between them"
                + " (" + samples + " timed after 10 untimed). With the fork server on, the pool holds children already"
                + " forked, set up and waiting for their go line; a call pays the hand-over, the run and the Java side."
                + " CPU is counted in a cpuacct cgroup holding the server and everything below it; the server JVM's"
                + " share is its own utime + stime, the reaped processes' its cutime + cstime (helper processes such"
                + " as mount, and on the pre-started path the bwrap sandboxes themselves), the rest is what runs"
                + " below the JVM without being reaped by it: the fork template and its children.");
        bench.line("");
    }

    private void row(String path, Benchmark.Stats s, Benchmark.Stats floor) {
        bench.line(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.2f |", path, s.p50(), s.p95(), s.p50() / floor.p50()));
    }

    /** Throughput at concurrency 4 and CPU per execution, each beside bare spawns measured just before. */
    private void throughputAndCpu() throws Exception {
        int n = Math.max(80, samples * 2);
        long before = CpuAccount.reapedChildrenOfSelfNanos();
        for (int i = 0; i < n; i++) {
            bench.bareSpawn(i);
        }
        double bareCpu = (CpuAccount.reapedChildrenOfSelfNanos() - before) / 1e6 / n;
        bench.line("| concurrency 4, " + n + " executions | per second | bare spawns per second | ratio |"
                + " CPU ms per execution | CPU / one bare spawn (" + String.format(Locale.ROOT, "%.1f", bareCpu) + " ms) |"
                + " of which server JVM | processes the JVM reaped | the rest (template and children) |");
        bench.line("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (String[] path : List.of(new String[] {"fork path", String.format(FORK_ON, 4, "")},
                new String[] {"pre-started bwrap sandboxes", String.format(FORK_OFF, 4)})) {
            try (Benchmark.Server server = Benchmark.Server.start(jar, path[1])) {
                Thread.sleep(3000);
                bench.throughput(server, 4, 100);
                double bare = bench.bareThroughput(4, n);
                try (CpuAccount cpu = CpuAccount.of(server.pid())) {
                    long total = cpu.totalNanos();
                    long own = cpu.ownNanos();
                    long reaped = cpu.reapedChildrenNanos();
                    Benchmark.Throughput t = bench.throughput(server, 4, n);
                    if (t.wrong() > 0) {
                        throw new IllegalStateException(t.wrong() + " wrong answers");
                    }
                    Thread.sleep(1000);
                    double cpuMs = (cpu.totalNanos() - total) / 1e6 / n;
                    double ownMs = (cpu.ownNanos() - own) / 1e6 / n;
                    double reapedMs = (cpu.reapedChildrenNanos() - reaped) / 1e6 / n;
                    bench.line(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.2f | %.1f | %.2f | %.1f | %.1f | %.1f |",
                            path[0], t.perSecond(), bare, t.perSecond() / bare, cpuMs, cpuMs / bareCpu, ownMs, reapedMs,
                            cpuMs - ownMs - reapedMs));
                }
            }
        }
        bench.line("");
    }

    /** The numpy program, bare and through the fork path with numpy preloaded, alternating calls. */
    private void numpy() throws Exception {
        String expected = (999_999L * 1_000_000L / 2) % 97 + "\n";
        int runs = Math.max(10, samples / 4);
        List<Double> bare = new ArrayList<>();
        List<Double> served = new ArrayList<>();
        Path dir = Files.createTempDirectory("bench-fork-numpy");
        try (Benchmark.Server server = Benchmark.Server.start(jar, String.format(FORK_ON, 2, "\"numpy\""))) {
            Thread.sleep(5000);
            for (int i = 0; i < runs + 3; i++) {
                long t = System.nanoTime();
                Process p = new ProcessBuilder("/usr/bin/python3", "-c", NUMPY).directory(dir.toFile())
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes());
                p.waitFor();
                double tookBare = (System.nanoTime() - t) / 1e6;
                if (!out.equals(expected)) {
                    throw new IllegalStateException("bare numpy printed " + out);
                }
                Thread.sleep(300);
                t = System.nanoTime();
                Map<String, Object> r = server.execute("python", NUMPY, 60);
                double tookServed = (System.nanoTime() - t) / 1e6;
                Benchmark.check("python", expected, r);
                if (i >= 3) {
                    bare.add(tookBare);
                    served.add(tookServed);
                }
                Thread.sleep(300);
            }
        }
        Benchmark.Stats b = Benchmark.Stats.of(bare);
        Benchmark.Stats s = Benchmark.Stats.of(served);
        bench.line("| `import numpy` + a sum of 10^6 | bare p50 ms | fork path, numpy preloaded, p50 ms | ratio |");
        bench.line("|---|---:|---:|---:|");
        bench.line(String.format(Locale.ROOT, "| %d alternating calls each | %.0f | %.0f | %.2f |", runs, b.p50(), s.p50(),
                s.p50() / b.p50()));
        bench.line("");
    }

    /**
     * The first call of a new session (which starts its sandbox, agent and kernel), cold (forkServer off) beside
     * forked from the sessions' template, for {@code print(6*7)} and for the numpy program with numpy preloaded. Both
     * servers run at once and the calls alternate between them, so both see the same load. With
     * {@code -Dbench.baselineJar=JAR} the cold side is that jar with forkServer on instead (an earlier build).
     */
    void sessions() throws Exception {
        int runs = Math.max(10, samples / 4);
        Path baseline = Path.of(System.getProperty("bench.baselineJar", jar.toString()));
        boolean ownJar = baseline.equals(jar);
        String numpyExpected = (999_999L * 1_000_000L / 2) % 97 + "\n";
        bench.line("| first call of a new session, p50 ms (p95) | " + (ownJar ? "forkServer off (cold)"
                : "baseline jar, forkServer on") + " | forkServer on (forked) | ratio |");
        bench.line("|---|---:|---:|---:|");
        for (String[] program : List.of(new String[] {"`print(6*7)`", SNIPPET, "42\n", ""},
                new String[] {"`import numpy` + a sum of 10^6, numpy preloaded", NUMPY, numpyExpected, "\"numpy\""})) {
            List<Double> cold = new ArrayList<>();
            List<Double> forked = new ArrayList<>();
            try (Benchmark.Server coldServer = Benchmark.Server.start(baseline, ownJar ? String.format(FORK_OFF, 0)
                    : String.format(FORK_ON, 0, program[3]));
                 Benchmark.Server forkServer = Benchmark.Server.start(jar, String.format(FORK_ON, 0, program[3]))) {
                for (Benchmark.Server server : List.of(coldServer, forkServer)) {
                    server.executeIn("warm-up", "python", SNIPPET, 60);  // starts the sessions' template when forked
                }
                Thread.sleep(5000);
                for (int i = 0; i < runs + 3; i++) {
                    double c = firstCall(coldServer, "first-" + i, program);
                    double f = firstCall(forkServer, "first-" + i, program);
                    if (i >= 3) {
                        cold.add(c);
                        forked.add(f);
                    }
                }
            }
            Benchmark.Stats c = Benchmark.Stats.of(cold);
            Benchmark.Stats f = Benchmark.Stats.of(forked);
            bench.line(String.format(Locale.ROOT, "| %s | %.0f (%.0f) | %.0f (%.0f) | %.2f |", program[0], c.p50(),
                    c.p95(), f.p50(), f.p95(), f.p50() / c.p50()));
        }
        bench.line("");
        bench.line("Each session is opened by its timed first call and ended at once; " + runs + " calls on each side"
                + " after 3 untimed, alternating between the two servers, 300 ms apart. Forked: the session's sandbox is"
                + " a child of the sessions' template and its Python kernel a fork of the session's agent, so it starts"
                + " with the template's modules imported.");
        bench.line("");
    }

    private static double firstCall(Benchmark.Server server, String session, String[] program) throws Exception {
        long t = System.nanoTime();
        Map<String, Object> r = server.executeIn(session, "python", program[1], 60);
        double ms = (System.nanoTime() - t) / 1e6;
        Benchmark.check("python", program[2], r);
        server.endSession(session);
        Thread.sleep(300);
        return ms;
    }
}
