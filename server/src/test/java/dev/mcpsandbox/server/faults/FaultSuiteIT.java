package dev.mcpsandbox.server.faults;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mcpsandbox.server.HostProcesses;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fault suite (issue 19): each fault end to end against the real jar on bubblewrap, asserting what the
 * client gets and that nothing is left afterwards: no process of the server or its sandboxes, no sandbox
 * directory under its work root, no tmpfs mount, no cgroup it created ({@link Leftovers}); no process also
 * means no bwrap mount namespace. Every server here runs without a warm pool, so anything seen after a run
 * belongs to a run that should be gone.
 *
 * <p>Covered elsewhere and not repeated here: the timing of a cancel of a running call (under a second) and
 * five cancels sent right after their calls, over stdio ({@code LongRunsIT}) and HTTP ({@code HttpCancellationIT});
 * SIGTERM letting two calls finish on both HTTP transports and the /metrics rate limit ({@code HttpLifecycleIT});
 * the everything server killed mid-call and restarted, and hostile code on the bridge socket
 * ({@code CodeModeFaultsIT}); output floods of each stream with their exact caps, timeouts, fork and memory
 * bombs ({@code LimitsIT}); containers left by a killed server ({@code ContainerBackendIT}); a request whose
 * declared length is over the limit ({@code HttpTransportIT.oversizedBody_413}).
 *
 * <p>Four of these failed on the code of 26b2bb2, each on what a client must get: the burst past the queue lost
 * answers on a loaded machine (8, 117 and 199 of 200 at load 20 to 40); slow headers were never cut off; a run
 * stopped after the SIGTERM grace got a JSON-RPC -32603 (its teardown was handed to an executor the shutdown had
 * closed) instead of {@code server_shutdown}; and a stdio client that went away left its sandbox running 10 s (the
 * graceful close waited for the pending call).
 */
class FaultSuiteIT {
    private static final Duration SETTLE = Duration.ofSeconds(10);

    /** Work roots, configurations and scripts of one test; removed after it (by then they hold nothing else). */
    @TempDir
    Path tmp;

    // ------------------------------------------------------------------ 1. SIGKILL of the server mid-run

    @Test
    @Timeout(120)
    void sigkillMidRun_sandboxesDieWithTheServer_andTheNextStartCleansTheRest() throws Exception {
        String marker = Probes.marker();
        FaultServer first = FaultServer.stdio("{\"execution\":{\"maxConcurrent\":2}}", tmp);
        try {
            first.send(FaultServer.executeCode(1, "python", "import time\ntime.sleep(300)\n"));
            first.send(FaultServer.executeCode(2, "bash", "sleep " + marker));
            Probes.awaitTrue(() -> !HostProcesses.sleeping(marker).isEmpty() && seen(first, "python3"), "both runs started");

            long killed = System.nanoTime();
            first.sigkill();
            assertThat(first.awaitExit(Duration.ofSeconds(10))).isTrue();
            Probes.awaitTrue(() -> first.seenDescendants().keySet().stream().noneMatch(ProcessHandle::isAlive),
                    "every process of the killed server's sandboxes has died (bwrap --die-with-parent)");
            double seconds = (System.nanoTime() - killed) / 1e9;
            System.out.printf("[FaultSuiteIT] sandboxes gone %.2f s after SIGKILL%n", seconds);
            assertThat(seconds).as("seconds until the sandboxes died").isLessThan(5.0);
            assertThat(HostProcesses.sleeping(marker)).isEmpty();
            List<String> left = first.leftovers().ofServer();
            System.out.printf("[FaultSuiteIT] left by the killed server until the next start: %s%n", left);
            assertThat(left).as("a killed server cannot clean up: its run directory stays")
                    .anyMatch(l -> l.startsWith("run directory"));
        } finally {
            first.close();
        }
        FaultServer next = FaultServer.stdio("{}", tmp);
        try {
            assertThat(first.leftovers().ofServer()).as("left by the killed server after the next one started").isEmpty();
            assertThat(answer(next, 3, "python", "print(6*7)").path("stdout").asText()).isEqualTo("42\n");
        } finally {
            next.close();
        }
        next.leftovers().awaitNothing(SETTLE);
    }

