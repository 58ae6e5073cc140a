package dev.mcpsandbox.server.bench;

import dev.mcpsandbox.server.SandboxServer;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Measures, in one run and side by side, the floor (the bare interpreter running the same snippet) and
 * execute_code end to end through the MCP Java SDK client over stdio: cold and warm paths, throughput at
 * concurrency 1, 4 and 8 with every answer checked, the tool bridge round trip, start-up and memory.
 * Ratios are to the floor measured in the same run, because the machines are shared and absolute
 * times drift. Run with {@code bin/bench}; writes BENCHMARKS.md.
 */
public final class Benchmark {
    private static final String SNIPPET_PY = "print(6*7)";
    private static final int WARM_UP = Integer.getInteger("bench.cpuWarmUp", 200);
    private final Path jar;
    private final Path upstreamDir;
    private final int samples;
    private final StringBuilder report = new StringBuilder();

    private Benchmark(Path jar, Path upstreamDir, int samples) {
        this.jar = jar;
        this.upstreamDir = upstreamDir;
        this.samples = samples;
    }

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(System.getProperty("mcpSandbox.jar", "server/target/mcp-sandbox.jar")).toAbsolutePath();
        Path upstream = Path.of(System.getProperty("mcpSandbox.upstreamDir", ".ci/upstream/node_modules")).toAbsolutePath();
        int samples = Integer.getInteger("bench.samples", 60);
        Path out = Path.of(args.length > 0 ? args[0] : "BENCHMARKS.md");
        Benchmark bench = new Benchmark(jar, upstream, samples);
        if (System.getProperty("bench.only", "").equals("startup")) {
            // bin/bench startup: only the start-up section, put in place of its old one
            SoakReport.replaceSection(out, StartupLatency.HEADING, bench.startupSection());
            System.exit(0);
        }
        if (System.getProperty("bench.only", "").equals("fork")) {
            // bin/bench fork [python|javascript]: only issue 16's sections (Python's fork path, JavaScript's
            // pre-started node), each put in place of its old one
            String only = args.length > 1 ? args[1] : "";
            if (!only.equals("javascript")) {
                new ForkRows(bench, jar, samples).run();
                bench.putInPlace(out);
            }
            if (!only.equals("python")) {
                new PreStartedNodeRows(bench, jar, samples).run();
                bench.putInPlace(out);
            }
            System.exit(0);
        }
        if (System.getProperty("bench.only", "").equals("fork-sessions")) {
            // only the first call of a new session, printed (to compare jars: -DmcpSandbox.jar=...)
            new ForkRows(bench, jar, samples).sessions();
            System.out.print(bench.report);
            System.exit(0);
        }
        if (System.getProperty("bench.only", "").equals("cost")) {
            // bin/bench cost: only the throughput, CPU and import sections, each put in place of its old one
            bench.costOnly(out);
            System.exit(0);
        }
        bench.run();
        Files.writeString(out, bench.report.toString());
        System.err.println("wrote " + out.toAbsolutePath());
        System.exit(0);
    }

    private void run() throws Exception {
        line("# Benchmarks");
        line("");
        line("Measured by `bin/bench` on " + LocalDateTime.now().withNano(0) + ", " + Runtime.getRuntime().availableProcessors()
                + " cores, " + System.getProperty("os.name") + " " + System.getProperty("os.version") + ". Every time is"
                + " wall-clock; ratios are to the floor measured in the same run. " + samples + " samples per row.");
        line("");

        Stats floorPy = floor(List.of("/usr/bin/python3", "-c", SNIPPET_PY));
        Stats floorJs = floor(List.of("/usr/bin/node", "-e", "console.log(6*7)"));
        Stats floorSh = floor(List.of("/usr/bin/bash", "-c", "echo 42"));

        line("## Latency of one small program");
        line("");
        line("| path | language | p50 ms | p95 ms | p99 ms | p50 / floor p50 |");
        line("|---|---|---:|---:|---:|---:|");
        row("floor: bare interpreter process", "python", floorPy, floorPy);
        row("floor: bare interpreter process", "javascript", floorJs, floorJs);
        row("floor: bare interpreter process", "bash", floorSh, floorSh);

        Map<String, String> programs = Map.of("python", SNIPPET_PY, "javascript", "console.log(6*7)", "bash", "echo 42");
        Map<String, Stats> floors = Map.of("python", floorPy, "javascript", floorJs, "bash", floorSh);
        try (Server warm = Server.start(jar, "{\"pool\": {\"python\": 2, \"javascript\": 1, \"bash\": 1}}")) {
            Thread.sleep(2000);
            for (String language : List.of("python", "javascript", "bash")) {
                Stats s = sequential(warm, language, programs.get(language), 150, samples, 5);
                row("execute_code, warm (pre-started sandbox)", language, s, floors.get(language));
            }
        }
        try (Server cold = Server.start(jar, "{\"pool\": {}}")) {
            for (String language : List.of("python", "javascript", "bash")) {
                Stats s = sequential(cold, language, programs.get(language), 20, samples, 5);
                row("execute_code, cold (sandbox created per call)", language, s, floors.get(language));
            }
        }
        try (Server sessions = Server.start(jar, "{\"pool\": {}}")) {
            for (String language : List.of("python", "javascript", "bash")) {
                Stats s = inSession(sessions, "bench-" + language, language, programs.get(language), samples,
                        SESSION_WARMUP);
                row("execute_code in a live session", language, s, floors.get(language));
            }
        }
        line("");
        line("A call in a live session creates no sandbox: it runs in the session's interpreter (Python, JavaScript"
                + " and Bash keep one each), end to end over stdio like the rows above, timed after " + SESSION_WARMUP
                + " untimed calls: a server that has run a while (before the JIT has compiled the call path, the first"
                + " hundred calls take about 10 ms).");
        line("");
        line("The warm path runs in a pre-started, single-use sandbox; calls are spaced 150 ms apart so the pool"
                + " refills between them (a burst is the throughput table). End to end means from the client's"
                + " `tools/call` to its result, through the real Java SDK client over stdio.");
        line("");

        long[] rss = throughputSection();
        long idleRss = rss[0];
        long loadRss = rss[1];

        line("## Start-up and memory");
        line("");
        Stats startup = startup(5);
        line("| measure | value |");
        line("|---|---:|");
        line(String.format(Locale.ROOT, "| start-up to the first `initialize` response (median of 5) | %.0f ms |", startup.p50));
        line(String.format(Locale.ROOT, "| server resident memory, idle with 4 pre-started sandboxes | %d MB |", idleRss / 1024));
        line(String.format(Locale.ROOT, "| server resident memory, peak under load (concurrency 8) | %d MB |", loadRss / 1024));
        line("");
        line("Resident memory is the server JVM's own (VmRSS); sandboxes are separate processes. The first row is"
                + " the Java SDK client's start of the server (`java -jar`, initialized); the next section times the"
                + " launcher.");
        line("");
        report.append(startupSection()).append('\n');

        cpuSection(floorPy);
        importSection();
        bridge();
        buildCache();
        backends();
    }

    private void costOnly(Path out) throws Exception {
        Stats floorPy = floor(List.of("/usr/bin/python3", "-c", SNIPPET_PY));
        throughputSection();
        putInPlace(out);
        cpuSection(floorPy);
        putInPlace(out);
        importSection();
        putInPlace(out);
    }

    /**
     * Replaces, in {@code out}, the section the report holds (from its heading) and empties the report; the
     * section says when it was measured, since the file's header belongs to the last full run.
     */
    void putInPlace(Path out) throws IOException {
        String text = report.toString();
        int firstLine = text.indexOf('\n');
        String dated = text.substring(0, firstLine + 1) + "\nRewritten by `bin/bench "
                + System.getProperty("bench.only", "cost") + "` on " + LocalDateTime.now()
                .withNano(0) + String.format(Locale.ROOT, ", load average %.1f at the start of the run.%n",
                LOAD_AT_START) + text.substring(firstLine + 1);
        SoakReport.replaceSection(out, text.substring(0, firstLine), dated);
        report.setLength(0);
    }

    private static final double LOAD_AT_START = java.lang.management.ManagementFactory.getOperatingSystemMXBean()
            .getSystemLoadAverage();

    /**
     * Throughput of the warm path at concurrency 1, 4 and 8 beside bare spawns of {@code python3 -c} at the same
     * concurrency, measured just before it; returns the server's idle and peak RSS in kB.
     */
    private long[] throughputSection() throws Exception {
        line("## Throughput (warm path, python `print(n*7)`, every answer checked)");
        line("");
        line("| concurrency | executions | per second | wrong answers | p50 ms | p99 ms | bare spawns per second |"
                + " per second / bare |");
        line("|---:|---:|---:|---:|---:|---:|---:|---:|");
        long idleRss;
        long loadRss = 0;
        try (Server warm = Server.start(jar, "{\"pool\": {\"python\": 4}, \"execution\": {\"maxConcurrent\": 8, \"queueSize\": 64}}")) {
            Thread.sleep(2500);
            idleRss = warm.rssKb();
            for (int concurrency : List.of(1, 4, 8)) {
                int count = Math.max(40, samples * 2);
                double bare = bareThroughput(concurrency, count);
                RssSampler sampler = new RssSampler(warm);
                Throughput t = throughput(warm, concurrency, count);
                loadRss = Math.max(loadRss, sampler.stop());
                line(String.format(Locale.ROOT, "| %d | %d | %.1f | %d | %.1f | %.1f | %.1f | %.2f |", concurrency, t.count,
                        t.perSecond, t.wrong, t.latency.p50, t.latency.p99, bare, t.perSecond / bare));
            }
        }
        line("");
        line("Bare spawns: the same number of `/usr/bin/python3 -c print(n*7)` processes started from the benchmark's"
                + " JVM by as many threads as the concurrency, each answer checked, just before the server's row.");
        line("");
        return new long[] {idleRss, loadRss};
    }

    /**
     * CPU per execution: the server and all its descendants (sandboxes, interpreters) over N executions, divided
     * by N, split into the server JVM's own threads and the rest, beside the CPU of one bare interpreter spawn.
     */
    private void cpuSection(Stats floorPy) throws Exception {
        int n = Math.max(60, samples * 2);
        line("## CPU per execution (python `print(n*7)`)");
        line("");
        long before = CpuAccount.reapedChildrenOfSelfNanos();
        for (int i = 0; i < n; i++) {
            bareSpawn(i);
        }
        double bareMs = (CpuAccount.reapedChildrenOfSelfNanos() - before) / 1e6 / n;
        line("| path | executions | CPU ms per execution | of which server JVM | of which sandboxes and interpreters |"
                + " CPU / one bare spawn |");
        line("|---|---:|---:|---:|---:|---:|");
        line(String.format(Locale.ROOT, "| bare `python3 -c` spawn (wall p50 %.1f ms) | %d | %.1f | | | 1.00 |",
                floorPy.p50, n, bareMs));
        String method = "";
        for (String[] path : List.of(new String[] {"execute_code, warm, concurrency 4", "{\"pool\": {\"python\": 4}}", "4"},
                new String[] {"execute_code, warm, one at a time", "{\"pool\": {\"python\": 2}}", "1"},
                new String[] {"execute_code, cold, one at a time", "{\"pool\": {}}", "1"})) {
            try (Server server = Server.start(jar, path[1])) {
                Thread.sleep(2500);
                // The JVM's own CPU per execution falls from ~11 ms after 30 executions to ~8 ms after 400
                // (C1 still compiling early on; per-thread /proc counts, perf shows the compiler threads busy).
                throughput(server, Integer.parseInt(path[2]), WARM_UP);
                try (CpuAccount cpu = CpuAccount.of(server.pid())) {
                    method = cpu.method();
                    long total = cpu.totalNanos();
                    long own = cpu.ownNanos();
                    Throughput t = throughput(server, Integer.parseInt(path[2]), n);
                    if (t.wrong > 0) {
                        throw new IllegalStateException(t.wrong + " wrong answers");
                    }
                    Thread.sleep(1000);
                    double totalMs = (cpu.totalNanos() - total) / 1e6 / n;
                    double ownMs = (cpu.ownNanos() - own) / 1e6 / n;
                    line(String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f | %.2f |", path[0], n, totalMs, ownMs,
                            totalMs - ownMs, totalMs / bareMs));
                }
            }
        }
        line("");
        line("Counted with " + method + " around N executions (after " + WARM_UP + " untimed ones), divided by N; the bare spawn's"
                + " CPU is this benchmark JVM's reaped children's (`/proc/self/stat` cutime + cstime) over the same N."
                + " The server's own CPU is its JVM threads (`/proc/PID/stat` utime + stime: MCP JSON, schema checks,"
                + " hand-offs, output capture, GC and JIT). With a pool, sandboxes started before the window and"
                + " refills still running after it roughly cancel out; the 1 s after the last answer lets refills"
                + " finish.");
        line("");
    }

    /** Programs whose imports dominate, as a ratio to the bare interpreter running the same program. */
    private void importSection() throws Exception {
        line("## Import-heavy programs (python)");
        line("");
        Map<String, String> programs = new java.util.LinkedHashMap<>();
        programs.put("`import numpy` + a sum of 10^6", "import numpy as np\nprint(int(np.arange(10**6).sum()) % 97)\n");
        programs.put("`import matplotlib.pyplot` + a saved figure", "import matplotlib\nmatplotlib.use('Agg')\n"
                + "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.savefig('figure.png')\nprint(42)\n");
        String expectedNumpy = Long.toString((999_999L * 1_000_000L / 2) % 97) + "\n";
        line("| program | bare p50 ms | execute_code warm p50 ms | execute_code / bare |");
        line("|---|---:|---:|---:|");
        int runs = Math.max(10, samples / 4);
        try (Server server = Server.start(jar, "{\"pool\": {\"python\": 2}}")) {
            Thread.sleep(2500);
            for (Map.Entry<String, String> p : programs.entrySet()) {
                String expected = p.getKey().contains("numpy") ? expectedNumpy : "42\n";
                Path dir = Files.createTempDirectory("bench-import");
                List<Double> bare = new ArrayList<>();
                List<Double> served = new ArrayList<>();
                for (int i = 0; i < runs + 2; i++) {
                    long t = System.nanoTime();
                    Process proc = new ProcessBuilder("/usr/bin/python3", "-c", p.getValue()).directory(dir.toFile())
                            .redirectErrorStream(true).start();
                    String out = new String(proc.getInputStream().readAllBytes());
                    proc.waitFor();
                    double took = (System.nanoTime() - t) / 1e6;
                    if (!out.equals(expected)) {
                        throw new IllegalStateException("bare " + p.getKey() + " printed " + out);
                    }
                    Thread.sleep(300);
                    t = System.nanoTime();
                    Map<String, Object> r = server.execute("python", p.getValue(), 60);
                    double tookServed = (System.nanoTime() - t) / 1e6;
                    check("python", expected, r);
                    if (i >= 2) {
                        bare.add(took);
                        served.add(tookServed);
                    }
                    Thread.sleep(300);
                }
                Stats b = Stats.of(bare);
                Stats s = Stats.of(served);
                line(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %.2f |", p.getKey(), b.p50, s.p50, s.p50 / b.p50));
            }
        }
        line("");
        line("Bare: `/usr/bin/python3 -c PROGRAM` in a scratch directory, with the host's caches (matplotlib's font"
                + " cache under the user's home). Served: a pre-started sandbox, whose home is the fresh workspace, so"
                + " matplotlib finds no cache there. Alternating calls, " + runs + " each after 2 untimed.");
        line("");
    }

    void bareSpawn(int n) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", "print(" + n + "*7)").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        if (!out.equals((n * 7) + "\n")) {
            throw new IllegalStateException("bare spawn printed " + out);
        }
    }

    double bareThroughput(int concurrency, int count) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(concurrency);
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
        double seconds = (System.nanoTime() - start) / 1e9;
        threads.shutdown();
        return count / seconds;
    }

    /**
     * The three backends side by side: Python start-up, cold and pre-started, and the cost of one syscall
     * (os.stat) measured inside the sandbox, the latter as a ratio to bubblewrap, whose syscalls go straight
     * to the host kernel.
     */
    private void backends() throws Exception {
        String host = System.getProperty("bench.dockerHost", "unix:///run/mcp-sandbox-docker.sock");
        line("## Backends");
        line("");
        line("| backend | cold p50 ms | pre-started p50 ms | one `os.stat` µs | `os.stat` / bubblewrap |");
        line("|---|---:|---:|---:|---:|");
        String statLoop = "import os, time\nn = 100000\nt = time.perf_counter()\nfor _ in range(n):\n"
                + "    os.stat('/workspace')\nprint(round((time.perf_counter() - t) / n * 1e6, 3))\n";
        double bubblewrapStat = 0;
        int runs = Math.max(10, samples / 3);
        for (String backend : List.of("bubblewrap", "docker", "gvisor")) {
            String engine = backend.equals("bubblewrap") ? "" : ", \"docker\": {\"host\": \"" + host + "\"}";
            if (!backend.equals("bubblewrap") && !Files.exists(Path.of(host.replaceFirst("^unix://", "")))) {
                line("| " + backend + " | skipped: no Docker engine at " + host + " (`bin/docker-engine start`, then"
                        + " `bin/build-images`) | | | |");
                continue;
            }
            Stats cold;
            try (Server server = Server.start(jar, "{\"backend\": \"" + backend + "\", \"pool\": {}" + engine + "}")) {
                cold = sequential(server, "python", SNIPPET_PY, 0, runs, 2);
            }
            Stats warm;
            double stat;
            try (Server server = Server.start(jar, "{\"backend\": \"" + backend + "\", \"pool\": {\"python\": 2}"
                    + engine + "}")) {
                Thread.sleep(3000);
                warm = sequential(server, "python", SNIPPET_PY, backend.equals("gvisor") ? 1000 : 400, runs, 2);
                Map<String, Object> r = server.execute("python", statLoop, 120);
                stat = Double.parseDouble(((String) r.get("stdout")).strip());
            }
            if (backend.equals("bubblewrap")) {
                bubblewrapStat = stat;
            }
            line(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %.2f | %.1f |", backend, cold.p50, warm.p50, stat,
                    stat / bubblewrapStat));
        }
        line("");
        line("Cold: a sandbox created per call; pre-started: taken from the pool, calls spaced so it refills. Both"
                + " are `print(6*7)` in Python end to end through the MCP client. `os.stat` is the mean of 100,000"
                + " calls timed inside the sandbox: the price of gVisor's user-space kernel on syscall-heavy code.");
        line("");
    }

    /**
     * Compiled languages: a program never seen before (the hello program with a fresh comment, so the compiler
     * runs) against the same program again (its build comes from the cache), both end to end.
     */
    @SuppressWarnings("unchecked")
    private void buildCache() throws Exception {
        line("## Compiled languages: the build cache");
        line("");
        line("| language | p50 ms, new program (compiles) | p50 ms, repeated program (cache hit) | p50 compiler ms |"
                + " hit / new |");
        line("|---|---:|---:|---:|---:|");
        int runs = Math.max(5, samples / 6);
        try (Server server = Server.start(jar, "{\"pool\": {}}")) {
            for (String language : server.compiledLanguages()) {
                Optional<dev.mcpsandbox.server.languages.LanguageCase> c = dev.mcpsandbox.server.languages.LanguageCases
                        .all().stream().filter(l -> l.language().equals(language)).findFirst();
                if (c.isEmpty()) {
                    continue;
                }
                String expected = "hello from " + language + "\n";
                List<Double> fresh = new ArrayList<>();
                List<Double> compiler = new ArrayList<>();
                List<Double> cached = new ArrayList<>();
                for (int i = 0; i < runs + 1; i++) {
                    String program = c.get().hello() + "\n// build " + System.nanoTime() + "\n";
                    long t = System.nanoTime();
                    Map<String, Object> r = server.execute(language, program, 60);
                    double took = (System.nanoTime() - t) / 1e6;
                    check(language, expected, r);
                    if (i > 0) {
                        fresh.add(took);
                        compiler.add(((Number) ((Map<String, Object>) r.get("compile")).get("durationMs")).doubleValue());
                    }
                }
                for (int i = 0; i < runs + 1; i++) {
                    long t = System.nanoTime();
                    Map<String, Object> r = server.execute(language, c.get().hello(), 60);
                    double took = (System.nanoTime() - t) / 1e6;
                    check(language, expected, r);
                    if (i > 0) {
                        cached.add(took);
                    }
                }
                Stats f = Stats.of(fresh);
                Stats h = Stats.of(cached);
                line(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %.0f | %.2f |", language, f.p50, h.p50,
                        Stats.of(compiler).p50, h.p50 / f.p50));
            }
        }
        line("");
        line("Each new program is the language's hello world with a fresh comment appended, so the compiler runs;"
                + " the repeated program is served from the build cache and only the run sandbox starts. Languages"
                + " whose comments are not `//` are not listed.");
        line("");
    }

    static void check(String language, String expected, Map<String, Object> r) {
        if (!expected.equals(r.get("stdout"))) {
            throw new IllegalStateException(language + " answered " + r);
        }
    }

    private void bridge() throws Exception {
        Path everything = upstreamDir.resolve(".bin/mcp-server-everything");
        line("## Tool bridge round trip (code mode)");
        line("");
        if (!Files.isExecutable(everything)) {
            line("Skipped: " + everything + " is not installed (run `bin/setup --test-deps`).");
            return;
        }
        String config = "{\"mcpServers\": {\"everything\": {\"command\": \"" + everything + "\"}},"
                + " \"tools\": {\"allow\": [\"everything.*\"]}, \"limits\": {\"toolCalls\": 5000}}";
        line("| client | calls in one execution | per call ms |");
        line("|---|---:|---:|");
        try (Server server = Server.start(jar, config)) {
            Map<String, String> loops = Map.of(
                    "python", "import time\nt=time.perf_counter()\nfor i in range(1000):\n    tools.everything.echo(message=str(i))\n"
                            + "print((time.perf_counter()-t))",
                    "javascript", "const t=performance.now();\nfor (let i=0;i<1000;i++) await tools.everything.echo({message: String(i)});\n"
                            + "console.log((performance.now()-t)/1000)");
            for (int round = 0; round < 2; round++) {
                for (String language : List.of("python", "javascript")) {
                    Map<String, Object> r = server.execute(language, loops.get(language), 120);
                    double seconds = Double.parseDouble(((String) r.get("stdout")).strip());
                    if (round == 1) {
                        line(String.format(Locale.ROOT, "| %s (`tools.everything.echo`) | 1000 | %.3f |", language, seconds));
                    }
                }
            }
        }
        line("");
        line("A call goes from the sandbox over its Unix socket to the bridge, through the policy, schema and budget"
                + " checks, to the upstream server over stdio and back.");
    }

    // --- measurements ---

    Stats floor(List<String> command) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < samples + 5; i++) {
            long t = System.nanoTime();
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            p.waitFor();
            if (!out.equals("42")) {
                throw new IllegalStateException("floor " + command + " printed " + out);
            }
            if (i >= 5) {
                ms.add((System.nanoTime() - t) / 1e6);
            }
        }
        return Stats.of(ms);
    }

    /** {@code runs} timed calls after {@code warmup} untimed ones, each answer checked to be 42. */
    Stats sequential(Server server, String language, String code, long pauseMs, int runs, int warmup)
            throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < runs + warmup; i++) {
            Thread.sleep(pauseMs);
            long t = System.nanoTime();
            // The default timeout: a pre-started node serves only calls with the limits it was started with (it cannot
            // lower its rlimits at the go line), so at 60 s every JavaScript call took a sandbox of its own.
            Map<String, Object> r = server.execute(language, code, 30);
            double took = (System.nanoTime() - t) / 1e6;
            check(language, "42\n", r);
            if (i >= warmup) {
                ms.add(took);
            }
        }
        return Stats.of(ms);
    }

    /** Untimed calls before a session row: the JIT compiles the call path (3.5 ms warm, about 10 ms before). */
    private static final int SESSION_WARMUP = 300;

    /** {@code runs} timed calls in one session after {@code warmup} untimed ones (the first opens it), each checked. */
    private Stats inSession(Server server, String session, String language, String code, int runs, int warmup) {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < runs + warmup; i++) {
            long t = System.nanoTime();
            Map<String, Object> r = server.executeIn(session, language, code, 60);
            double took = (System.nanoTime() - t) / 1e6;
            check(language, "42\n", r);
            if (i >= warmup) {
                ms.add(took);
            }
        }
        return Stats.of(ms);
    }

    record Throughput(int count, double perSecond, int wrong, Stats latency) {
    }

    Throughput throughput(Server server, int concurrency, int count) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(concurrency);
        AtomicInteger wrong = new AtomicInteger();
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int n = i;
            futures.add(clients.submit(() -> {
                long t = System.nanoTime();
                Map<String, Object> r = server.execute("python", "print(" + n + "*7)", 30);
                latencies.add((System.nanoTime() - t) / 1e6);
                if (!((n * 7) + "\n").equals(r.get("stdout"))) {
                    wrong.incrementAndGet();
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        clients.shutdown();
        return new Throughput(count, count / seconds, wrong.get(), Stats.of(latencies));
    }

    /** The start-up section: the launcher and a bare {@code java -jar} beside the JVM's hello world. */
    private String startupSection() throws Exception {
        Path launcher = Path.of(System.getProperty("mcpSandbox.launcher", "bin/mcp-sandbox")).toAbsolutePath();
        String section = StartupLatency.section(jar, launcher, Integer.getInteger("bench.startupRuns", 15));
        System.out.print(section);
        return section;
    }

    private Stats startup(int runs) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            long t = System.nanoTime();
            try (Server server = Server.start(jar, "{\"pool\": {}}")) {
                ms.add((System.nanoTime() - t) / 1e6);
            }
        }
        return Stats.of(ms);
    }

    // --- reporting ---

    private void row(String path, String language, Stats s, Stats floor) {
        line(String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f | %.1f | %.2f |", path, language, s.p50, s.p95, s.p99,
                s.p50 / floor.p50));
    }

    void line(String text) {
        report.append(text).append('\n');
        System.out.println(text);
    }

    record Stats(double p50, double p95, double p99) {
        static Stats of(List<Double> values) {
            List<Double> sorted = new ArrayList<>(values);
            Collections.sort(sorted);
            return new Stats(at(sorted, 0.50), at(sorted, 0.95), at(sorted, 0.99));
        }

        private static double at(List<Double> sorted, double q) {
            return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
        }
    }

    /** Samples the server's resident memory in the background while a load runs. */
    private static final class RssSampler {
        private final Server server;
        private volatile boolean running = true;
        private volatile long peak;
        private final Thread thread;

        RssSampler(Server server) {
            this.server = server;
            this.thread = new Thread(() -> {
                while (running) {
                    peak = Math.max(peak, server.rssKb());
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            thread.setDaemon(true);
            thread.start();
        }

        long stop() throws InterruptedException {
            running = false;
            thread.join();
            return peak;
        }
    }

    /** The server jar as a child process, driven by the Java SDK client over stdio (the tests' {@link SandboxServer}). */
    static final class Server implements AutoCloseable {
        private final SandboxServer server;
        private final McpSyncClient client;

        private Server(SandboxServer server) {
            this.server = server;
            this.client = server.client();
        }

        static Server start(Path jar, String configJson) {
            List<String> jvm = new ArrayList<>(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k"));
            // e.g. -Dbench.serverJvmArgs=-XX:StartFlightRecording=filename=server.jfr to profile the server
            String extra = System.getProperty("bench.serverJvmArgs", "");
            if (!extra.isBlank()) {
                jvm.addAll(List.of(extra.split(" ")));
            }
            return new Server(SandboxServer.builder().jar(jar).config(configJson).withoutBackendUnderTest()
                    .jvmArgs(jvm.toArray(String[]::new))
                    .env(Map.of("MCP_SANDBOX_LOG", "WARN"))
                    .clientName("mcp-sandbox-bench").requestTimeout(java.time.Duration.ofSeconds(180))
                    .start());
        }

        @SuppressWarnings("unchecked")
        List<String> compiledLanguages() {
            CallToolResult r = client.callTool(CallToolRequest.builder("list_languages").arguments(Map.of()).build());
            List<Map<String, Object>> languages = (List<Map<String, Object>>) ((Map<String, Object>) r.structuredContent())
                    .get("languages");
            return languages.stream().filter(l -> Boolean.TRUE.equals(l.get("compiled")))
                    .map(l -> (String) l.get("id")).toList();
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> execute(String language, String code, int timeoutSeconds) {
            CallToolRequest request = CallToolRequest.builder("execute_code")
                    .arguments(Map.of("language", language, "code", code, "timeoutSeconds", timeoutSeconds)).build();
            for (int attempt = 1; ; attempt++) {
                try {
                    return (Map<String, Object>) client.callTool(request).structuredContent();
                } catch (RuntimeException e) {
                    // The SDK's stdio client drops a message two threads send at the same instant ("Failed to
                    // enqueue message", modelcontextprotocol/java-sdk#875): it never left, so sending again is safe.
                    if (attempt == 3 || !String.valueOf(e.getMessage()).contains("Failed to enqueue message")) {
                        throw e;
                    }
                }
            }
        }

        long pid() {
            return server.pid();
        }

        /** As {@link #execute(String, String, int)}, in the session {@code session}. */
        Map<String, Object> executeIn(String session, String language, String code, int timeoutSeconds) {
            CallToolResult r = client.callTool(CallToolRequest.builder("execute_code").arguments(Map.of("language",
                    language, "code", code, "timeoutSeconds", timeoutSeconds, "session", session)).build());
            return (Map<String, Object>) r.structuredContent();
        }

        void endSession(String session) {
            client.callTool(CallToolRequest.builder("end_session").arguments(Map.of("session", session)).build());
        }

        /** VmRSS of the server JVM. */
        long rssKb() {
            try {
                for (String l : Files.readAllLines(Path.of("/proc", Long.toString(server.pid()), "status"))) {
                    if (l.startsWith("VmRSS:")) {
                        return Long.parseLong(l.replaceAll("\\D", ""));
                    }
                }
            } catch (IOException e) {
                return 0;
            }
            return 0;
        }

        /** Closes the client and waits for the server to exit, so that the next measurement starts on a quiet machine. */
        @Override
        public void close() {
            server.close();
        }
    }
}
