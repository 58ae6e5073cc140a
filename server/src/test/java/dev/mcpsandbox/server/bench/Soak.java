package dev.mcpsandbox.server.bench;

import dev.mcpsandbox.server.bench.SoakServer.Ending;
import dev.mcpsandbox.server.bench.SoakServer.Sample;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A soak of the HTTP server (issue 19; not CI): N executions from 8 MCP sessions over Streamable HTTP, every
 * answer checked, with the server's resident memory and open descriptors read at the start, at checkpoints
 * under load and after a rest, so a leak shows as a slope; and at the end nothing may be left of the server.
 * Run with {@code bin/bench soak [N]}; prints its section of BENCHMARKS.md and writes it there, replacing the
 * previous one. Exits 1 if an answer was wrong, lost or refused, or something was left behind.
 */
public final class Soak {
    static final int CLIENTS = 8;
    /** Checkpoints at most this many executions apart (fewer in a short run, so it still has a series). */
    static final int CHECKPOINT_EVERY = 5_000;

    private final Path launcher;
    private final int executions;
    private final int maxConcurrent;
    private final int restSeconds;

    private Soak(Path launcher, int executions, int maxConcurrent, int restSeconds) {
        this.launcher = launcher;
        this.executions = executions;
        this.maxConcurrent = maxConcurrent;
        this.restSeconds = restSeconds;
    }

    enum Verdict { RIGHT, WRONG, LOST, REFUSED }

    /** One call's verdict, with what was seen when it was not right. */
    record Answer(Verdict verdict, String detail) {
    }

    /** What the load gave: {@code series} is the start, the checkpoints under load and the rest, in order. */
    record Load(double seconds, double p50Ms, double p99Ms, Map<Verdict, Integer> verdicts, List<String> examples,
                List<Sample> series) {
        int count(Verdict v) {
            return verdicts.getOrDefault(v, 0);
        }

        Sample start() {
            return series.get(0);
        }

        Sample rest() {
            return series.get(series.size() - 1);
        }

        List<Sample> underLoad() {
            return series.subList(1, series.size() - 1);
        }
    }