    // ------------------------------------------------------------------ 2. SIGTERM with executions in flight

    @Test
    @Timeout(120)
    void sigtermWithExecutionsInFlight_oneFinishesInTheGrace_oneIsStoppedWithAnAnswer_nothingLeft() throws Exception {
        FaultServer server = FaultServer.http("{}", tmp, "--shutdown-grace-seconds", "3");
        String shortMarker = "1." + Probes.marker();
        String longMarker = Probes.marker();
        try {
            McpSyncClient a = RawHttp.sdkClient(server);
            McpSyncClient b = RawHttp.sdkClient(server);
            CompletableFuture<CallToolResult> finishing = CompletableFuture.supplyAsync(() -> a.callTool(
                    call("bash", "sleep " + shortMarker + "; echo finished")));
            CompletableFuture<CallToolResult> stopped = CompletableFuture.supplyAsync(() -> b.callTool(
                    call("bash", "sleep " + longMarker + "; echo never")));
            Probes.awaitTrue(() -> !HostProcesses.sleeping(shortMarker).isEmpty() && !HostProcesses.sleeping(longMarker).isEmpty(),
                    "both calls are running");
            long signalled = System.nanoTime();
            server.sigterm();

            Object done = outcome(finishing);
            Object cut = outcome(stopped);
            assertThat(server.awaitExit(Duration.ofSeconds(30))).as("the JVM exits after SIGTERM").isTrue();
            server.leftovers().awaitNothing(SETTLE);
            System.out.printf("[FaultSuiteIT] SIGTERM: the call within the grace got %s%n[FaultSuiteIT] SIGTERM: the call "
                    + "past the grace got %s%n", done, cut);
            assertThat(done).as("the call that ends within the grace; server stderr:%n%s", server.tail())
                    .isInstanceOfSatisfying(Map.class, r -> assertThat(r.get("stdout")).isEqualTo("finished\n"));
            assertThat(cut).as("the call stopped after the grace; server stderr:%n%s", server.tail())
                    .isInstanceOfSatisfying(Map.class, r -> assertThat(r.get("error")).isInstanceOfSatisfying(Map.class,
                            e -> assertThat(e.get("type")).isEqualTo("server_shutdown")));
            System.out.printf("[FaultSuiteIT] SIGTERM to exit: %.2f s (grace 3 s)%n", (System.nanoTime() - signalled) / 1e9);
        } finally {
            server.close();
        }
        server.leftovers().awaitNothing(SETTLE);
    }

    // ------------------------------------------------------------------ 3. upstream killed mid-call, upstream silent

    @Test
    @Timeout(120)
    void upstreamKilledMidCall_andUpstreamThatNeverAnswers_giveTheCodeAClearToolError() throws Exception {
        SilentUpstream upstreams = SilentUpstream.in(Files.createDirectory(tmp.resolve("upstream")));
        String config = "{\"mcpServers\":{\"dying\":" + upstreams.serverEntry("dying") + ",\"mute\":"
                + upstreams.serverEntry("mute") + "},\"tools\":{\"allow\":[\"dying.*\",\"mute.*\"],"
                + "\"budget\":{\"callTimeoutSeconds\":4}}}";
        FaultServer server = FaultServer.stdio(config, tmp);
        try {
            long dying = upstreams.pid("dying");
            long readBefore = Probes.bytesRead(dying);
            server.send(FaultServer.executeCode(1, "python", """
                    import json, time
                    for name in ["dying.wait", "mute.wait"]:
                        started = time.monotonic()
                        try:
                            out = {"ok": True, "value": tools.call(name, {})}
                        except ToolError as e:
                            out = {"ok": False, "reason": e.reason, "message": str(e)}
                        out["tool"], out["seconds"] = name, round(time.monotonic() - started, 2)
                        print(json.dumps(out), flush=True)
                    """, Map.of("timeoutSeconds", 30)));
            Probes.awaitTrue(() -> Probes.bytesRead(dying) > readBefore, "the call reached the dying upstream");
            Thread.sleep(300);
            assertThat(ProcessHandle.of(dying).map(ProcessHandle::destroyForcibly)).contains(true);

            JsonNode result = server.awaitResponse(1, Duration.ofSeconds(40)).path("result").path("structuredContent");
            String[] lines = result.path("stdout").asText().split("\n");
            assertThat(lines).as("%s", result).hasSize(2);
            JsonNode killed = FaultServer.JSON.readTree(lines[0]);
            JsonNode silent = FaultServer.JSON.readTree(lines[1]);
            System.out.printf("[FaultSuiteIT] killed upstream: %s%n[FaultSuiteIT] silent upstream: %s%n", killed, silent);
            assertThat(killed.path("ok").asBoolean()).as("%s", killed).isFalse();
            assertThat(killed.path("reason").asText()).isEqualTo("unavailable");
            assertThat(killed.path("message").asText()).contains("dying").contains("went away");
            assertThat(killed.path("seconds").asDouble()).as("well before the 4 s call timeout").isLessThan(3.5);
            assertThat(silent.path("ok").asBoolean()).as("%s", silent).isFalse();
            assertThat(silent.path("reason").asText()).isEqualTo("unavailable");
            assertThat(silent.path("message").asText()).contains("mute").contains("did not answer");
            assertThat(silent.path("seconds").asDouble()).as("the 4 s call timeout").isBetween(3.5, 10.0);
            assertThat(result.path("exitCode").asInt(-1)).as("the code handled both errors").isZero();
            server.leftovers().awaitNoSandbox(SETTLE, SilentUpstream::isOne);
        } finally {
            server.close();
        }
        server.leftovers().awaitNothing(SETTLE);
    }

