package dev.mcpsandbox.server;

import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Many executions at once through one client: each gets its own answer, and an overloaded server refuses fast. */
class ConcurrencyIT {
    private static SandboxServer server;

    @BeforeAll
    static void start() {
        server = SandboxServer.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static final String[] LANGUAGES = {"python", "javascript", "bash"};

    private static String squareProgram(String language, int n) {
        // Each program also reads a file and stdin carrying n, so mixed-up inputs show up as wrong answers too.
        return switch (language) {
            case "python" -> "import sys\nn = " + n + "\nassert int(open('n.txt').read()) == n\n"
                    + "assert int(sys.stdin.read()) == n\nprint('n=%d sq=%d' % (n, n * n))\n";
            case "javascript" -> "import { readFileSync } from 'node:fs';\nconst n = " + n + ";\n"
                    + "if (+readFileSync('n.txt', 'utf8') !== n || +readFileSync(0, 'utf8') !== n) process.exit(9);\n"
                    + "await new Promise(r => setTimeout(r, 20));\nconsole.log(`n=${n} sq=${n * n}`);\n";
            case "bash" -> "n=" + n + "\n[ \"$(cat n.txt)\" = \"$n\" ] || exit 9\nread s; [ \"$s\" = \"$n\" ] || exit 9\n"
                    + "echo \"n=$n sq=$((n * n))\"\n";
            default -> throw new IllegalArgumentException(language);
        };
    }

    @Test
    void fortyMixedLanguageExecutionsEightAtATimeEachGetTheirOwnAnswer() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Map<String, Object>>> futures = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                int n = i;
                String language = LANGUAGES[i % LANGUAGES.length];
                Callable<Map<String, Object>> call = () -> server.execute(Map.of("language", language,
                        "code", squareProgram(language, n), "files", Map.of("n.txt", Integer.toString(n)),
                        "stdin", Integer.toString(n)));
                futures.add(pool.submit(call));
            }
            List<String> executionIds = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                Map<String, Object> r = futures.get(i).get(120, TimeUnit.SECONDS);
                assertThat(r).as("result of execution %d", i).isNotNull();
                assertThat(r.get("stdout")).as("execution %d (%s): %s", i, LANGUAGES[i % 3], r)
                        .isEqualTo("n=" + i + " sq=" + (i * i) + "\n");
                assertThat(r.get("exitCode")).as("execution %d: %s", i, r).isEqualTo(0);
                executionIds.add((String) r.get("executionId"));
            }
            assertThat(executionIds).doesNotHaveDuplicates();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void executionsReallyOverlap() throws Exception {
        // Eight one-second sleeps through one client finish in well under eight seconds only if they run together.
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            long started = System.nanoTime();
            List<Future<Map<String, Object>>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                futures.add(pool.submit(() -> server.execute("bash", "sleep 1\necho done")));
            }
            for (Future<Map<String, Object>> f : futures) {
                assertThat(f.get(120, TimeUnit.SECONDS).get("stdout")).isEqualTo("done\n");
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            int cores = Runtime.getRuntime().availableProcessors();
            // With at least two slots the eight runs need at most ceil(8 / slots) seconds plus overhead.
            long bound = cores >= 2 ? 6_500 : 10_000;
            assertThat(ms).as("8 concurrent 1 s sleeps took %d ms on %d cores", ms, cores).isLessThan(bound);
        } finally {
            pool.shutdownNow();
        }
    }

    private record Timed(CallToolResult result, long millis) {
    }

    @Test
    void aFullServerRefusesAtOnceSayingItIsBusy() throws Exception {
        try (SandboxServer small = SandboxServer.start("{\"execution\":{\"maxConcurrent\":1,\"queueSize\":1}}", Map.of())) {
            // Warm up, so the first call's start-up cost does not stretch the timings below.
            assertThat(small.execute("python", "print(1)").get("stdout")).isEqualTo("1\n");
            ExecutorService pool = Executors.newFixedThreadPool(6);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Timed>> futures = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    futures.add(pool.submit(() -> {
                        go.await();
                        long t0 = System.nanoTime();
                        CallToolResult r = small.call("execute_code", Map.of("language", "python",
                                "code", "import time\ntime.sleep(1.5)\nprint('slept')"));
                        return new Timed(r, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                    }));
                }
                go.countDown();
                int succeeded = 0;
                int refused = 0;
                for (Future<Timed> f : futures) {
                    Timed t = f.get(120, TimeUnit.SECONDS);
                    String text = SandboxServer.text(t.result());
                    Map<?, ?> s = (Map<?, ?>) t.result().structuredContent();
                    if (!t.result().isError() && s != null && "slept\n".equals(s.get("stdout"))) {
                        succeeded++;
                        assertThat(t.millis()).isGreaterThanOrEqualTo(1_500);
                    } else {
                        refused++;
                        assertThat(t.result().isError()).as(text).isTrue();
                        assertThat(text).containsIgnoringCase("busy").containsIgnoringCase("retry");
                        assertThat(t.millis()).as("a refusal took %d ms: %s", t.millis(), text).isLessThan(750);
                    }
                }
                // One runs, one waits in the queue; the other four find no room.
                assertThat(succeeded).as("succeeded").isGreaterThanOrEqualTo(1);
                assertThat(refused).as("refused").isGreaterThanOrEqualTo(1);
                assertThat(succeeded + refused).isEqualTo(6);
            } finally {
                pool.shutdownNow();
            }
            // The refusals left no slot leaked: a later call still runs.
            assertThat(small.execute("python", "print(2)").get("stdout")).isEqualTo("2\n");
        }
    }
}