    /**
     * The settings, when the run began and the machine's load average then, what the load gave, what stopping left,
     * and what the server logged at WARN or above (reported, not judged: some warnings are about the client's side).
     */
    record Result(LocalDateTime started, int executions, int clients, int maxConcurrent, int restSeconds,
                  double loadAverage, Load load, Ending ending, List<String> serverWarnings) {
        boolean passed() {
            return load.count(Verdict.WRONG) == 0 && load.count(Verdict.LOST) == 0 && load.count(Verdict.REFUSED) == 0
                    && load.rest().processes() <= load.start().processes()
                    && load.rest().workEntries() <= load.start().workEntries()
                    && ending.clean();
        }
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "BENCHMARKS.md");
        int n = args.length > 1 ? Integer.parseInt(args[1].replace(",", "").replace("_", "")) : 20_000;
        if (n < CLIENTS) {
            throw new IllegalArgumentException("soak: at least " + CLIENTS + " executions, got " + n);
        }
        Soak soak = new Soak(Path.of(System.getProperty("soak.launcher", "bin/mcp-sandbox")), n,
                Integer.getInteger("soak.maxConcurrent", 2), Integer.getInteger("soak.restSeconds", 30));
        Result result = soak.run();
        String section = SoakReport.section(result);
        System.out.print(section);
        SoakReport.replaceSection(out, section);
        System.err.println("soak: wrote its section of " + out.toAbsolutePath());
        System.exit(result.passed() ? 0 : 1);
    }

    private Result run() throws Exception {
        LocalDateTime started = LocalDateTime.now().withNano(0);
        double loadAverage = loadAverage();
        try (SoakServer server = SoakServer.start(launcher, maxConcurrent, CLIENTS)) {
            List<McpSyncClient> clients = new ArrayList<>();
            Load measured;
            try {
                for (int c = 0; c < CLIENTS; c++) {
                    clients.add(server.client("mcp-sandbox-soak-" + c));
                }
                // One call per session first, so the start sample has every session open and the pool refilled.
                for (int c = 0; c < CLIENTS; c++) {
                    Answer warm = call(clients.get(c), c);
                    if (warm.verdict() != Verdict.RIGHT) {
                        throw new IllegalStateException("warm-up call " + c + ": " + warm);
                    }
                }
                measured = load(server, clients);
            } catch (Exception e) {
                System.err.println("soak: failed; the server's log:\n" + server.log());
                throw e;
            } finally {
                clients.forEach(McpSyncClient::closeGracefully);
            }
            Ending ending = server.stop();
            return new Result(started, executions, CLIENTS, maxConcurrent, restSeconds, loadAverage, measured, ending,
                    server.warnings());
        }
    }

    /** The soak itself: client c makes calls c, c+8, c+16 … one after another. */
    private Load load(SoakServer server, List<McpSyncClient> clients) throws Exception {
        List<Sample> series = Collections.synchronizedList(new ArrayList<>());
        series.add(settled(server));
        int every = Math.min(CHECKPOINT_EVERY, Math.max(1, (executions + 3) / 4));
        double[] latencies = new double[executions];
        Answer[] answers = new Answer[executions];
        AtomicInteger done = new AtomicInteger();
        long began = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<Object>> sessions = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                McpSyncClient client = clients.get(c);
                int first = c;
                Callable<Object> session = () -> {
                    for (int i = first; i < executions; i += CLIENTS) {
                        long t = System.nanoTime();
                        answers[i] = call(client, i);
                        latencies[i] = (System.nanoTime() - t) / 1e6;
                        int k = done.incrementAndGet();
                        if (k % every == 0 || k == executions) {
                            Sample s = server.sample("under load", k);
                            series.add(s);
                            System.err.printf("soak: %d/%d, %.1f per second, RSS %d MB, %d descriptors%n", k, executions,
                                    k / ((System.nanoTime() - began) / 1e9), s.rssKb() / 1024, s.descriptors());
                        }
                    }
                    return null;
                };
                sessions.add(pool.submit(session));
            }
            for (Future<Object> f : sessions) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - began) / 1e9;
        Thread.sleep(TimeUnit.SECONDS.toMillis(restSeconds));
        List<Sample> ordered = new ArrayList<>(series);
        ordered.sort(Comparator.comparingLong(Sample::executions));
        ordered.add(server.sample("after a " + restSeconds + " s rest", executions));

        Map<Verdict, Integer> verdicts = new EnumMap<>(Verdict.class);
        List<String> examples = new ArrayList<>();
        for (int i = 0; i < executions; i++) {
            verdicts.merge(answers[i].verdict(), 1, Integer::sum);
            if (answers[i].verdict() != Verdict.RIGHT && examples.size() < 5) {
                examples.add("call " + i + ": " + answers[i].verdict() + " " + answers[i].detail());
            }
        }
        double[] sorted = latencies.clone();
        Arrays.sort(sorted);
        return new Load(seconds, percentile(sorted, 0.50), percentile(sorted, 0.99), verdicts, examples, ordered);
    }

    /** The start sample, once the pool has refilled: processes and work entries unchanged for 2 s (at most 60 s). */
    private static Sample settled(SoakServer server) throws InterruptedException {
        Sample last = server.sample("start", 0);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int steady = 0; steady < 4 && System.nanoTime() < deadline; ) {
            Thread.sleep(500);
            Sample s = server.sample("start", 0);
            steady = s.processes() == last.processes() && s.workEntries() == last.workEntries() ? steady + 1 : 0;
            last = s;
        }
        return last;
    }

    /**
     * {@code print(i*7)}: an answer that depends on the call, so a mixed-up or stale result cannot pass. Refused:
     * "the server is busy" (its queue was full), or HTTP 429 from the front door's limits per client.
     */
    static Answer call(McpSyncClient client, int i) {
        CallToolResult r;
        try {
            r = client.callTool(CallToolRequest.builder("execute_code")
                    .arguments(Map.of("language", "python", "code", "print(" + i + "*7)")).build());
        } catch (RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (String.valueOf(t.getMessage()).contains("status code: 429")) {
                    return new Answer(Verdict.REFUSED, t.getMessage());
                }
            }
            return new Answer(Verdict.LOST, e.toString());
        }
        return judge(i, r);
    }

    static Answer judge(int i, CallToolResult r) {
        Map<?, ?> s = r.structuredContent() instanceof Map<?, ?> m ? m : Map.of();
        boolean isError = Boolean.TRUE.equals(r.isError());
        if (isError && s.get("error") instanceof Map<?, ?> error
                && String.valueOf(error.get("message")).startsWith("the server is busy")) {
            return new Answer(Verdict.REFUSED, String.valueOf(error.get("message")));
        }
        if (!isError && ((long) i * 7 + "\n").equals(s.get("stdout")) && Integer.valueOf(0).equals(s.get("exitCode"))) {
            return new Answer(Verdict.RIGHT, "");
        }
        return new Answer(Verdict.WRONG, "isError=" + isError + " " + s);
    }

    /** Nearest rank. */
    static double percentile(double[] sorted, double q) {
        return sorted[Math.max(0, Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1))];
    }

    private static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