    // ------------------------------------------------------------------ 4. a client that disappears

    @Test
    @Timeout(120)
    void stdioClientThatDisappearsMidExecution_losesItsSandboxWithinSeconds() throws Exception {
        FaultServer server = FaultServer.stdio("{}", tmp);
        String marker = Probes.marker();
        try {
            server.send(FaultServer.executeCode(1, "bash", "sleep " + marker));
            Probes.awaitTrue(() -> !HostProcesses.sleeping(marker).isEmpty(), "the sandboxed sleep runs");
            long gone = System.nanoTime();
            server.loseClient();
            Probes.awaitTrue(() -> HostProcesses.sleeping(marker).isEmpty(), "the sandbox is killed");
            double seconds = (System.nanoTime() - gone) / 1e9;
            System.out.printf("[FaultSuiteIT] stdio client gone: sandbox killed after %.2f s%n", seconds);
            assertThat(server.awaitExit(Duration.ofSeconds(30))).as("the server exits with its client").isTrue();
            server.leftovers().awaitNothing(SETTLE);
            assertThat(seconds).as("seconds from the client's end to the sandbox's").isLessThan(5.0);
        } finally {
            server.close();
        }
    }

    @Test
    @Timeout(180)
    void sessionsEndedOrKilledLeaveNoProcessDirectoryMountOrCgroup() throws Exception {
        FaultServer server = FaultServer.http("{}", tmp);
        try {
            McpSyncClient client = RawHttp.sdkClient(server);
            for (String name : List.of("kept", "bombed", "ended")) {
                client.callTool(CallToolRequest.builder("execute_code").arguments(Map.of("language", "bash",
                        "session", name, "code", "sleep " + Probes.marker() + " >/dev/null 2>&1 & x=1")).build());
            }
            // A memory cap that ends one session's sandbox, an end_session, and a client that goes away with the last.
            client.callTool(CallToolRequest.builder("execute_code").arguments(Map.of("language", "python",
                    "session", "bombed", "code", "b = []\nwhile True:\n    b.append(bytearray(16 << 20))")).build());
            client.callTool(CallToolRequest.builder("end_session").arguments(Map.of("session", "ended")).build());
            assertThat(server.leftovers().ofSandboxes(cmd -> false)).as("positive control: the session still open")
                    .isNotEmpty();
            client.callTool(CallToolRequest.builder("end_session").arguments(Map.of("session", "kept")).build());
            client.callTool(CallToolRequest.builder("end_session").arguments(Map.of("session", "bombed")).build());
            server.leftovers().awaitNoSandbox(SETTLE);
        } finally {
            server.close();
        }
        server.leftovers().awaitNothing(SETTLE);
    }

