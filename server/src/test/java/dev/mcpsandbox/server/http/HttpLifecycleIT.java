package dev.mcpsandbox.server.http;

import io.modelcontextprotocol.client.McpSyncClient;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * HTTP mode's start-up refusals, per-client limits and shutdown: SIGTERM lets running executions
 * finish (or stops them after the grace period, with an answer), the JVM exits, and no sandbox
 * process outlives the server.
 */
class HttpLifecycleIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @Test
    void nonLoopbackWithoutToken_refusedAtStartUp() throws Exception {
        HttpServerProcess server = HttpServerProcess.launch(Map.of(), "--http", "0.0.0.0:0");
        try {
            assertThat(server.awaitExit(Duration.ofSeconds(30))).as("exits by itself").isTrue();
            assertThat(server.process().exitValue()).isNotZero();
            assertThat(String.join("\n", server.stderrLines()))
                    .contains("refusing to listen on 0.0.0.0:0 without a token")
                    .contains("MCP_SANDBOX_TOKEN");
        } finally {
            server.close();
        }
    }

    @Test
    void shortToken_refusedAtStartUp() throws Exception {
        HttpServerProcess server = HttpServerProcess.launch(Map.of("MCP_SANDBOX_TOKEN", "short"), "--http", "127.0.0.1:0");
        try {
            assertThat(server.awaitExit(Duration.ofSeconds(30))).isTrue();
            assertThat(server.process().exitValue()).isNotZero();
            assertThat(String.join("\n", server.stderrLines())).contains("token is shorter than 16 characters");
        } finally {
            server.close();
        }
    }

    @Test
    void overTheRate_429WithRetryAfter() throws Exception {
        try (HttpServerProcess server = HttpServerProcess.start(Map.of(), "--http", "127.0.0.1:0",
                "--rate-limit", "2", "--rate-burst", "3")) {
            List<HttpResponse<String>> responses = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                responses.add(HTTP.send(HttpRequest.newBuilder(server.uri("/metrics")).GET().build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            assertThat(responses.subList(0, 3)).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(200));
            HttpResponse<String> limited = responses.stream().filter(r -> r.statusCode() == 429).findFirst()
                    .orElseThrow(() -> new AssertionError("no 429 among " + responses.stream().map(HttpResponse::statusCode).toList()));
            assertThat(limited.headers().firstValue("Retry-After")).hasValueSatisfying(v ->
                    assertThat(Integer.parseInt(v)).isPositive());
            assertThat(limited.body()).contains("rate limit exceeded").contains("2 requests per second");
            // /healthz is not rate-limited: probes must keep working while a client floods.
            assertThat(HTTP.send(HttpRequest.newBuilder(server.uri("/healthz")).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        }
    }

    /**
     * Three calls sent at once over raw HTTP: with a cap of two, exactly one is refused with 429 and the two others
     * run to the end. (The earlier form probed with a third request while two SDK calls started, and failed when
     * the probe took a slot before the second call: that call was refused and the probe then kept getting 200.)
     */
    @Test
    void tooManyConcurrentRequests_429() throws Exception {
        try (HttpServerProcess server = HttpServerProcess.start(Map.of(), "--http", "127.0.0.1:0",
                "--max-concurrent-requests", "2")) {
            HttpResponse<String> init = HttpTransportIT.post(server.uri("/mcp"), HttpTransportIT.INITIALIZE, Map.of());
            assertThat(init.statusCode()).isEqualTo(200);
            Map<String, String> session = Map.of("Mcp-Session-Id",
                    init.headers().firstValue("Mcp-Session-Id").orElseThrow());
            assertThat(HttpTransportIT.post(server.uri("/mcp"),
                    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", session).statusCode())
                    .isEqualTo(202);
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
                for (int i = 1; i <= 3; i++) {
                    String call = "{\"jsonrpc\":\"2.0\",\"id\":" + (10 + i) + ",\"method\":\"tools/call\",\"params\":"
                            + "{\"name\":\"execute_code\",\"arguments\":{\"language\":\"python\",\"code\":"
                            + "\"import time; time.sleep(4); print('slept-" + i + "')\"}}}";
                    calls.add(CompletableFuture.supplyAsync(() -> {
                        try {
                            return HttpTransportIT.post(server.uri("/mcp"), call, session);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }, pool));
                }
                List<HttpResponse<String>> answers = new ArrayList<>();
                for (CompletableFuture<HttpResponse<String>> call : calls) {
                    answers.add(call.get(60, TimeUnit.SECONDS));
                }
                List<HttpResponse<String>> refused = answers.stream().filter(r -> r.statusCode() == 429).toList();
                List<HttpResponse<String>> ran = answers.stream().filter(r -> r.statusCode() == 200).toList();
                assertThat(refused).as("statuses %s", answers.stream().map(HttpResponse::statusCode).toList()).hasSize(1);
                assertThat(ran).hasSize(2);
                assertThat(refused.get(0).headers().firstValue("Retry-After")).isPresent();
                assertThat(refused.get(0).body()).contains("too many concurrent requests");
                for (HttpResponse<String> r : ran) {
                    assertThat(r.body()).containsPattern("slept-[123]");
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void sigterm_letsRunningExecutionsFinish_exits_andLeavesNoSandbox() throws Exception {
        HttpServerProcess server = HttpServerProcess.start(Map.of(), "--http", "127.0.0.1:0");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            server.watchDescendants();
            McpSyncClient a = server.streamableClient(Optional.empty());
            McpSyncClient b = server.sseClient(Optional.empty()); // one call on each transport
            List<CompletableFuture<Answer>> calls = List.of(
                    CompletableFuture.supplyAsync(() -> Answer.of(a, "import time; time.sleep(3); print('done a')"), pool),
                    CompletableFuture.supplyAsync(() -> Answer.of(b, "import time; time.sleep(3); print('done b')"), pool));
            awaitInFlight(server, 2);
            Thread.sleep(500);
            server.terminate();

            List<Answer> answers = new ArrayList<>();
            for (CompletableFuture<Answer> call : calls) {
                answers.add(call.get(60, TimeUnit.SECONDS));
            }
            assertThat(answers).extracting(Answer::stdout).containsExactlyInAnyOrder("done a\n", "done b\n");
            assertThat(server.awaitExit(Duration.ofSeconds(30))).as("the JVM exits after SIGTERM").isTrue();
            assertNoSandboxSurvives(server);
            assertLogged(server, "stopping: refusing new requests");
            closeQuietly(a);
            closeQuietly(b);
        } finally {
            pool.shutdownNow();
            server.close();
        }
    }

    @Test
    void sigterm_afterGrace_stopsExecutionsWithAnAnswer_andLeavesNoSandbox() throws Exception {
        HttpServerProcess server = HttpServerProcess.start(Map.of(), "--http", "127.0.0.1:0",
                "--shutdown-grace-seconds", "1");
        ExecutorService pool = Executors.newFixedThreadPool(1);
        try {
            server.watchDescendants();
            McpSyncClient a = server.streamableClient(Optional.empty());
            CompletableFuture<Answer> call = CompletableFuture.supplyAsync(
                    () -> Answer.of(a, "import time; time.sleep(60); print('never')"), pool);
            awaitInFlight(server, 1);
            Thread.sleep(500);
            long signalled = System.nanoTime();
            server.terminate();

            Answer answer = call.get(60, TimeUnit.SECONDS);
            assertThat(answer.error()).as(answer.describe()).isNull();
            assertThat(answer.stdout()).isNotEqualTo("never\n");
            assertThat(answer.result().get("error")).as(answer.describe()).isInstanceOfSatisfying(Map.class, e -> {
                assertThat(e.get("type")).isEqualTo("server_shutdown");
                assertThat((String) e.get("message")).contains("shutting down").contains("1 s grace period");
            });
            assertThat(server.awaitExit(Duration.ofSeconds(30))).as("the JVM exits after SIGTERM").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - signalled)).isLessThan(Duration.ofSeconds(25));
            assertNoSandboxSurvives(server);
            assertLogged(server, "still running after 1 s");
            closeQuietly(a);
        } finally {
            pool.shutdownNow();
            server.close();
        }
    }

    /** Waits until the server reports this many execute_code calls in flight (read from /metrics). */
    private static void awaitInFlight(HttpServerProcess server, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String last = "";
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(server.uri("/metrics")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            last = r.body();
            if (r.statusCode() == 200 && last.contains("mcp_sandbox_executions_in_flight " + n + "\n")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("never saw " + n + " executions in flight:\n" + last);
    }

    private static void assertNoSandboxSurvives(HttpServerProcess server) {
        Map<ProcessHandle, String> watched = server.seenDescendants();
        assertThat(watched.values()).as("sandboxes were started under the server").anyMatch(c -> c.contains("bwrap"));
        Set<ProcessHandle> seen = watched.keySet();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (seen.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            HttpServerProcess.sleep(100);
        }
        assertThat(seen.stream().filter(ProcessHandle::isAlive).map(p -> p.pid() + " " + watched.get(p))
                .toList()).as("processes started by the server still alive after it exited").isEmpty();
    }

    private static void assertLogged(HttpServerProcess server, String text) {
        List<String> lines = server.stderrLines();
        assertThat(lines).as("server stderr, last lines:\n%s",
                String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size())))
                .anyMatch(l -> l.contains(text));
    }

    private static void closeQuietly(McpSyncClient client) {
        try {
            client.close();
        } catch (RuntimeException ignored) {
            // the server is gone
        }
    }

    /** What one call got: the structured result, or the error the client saw. */
    private record Answer(Map<String, Object> result, Throwable error) {
        static Answer of(McpSyncClient client, String python) {
            try {
                return new Answer(HttpTransportIT.execute(client, python), null);
            } catch (RuntimeException e) {
                return new Answer(null, e);
            }
        }

        String stdout() {
            return result == null ? null : (String) result.get("stdout");
        }

        String describe() {
            if (result != null) {
                return "result: exitCode=" + result.get("exitCode") + " limitHit=" + result.get("limitHit") + " error="
                        + result.get("error");
            }
            return "error: " + error;
        }
    }
}