    @Test
    @Timeout(120)
    void httpClientThatDropsItsConnectionMidExecution_losesItsSandboxWithinSeconds() throws Exception {
        FaultServer server = FaultServer.http("{}", tmp);
        String marker = Probes.marker();
        try {
            RawHttp http = RawHttp.session(server);
            try (Socket socket = http.postOnSocket(FaultServer.executeCode(3, "bash", "sleep " + marker))) {
                Probes.awaitTrue(() -> !HostProcesses.sleeping(marker).isEmpty(), "the sandboxed sleep runs");
            }
            long dropped = System.nanoTime();
            Probes.awaitTrue(() -> HostProcesses.sleeping(marker).isEmpty(), "the sandbox is killed");
            double seconds = (System.nanoTime() - dropped) / 1e9;
            System.out.printf("[FaultSuiteIT] HTTP connection dropped: sandbox killed after %.2f s%n", seconds);
            assertThat(seconds).isLessThan(5.0);
            server.leftovers().awaitNoSandbox(SETTLE);
            assertThat(http.post(FaultServer.executeCode(4, "python", "print(6*7)")).body()).contains("42");
        } finally {
            server.close();
        }
        server.leftovers().awaitNothing(SETTLE);
    }

    // ------------------------------------------------------------------ 5. cancel at every stage

    @Test
    @Timeout(180)
    void cancelWhileQueuedCompilingRunningOrRightAfterTheCall_isAnsweredCancelledAtOnce_nothingLeft() throws Exception {
        FaultServer server = FaultServer.stdio("{\"execution\":{\"maxConcurrent\":1,\"queueSize\":4}}", tmp);
        try {
            String holder = Probes.marker();
            String queued = Probes.marker();
            server.send(FaultServer.executeCode(10, "bash", "sleep " + holder));
            Probes.awaitTrue(() -> !HostProcesses.sleeping(holder).isEmpty(), "the call holding the only slot runs");
            server.send(FaultServer.executeCode(11, "bash", "sleep " + queued));
            Thread.sleep(300);
            assertCancelled(server, 11, "queued");
            assertThat(HostProcesses.sleeping(queued)).as("the queued call never ran").isEmpty();
            assertCancelled(server, 10, "running");
            Probes.awaitTrue(() -> HostProcesses.sleeping(holder).isEmpty(), "the running sandbox is killed");

            // About 7 s of preprocessing for gcc: a million tokens from nested macros, 60 MB.
            StringBuilder slow = new StringBuilder("#define E1 (1+1+1+1+1+1+1+1+1+1)\n");
            for (int i = 2; i <= 6; i++) {
                slow.append("#define E").append(i).append(" (").append(String.join("+", java.util.Collections.nCopies(10,
                        "E" + (i - 1)))).append(")\n");
            }
            slow.append("int main(void) { volatile long x = E6; return (int) (x & 1); }\n");
            server.send(FaultServer.executeCode(12, "c", slow.toString()));
            Probes.awaitTrue(() -> aliveDescendant(server, "cc1"), "gcc is compiling");
            assertCancelled(server, 12, "compiling");
            Probes.awaitTrue(() -> !aliveDescendant(server, "cc1"), "the compiler is killed");

            server.send(FaultServer.executeCode(13, "bash", "sleep 5; echo ran-to-its-end") + "\n" + FaultServer.cancel(13));
            long sent = System.nanoTime();
            JsonNode r = server.awaitResponse(13, Duration.ofSeconds(20)).path("result").path("structuredContent");
            assertThat(r.path("error").path("type").asText()).as("a cancel right after its call: %s", r).isEqualTo("cancelled");
            assertThat((System.nanoTime() - sent) / 1e9).isLessThan(4.0);

            assertThat(answer(server, 14, "python", "print(6*7)").path("stdout").asText())
                    .as("the slot is free after four cancels").isEqualTo("42\n");
            server.leftovers().awaitNoSandbox(SETTLE);
        } finally {
            server.close();
        }
        server.leftovers().awaitNothing(SETTLE);
    }

    // ------------------------------------------------------------------ 6. a burst past the queue (stdio)

    /**
     * Before stdio answers were handed to the SDK one at a time, the loss depended on load: 8, 117 and 199 of 200
     * went unanswered at load 20 to 40 on 2 cores, none at load 6.
     */
    @Test
    @Timeout(180)
    void burstOfTwoHundredPastTheQueue_everyRequestGetsExactlyOneAnswer_andTheServerLives() throws Exception {
        FaultServer server = FaultServer.stdio("{\"execution\":{\"maxConcurrent\":1,\"queueSize\":2}}", tmp);
        try {
            StringBuilder burst = new StringBuilder();
            for (int id = 1000; id < 1200; id++) {
                burst.append(FaultServer.executeCode(id, "bash", "sleep 0.2; echo ran-" + id)).append('\n');
            }
            server.send(burst.toString().strip());
            // Read until all 200 are answered, or nothing more arrives for 15 s (an answer lost for good).
            Map<Integer, List<JsonNode>> answers = new HashMap<>();
            long lastArrival = System.nanoTime();
            while (answers.size() < 200 && System.nanoTime() - lastArrival < TimeUnit.SECONDS.toNanos(15)) {
                for (JsonNode m : server.drain(Duration.ofMillis(500))) {
                    if (m.has("id") && (m.has("result") || m.has("error"))) {
                        answers.computeIfAbsent(m.path("id").asInt(), k -> new ArrayList<>()).add(m);
                        lastArrival = System.nanoTime();
                    }
                }
            }
            for (JsonNode m : server.drain(Duration.ofSeconds(1))) {
                if (m.has("id")) {
                    answers.computeIfAbsent(m.path("id").asInt(), k -> new ArrayList<>()).add(m);
                }
            }
            int ran = 0;
            int refused = 0;
            List<Integer> missing = new ArrayList<>();
            for (int id = 1000; id < 1200; id++) {
                List<JsonNode> got = answers.getOrDefault(id, List.of());
                if (got.isEmpty()) {
                    missing.add(id);
                    continue;
                }
                assertThat(got).as("answers to request %d", id).hasSize(1);
                JsonNode result = got.get(0).path("result");
                if (("ran-" + id + "\n").equals(result.path("structuredContent").path("stdout").asText())) {
                    ran++;
                } else {
                    refused++;
                    assertThat(result.path("isError").asBoolean()).as("%s", got.get(0)).isTrue();
                    assertThat(result.toString()).as("a refusal names the busy server").containsIgnoringCase("busy");
                }
            }
            System.out.printf("[FaultSuiteIT] burst of 200: %d ran, %d refused, %d unanswered%n", ran, refused, missing.size());
            assertThat(missing).as("requests without an answer (%d ran, %d refused)", ran, refused).isEmpty();
            assertThat(ran).isGreaterThanOrEqualTo(1);
            assertThat(refused).isGreaterThanOrEqualTo(1);
            assertThat(answer(server, 1300, "python", "print(6*7)").path("stdout").asText()).isEqualTo("42\n");
            server.leftovers().awaitNoSandbox(SETTLE);
        } finally {
            server.close();
        }
        server.leftovers().awaitNothing(SETTLE);
    }

    // ------------------------------------------------------------------ 7. a burst past the HTTP rate limit

    @Test
    @Timeout(120)
    void burstPastTheHttpRateLimit_refusalsAre429WithRetryAfter_theOthersAreServed() throws Exception {
        FaultServer server = FaultServer.http("{}", tmp, "--rate-limit", "1", "--rate-burst", "6",
                "--max-concurrent-requests", "16");
        try {
            RawHttp http = RawHttp.session(server); // spends two of the six
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                String body = FaultServer.executeCode(20 + i, "python", "print('served-" + i + "')");
                calls.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return http.post(body);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            int served = 0;
            int limited = 0;
            for (int i = 0; i < calls.size(); i++) {
                HttpResponse<String> r = calls.get(i).get(60, TimeUnit.SECONDS);
                if (r.statusCode() == 429) {
                    limited++;
                    assertThat(r.headers().firstValue("Retry-After")).hasValueSatisfying(v ->
                            assertThat(Integer.parseInt(v)).isPositive());
                    assertThat(r.body()).contains("rate limit");
                } else {
                    served++;
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    assertThat(r.body()).contains("served-" + i);
                }
            }
            System.out.printf("[FaultSuiteIT] rate-limit burst of 10: %d served, %d refused with 429%n", served, limited);
            assertThat(served).as("within the burst").isBetween(1, 5);
            assertThat(limited).isGreaterThanOrEqualTo(5);
            server.leftovers().awaitNoSandbox(SETTLE);
        } finally {
            server.close();
        }
        server.leftovers().awaitNothing(SETTLE);
    }

    // ------------------------------------------------------------------ 8. 10 MB of hostile output

    @Test
    @Timeout(120)
    void tenMegabytesOfHostileOutput_isCappedAndSentAsValidJson_andTheServerStaysResponsive() throws Exception {
        FaultServer server = FaultServer.stdio("{}", tmp);
        try {
            // One run per stream: each stream is capped on its own and the first over its cap ends the run, so the
            // flooded stream must be the only one that reaches the cap; the other gets hostile bytes below it.
            int id = 1;
            for (String flooded : List.of("stdout", "stderr")) {
                String other = flooded.equals("stdout") ? "stderr" : "stdout";
                server.send(FaultServer.executeCode(id, "python", HOSTILE_OUTPUT.formatted(flooded, other),
                        Map.of("timeoutSeconds", 30)));
                JsonNode answer = server.awaitResponse(id++, Duration.ofSeconds(60));
                assertThat(server.wireProblem()).as("the protocol stream stays UTF-8 JSON").isEmpty();
                JsonNode r = answer.path("result").path("structuredContent");
                int floodedBytes = r.path(flooded).asText().getBytes(StandardCharsets.UTF_8).length;
                int otherBytes = r.path(other).asText().getBytes(StandardCharsets.UTF_8).length;
                int wire = server.rawLines().stream().mapToInt(String::length).max().orElse(0);
                System.out.printf("[FaultSuiteIT] hostile %s: %d bytes returned, %s %d bytes; answer line %d chars%n",
                        flooded, floodedBytes, other, otherBytes, wire);
                assertThat(r.path("limitHit").asText()).as("limitHit of the %s flood", flooded).isEqualTo("output");
                assertThat(r.path(flooded + "Truncated").asBoolean()).as(flooded + "Truncated").isTrue();
                assertThat(r.path(other + "Truncated").asBoolean()).as(other + "Truncated").isFalse();
                assertThat(otherBytes).as("the hostile bytes on %s came back", other).isPositive();
                // 1 MiB per stream by default; an invalid byte comes back as U+FFFD, 3 bytes in UTF-8.
                assertThat(floodedBytes).isLessThanOrEqualTo(3 * 1024 * 1024);
                assertThat(wire).as("the answer's line, escapes included").isLessThan(24 * 1024 * 1024);
            }
            long asked = System.nanoTime();
            assertThat(answer(server, 3, "python", "print(6*7)").path("stdout").asText()).isEqualTo("42\n");
            assertThat((System.nanoTime() - asked) / 1e9).as("seconds for the next call").isLessThan(10.0);
            server.leftovers().awaitNoSandbox(SETTLE);
        } finally {
            server.close();
        }
        server.leftovers().awaitNothing(SETTLE);
    }

    /**
     * Random bytes, invalid UTF-8 (a lone continuation, an encoded surrogate), ANSI and OSC escapes with NUL,
     * BEL and backspace: 256 KiB to the second stream, then 10 MiB of it and a 10 MiB line without a newline
     * to the first.
     */
    private static final String HOSTILE_OUTPUT = """
            import os, sys
            flood, other = sys.%s.buffer, sys.%s.buffer
            hostile = [os.urandom(65536), b"\\xff\\xfe\\xc3\\x28\\xed\\xa0\\x80" * 9000,
                       b"\\x1b[2J\\x1b[31m\\x1b]0;title\\x07\\x1b[?1049h\\r\\x00\\x08" * 4000]
            for i in range(4):
                other.write(hostile[i %% 3][:65536]); other.flush()
            for i in range(160):
                flood.write(hostile[i %% 3]); flood.flush()
            flood.write(b"A" * (10 * 1024 * 1024)); flood.flush()
            """;

    // ------------------------------------------------------------------ 9. slow headers, a whole oversized body

    /**
     * The server bounds the time to receive headers ({@code --header-timeout-seconds}, default 10: closed after about
     * 11 s); the 60 s here leaves a loaded machine room.
     */
    @Test
    @Timeout(120)
    void headersAtOneBytePerSecond_theServerClosesTheConnection() throws Exception {
        FaultServer server = FaultServer.http("{}", tmp);
        try (Socket socket = new Socket("127.0.0.1", server.uri("/").getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            CompletableFuture<Integer> closed = CompletableFuture.supplyAsync(() -> RawHttp.readUntilClosed(socket));
            long started = System.nanoTime();
            boolean refused = false;
            while (!closed.isDone() && !refused && System.nanoTime() - started < TimeUnit.SECONDS.toNanos(60)) {
                try {
                    out.write('x');
                    out.flush();
                    Thread.sleep(1000);
                } catch (IOException e) {
                    refused = true; // the server closed its end
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            boolean closedByServer = closed.isDone() || refused;
            System.out.printf("[FaultSuiteIT] slow headers: %s after %.1f s%n", closedByServer ? "closed" : "still open",
                    seconds);
            assertThat(closedByServer).as("the server closed a 1 byte/s header within 60 s").isTrue();
        } finally {
            server.close();
        }
        server.leftovers().awaitNothing(SETTLE);
    }

    /**
     * The server answers 413 first, then reads and drops the rest of the body, so a client that sends it all reads the
     * refusal instead of a reset connection.
     */
    @Test
    @Timeout(120)
    void wholeFiveMebibyteBody_isAnsweredWithAReadable413() throws Exception {
        FaultServer server = FaultServer.http("{}", tmp);
        try (Socket socket = new Socket("127.0.0.1", server.uri("/").getPort())) {
            byte[] body = new byte[5 * 1024 * 1024];
            java.util.Arrays.fill(body, (byte) ' ');
            CompletableFuture<String> statusLine = CompletableFuture.supplyAsync(() -> RawHttp.statusLine(socket));
            try {
                OutputStream out = socket.getOutputStream();
                out.write((RawHttp.headers("POST /mcp", body.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
            } catch (IOException e) {
                // the server may stop reading once it has refused; the status line is what counts
            }
            String line = statusLine.get(30, TimeUnit.SECONDS);
            System.out.printf("[FaultSuiteIT] whole 5 MiB body: status line '%s'%n", line);
            assertThat(line).startsWith("HTTP/1.1 413");
        } finally {
            server.close();
        }
        server.leftovers().awaitNothing(SETTLE);
    }

    // ------------------------------------------------------------------ helpers

    private static void assertCancelled(FaultServer server, int id, String stage) throws Exception {
        long sent = System.nanoTime();
        server.send(FaultServer.cancel(id));
        JsonNode r = server.awaitResponse(id, Duration.ofSeconds(20)).path("result").path("structuredContent");
        double seconds = (System.nanoTime() - sent) / 1e9;
        System.out.printf("[FaultSuiteIT] cancel while %s: answered after %.2f s%n", stage, seconds);
        assertThat(r.path("error").path("type").asText()).as("cancel while %s: %s", stage, r).isEqualTo("cancelled");
        assertThat(seconds).as("seconds until the cancel while %s was answered", stage).isLessThan(3.0);
    }

    /** Runs one call and returns its structured result. */
    private static JsonNode answer(FaultServer server, int id, String language, String code) throws Exception {
        server.send(FaultServer.executeCode(id, language, code));
        return server.awaitResponse(id, Duration.ofSeconds(60)).path("result").path("structuredContent");
    }

    private static CallToolRequest call(String language, String code) {
        return CallToolRequest.builder("execute_code").arguments(Map.of("language", language, "code", code)).build();
    }

    /** The structured result of the call, or the error the client got instead, as text. */
    private static Object outcome(CompletableFuture<CallToolResult> call) throws Exception {
        try {
            return call.get(60, TimeUnit.SECONDS).structuredContent();
        } catch (java.util.concurrent.ExecutionException e) {
            return "error: " + e.getCause();
        }
    }

    private static boolean seen(FaultServer server, String command) {
        return server.seenDescendants().entrySet().stream().anyMatch(e -> e.getKey().isAlive() && e.getValue().contains(command));
    }

    private static boolean aliveDescendant(FaultServer server, String command) {
        return server.process().toHandle().descendants().anyMatch(p -> FaultServer.commandLine(p).contains(command));
    }


}
