package dev.mcpsandbox.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Code mode when things go wrong: an upstream server dies in the middle of a call, an upstream server cannot
 * start at all, and sandboxed code attacks its own bridge socket with malformed, oversized, half-closed,
 * too many and too eager connections. Each time the execution still ends well within its timeout, the server
 * stays undisturbed for the next execution, and a concurrent execution is unaffected.
 */
class CodeModeFaultsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String TAG_VARIABLE = "CODE_MODE_FAULTS_IT_TAG";
    private static final String GHOST_COMMAND = "/nonexistent/mcp-sandbox-it-ghost-server";
    /** Hostile probes must end long before this; a hang shows up as a timeout. */
    private static final int TIMEOUT_SECONDS = 30;

    /**
     * Raw-socket helpers for the hostile probes: {@code connect()}, {@code read_msgs(sock, n)} (the answers
     * read and how reading ended: None when n arrived, or "eof", "reset", "timeout"), {@code raw_call(a, b)}
     * (one proper call over a new connection) and {@code report(**fields)} (one JSON line on stdout).
     */
    private static final String PY_SOCKET = """
            import json, socket, threading, time
            PATH = "/run/mcp/tools.sock"
            def connect(timeout=5.0):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(timeout)
                s.connect(PATH)
                return s
            def read_msgs(s, n, timeout=5.0):
                s.settimeout(timeout)
                buf, out, end = b"", [], None
                while len(out) < n:
                    try:
                        chunk = s.recv(65536)
                    except socket.timeout:
                        end = "timeout"; break
                    except ConnectionResetError:
                        end = "reset"; break
                    if not chunk:
                        end = "eof"; break
                    buf += chunk
                    while b"\\n" in buf:
                        line, buf = buf.split(b"\\n", 1)
                        out.append(json.loads(line))
                return out, end
            def request(id, a, b):
                return (json.dumps({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                                    "params": {"name": "everything.get-sum", "arguments": {"a": a, "b": b}}}) + "\\n").encode()
            def raw_call(a, b):
                s = connect()
                try:
                    s.sendall(request("check", a, b))
                    msgs, end = read_msgs(s, 1)
                finally:
                    s.close()
                if msgs and "result" in msgs[0]:
                    return msgs[0]["result"]["value"]
                return {"failed": msgs, "end": end}
            def report(**fields):
                print(json.dumps(fields), flush=True)
            def afterwards():
                time.sleep(0.2)  # let the bridge notice the connections this probe closed
                report(label="after", raw=raw_call(20, 22), library=tools.everything.get_sum(a=20, b=22))
            """;

    private static Path dir;
    private static String tag;
    private static SandboxServer server;
    private static long startupMillis;

    @BeforeAll
    static void start() throws IOException {
        SandboxServer.requireOrSkip(Files.isExecutable(CodeModeIT.upstreamBin("mcp-server-everything"))
                        && Files.isExecutable(CodeModeIT.upstreamBin("mcp-server-memory")),
                "the pinned upstream MCP servers are not installed (bin/setup --test-deps)");
        dir = Files.createTempDirectory("code-mode-faults-it-");
        tag = "faults" + letters(16);
        Map<String, Object> servers = new LinkedHashMap<>();
        servers.put("everything", Map.of("command", CodeModeIT.upstreamBin("mcp-server-everything").toString(),
                "args", List.of(), "env", Map.of(TAG_VARIABLE, tag)));
        servers.put("memory", Map.of("command", CodeModeIT.upstreamBin("mcp-server-memory").toString(), "args", List.of(),
                "env", Map.of("MEMORY_FILE_PATH", dir.resolve("memory.jsonl").toString())));
        servers.put("ghost", Map.of("command", GHOST_COMMAND, "args", List.of()));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("mcpServers", servers);
        config.put("tools", Map.of("allow", List.of("everything.*", "memory.*", "ghost.*")));
        config.put("limits", Map.of("toolCalls", 500));
        long started = System.nanoTime();
        server = SandboxServer.start(JSON.writeValueAsString(config), Map.of());
        startupMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    }

    @AfterAll
    static void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** A test that killed the everything server leaves it restarting; the next one waits for it. */
    @BeforeEach
    void everythingIsAvailable() {
        awaitState("everything", "available", Duration.ofSeconds(20));
    }

    // ---------------------------------------------------------------- an upstream dies mid-call

    @Test
    void upstreamKilledMidCall_failsFastAsUnavailable_andIsRestarted() throws Exception {
        long upstream = everythingProcess();
        long before = bytesRead(upstream);
        CompletableFuture<Map<String, Object>> running = CompletableFuture.supplyAsync(() -> run("python", """
                import json, time
                started = time.monotonic()
                try:
                    value = tools.everything.trigger_long_running_operation(duration=8, steps=8)
                    out = {"ok": True, "value": value}
                except ToolError as e:
                    out = {"ok": False, "reason": e.reason, "message": str(e)}
                out["seconds"] = round(time.monotonic() - started, 3)
                print(json.dumps(out))
                """));
        // Kill it once the request has reached it (the bytes it read from stdin grow).
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (bytesRead(upstream) == before && System.nanoTime() < end && !running.isDone()) {
            Thread.sleep(20);
        }
        assertThat(running.isDone()).as("the call returned before the upstream was killed").isFalse();
        Thread.sleep(300);
        long killedAt = System.nanoTime();
        assertThat(ProcessHandle.of(upstream).map(ProcessHandle::destroyForcibly)).as("SIGKILL to %d", upstream)
                .contains(true);

        Map<String, Object> r = running.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        long afterKillMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        JsonNode out = json(lastLine(r));
        assertThat(out.path("ok").asBoolean()).as("%s", out).isFalse();
        assertThat(out.path("reason").asText()).as("%s", out).isEqualTo("unavailable");
        assertThat(out.path("message").asText()).contains("everything");
        assertThat(out.path("seconds").asDouble()).as("seconds the call took (the operation lasts 8)").isLessThan(4.0);
        assertThat(afterKillMillis).as("ms from the kill to the execution's answer").isLessThan(3000);
        assertThat(r.get("exitCode")).isEqualTo(0);
        assertThat(calls(r)).singleElement().satisfies(c -> {
            assertThat(c.get("tool")).isEqualTo("everything.trigger-long-running-operation");
            assertThat(c.get("ok")).isEqualTo(false);
        });

        // Restarted automatically: a later execution's call succeeds within about 10 s.
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        Map<String, Object> later;
        List<String> attempts = new ArrayList<>();
        do {
            later = run("python", "print(tools.call('everything.get-sum', {'a': 2, 'b': 2}))");
            attempts.add(later.get("exitCode") + " " + later.get("stderr"));
            if (Integer.valueOf(0).equals(later.get("exitCode"))) {
                break;
            }
            Thread.sleep(250);
        } while (System.nanoTime() < deadline);
        assertThat(later.get("stdout")).as("a call after the restart; attempts: %s", attempts)
                .isEqualTo("The sum of 2 and 2 is 4.\n");
        assertThat(everythingProcess()).as("the restarted upstream is a new process").isNotEqualTo(upstream);
    }

    // ---------------------------------------------------------------- an upstream that cannot start

    @Test
    void upstreamWhoseCommandDoesNotExist_isReportedUnavailable() {
        System.out.printf("[CodeModeFaultsIT] server start-up with a broken upstream: %d ms%n", startupMillis);
        assertThat(startupMillis).as("start-up is not held up by the broken upstream").isLessThan(20_000);

        @SuppressWarnings("unchecked")
        Map<String, Object> found = (Map<String, Object>) server.call("search_tools", Map.of("query", "")).structuredContent();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> servers = (List<Map<String, Object>>) found.get("servers");
        Map<String, Object> ghost = servers.stream().filter(s -> "ghost".equals(s.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("ghost not among " + servers));
        assertThat(ghost.get("state")).isEqualTo("unavailable");
        assertThat((String) ghost.get("detail")).as("the reason").contains(GHOST_COMMAND);
        assertThat(servers).filteredOn(s -> !"ghost".equals(s.get("name")))
                .extracting(s -> s.get("name") + "=" + s.get("state"))
                .containsExactlyInAnyOrder("everything=available", "memory=available");
        assertThat(SandboxServer.text(server.call("search_tools", Map.of("query", "ghost")))).contains("ghost", "unavailable");

        Map<String, Object> r = run("python", """
                import json
                for label, f in [("call", lambda: tools.call("ghost.anything", {})),
                                 ("attribute", lambda: tools.ghost.anything()),
                                 ("other", lambda: tools.everything.get_sum(a=1, b=2))]:
                    try:
                        print(json.dumps({"label": label, "ok": True, "value": f()}))
                    except ToolError as e:
                        print(json.dumps({"label": label, "ok": False, "reason": e.reason, "message": str(e)}))
                """);
        Map<String, JsonNode> out = byLabel(r);
        System.out.printf("[CodeModeFaultsIT] calling a tool of the broken upstream: tools.call -> %s; attribute -> %s%n",
                out.get("call"), out.get("attribute"));
        assertThat(out.get("call").path("reason").asText()).as("tools.call by real name: %s", out.get("call"))
                .isEqualTo("unavailable");
        assertThat(out.get("call").path("message").asText()).contains("ghost", "unavailable", GHOST_COMMAND);
        assertThat(out.get("attribute").path("reason").asText()).as("%s", out.get("attribute")).isEqualTo("unknown_tool");
        assertThat(out.get("attribute").path("message").asText()).contains("ghost");
        assertThat(out.get("other").path("ok").asBoolean()).as("the other servers work").isTrue();

        Map<String, Object> bash = run("bash", "tool ghost.anything '{}'; echo \"rc=$?\"");
        assertThat(bash.get("stdout")).isEqualTo("rc=5\n");
        assertThat((String) bash.get("stderr")).contains("ghost.anything unavailable");
    }

    // ---------------------------------------------------------------- hostile code on the bridge socket

    @Test
    void hostileBridge_garbageIsAnsweredWithParseError() {
        Map<String, JsonNode> out = hostile("""
                s = connect()
                s.sendall(b"\\x00\\xff\\xfe not json {{{\\n")
                msgs, end = read_msgs(s, 1)
                s.sendall(b'{"jsonrpc":"2.0","id":7,"method":"tools/list"}\\n')
                again, end2 = read_msgs(s, 1)
                s.close()
                report(label="garbage", answer=msgs, end=end, sameConnection=[m.get("id") for m in again],
                       sameConnectionHasResult=bool(again) and "result" in again[0])
                """);
        JsonNode garbage = out.get("garbage");
        JsonNode answer = garbage.path("answer").path(0);
        assertThat(answer.path("error").path("code").asInt()).as("%s", garbage).isEqualTo(-32700);
        assertThat(answer.path("error").path("data").path("reason").asText()).isEqualTo("parse_error");
        assertThat(answer.has("id") && answer.get("id").isNull()).as("id null: %s", answer).isTrue();
        assertThat(garbage.path("sameConnectionHasResult").asBoolean()).as("the connection still serves: %s", garbage)
                .isTrue();
    }

    @Test
    void hostileBridge_lineOverOneMebibyteIsRefusedAndTheConnectionClosed() {
        Map<String, JsonNode> out = hostile("""
                s = connect(timeout=10)
                sent = {}
                def send():
                    try:
                        s.sendall(b"x" * (2 << 20))
                        sent["result"] = "all sent"
                    except OSError as e:
                        sent["result"] = type(e).__name__
                sender = threading.Thread(target=send)
                sender.start()
                msgs, end = read_msgs(s, 2, timeout=10)
                sender.join(10)
                s.close()
                report(label="long", answer=msgs, end=end, sender=sent.get("result"))
                """);
        JsonNode longLine = out.get("long");
        assertThat(longLine.path("answer")).as("%s", longLine).hasSize(1);
        JsonNode error = longLine.path("answer").path(0).path("error");
        assertThat(error.path("code").asInt()).isEqualTo(-32600);
        assertThat(error.path("data").path("reason").asText()).isEqualTo("invalid_request");
        assertThat(longLine.path("end").asText()).as("then the bridge closed the connection").isIn("eof", "reset");
    }

    @Test
    void hostileBridge_halfCloseAfterAPartialRequestDoesNotHang() {
        Map<String, JsonNode> out = hostile("""
                s = connect()
                s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"tools/ca')
                s.shutdown(socket.SHUT_WR)
                started = time.monotonic()
                msgs, end = read_msgs(s, 1, timeout=5)
                s.close()
                report(label="half", answer=msgs, end=end, seconds=round(time.monotonic() - started, 3))
                """);
        JsonNode half = out.get("half");
        assertThat(half.path("end").asText()).as("the bridge closes its side: %s", half).isIn("eof", "reset");
        assertThat(half.path("seconds").asDouble()).isLessThan(2.0);
    }

    @Test
    void hostileBridge_onlyFourConnectionsAreServed() {
        Map<String, JsonNode> out = hostile("""
                conns = [connect() for _ in range(10)]
                time.sleep(0.3)
                served, refused = 0, []
                for c in conns:
                    try:
                        c.sendall(b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}\\n')
                        msgs, end = read_msgs(c, 1, timeout=3)
                    except OSError as e:
                        msgs, end = [], type(e).__name__
                    if msgs and "result" in msgs[0]:
                        served += 1
                    else:
                        refused.append(end)
                for c in conns:
                    c.close()
                report(label="many", served=served, refused=refused)
                """);
        JsonNode many = out.get("many");
        assertThat(many.path("served").asInt()).as("%s", many).isEqualTo(4);
        assertThat(many.path("refused")).hasSize(6).allSatisfy(end -> assertThat(end.asText()).isNotEqualTo("timeout"));
    }

    @Test
    void hostileBridge_hundredRequestsInFlightWithoutReading() {
        Map<String, JsonNode> out = hostile("""
                s = connect()
                s.sendall(b"".join(request(i, i, 1) for i in range(100)))
                time.sleep(1.0)
                msgs, end = read_msgs(s, 100, timeout=10)
                s.close()
                results = {m["id"]: m["result"]["value"] for m in msgs if "result" in m}
                errors = [m["error"] for m in msgs if "error" in m]
                report(label="flood", answered=sorted(m.get("id") for m in msgs if m.get("id") is not None), end=end,
                       results=len(results),
                       correct=sum(1 for i, v in results.items() if v == "The sum of %d and 1 is %d." % (i, i + 1)),
                       errorCodes=sorted(set(e["code"] for e in errors)),
                       errorMessages=sorted(set(e["message"] for e in errors)))
                """);
        JsonNode flood = out.get("flood");
        List<Integer> ids = new ArrayList<>();
        flood.path("answered").forEach(n -> ids.add(n.asInt()));
        assertThat(ids).as("every request answered once: %s", flood).hasSize(100)
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 100).boxed().toList());
        assertThat(flood.path("results").asInt()).as("calls served (at most 16 in flight)").isGreaterThanOrEqualTo(16);
        assertThat(flood.path("correct").asInt()).isEqualTo(flood.path("results").asInt());
        if (flood.path("results").asInt() < 100) {
            assertThat(flood.path("errorCodes").toString()).isEqualTo("[-32600]");
            assertThat(flood.path("errorMessages").toString()).contains("in flight");
        }
    }

    @Test
    void hostileBridge_invalidIdsAndMalformedParams() {
        Map<String, JsonNode> out = hostile("""
                s = connect()
                for raw in [b'null', b'{"a":1}', b'[1]', b'1.5', b'true']:
                    s.sendall(b'{"jsonrpc":"2.0","id":' + raw + b',"method":"tools/list"}\\n')
                s.sendall(b'{"jsonrpc":"2.0","method":"tools/list"}\\n')
                bad_ids, end = read_msgs(s, 6)
                s.sendall(b'{"jsonrpc":"2.0","id":"abc","method":"tools/list"}\\n')
                s.sendall(b'{"jsonrpc":"2.0","id":12345678901234567890,"method":"tools/list"}\\n')
                good_ids, end2 = read_msgs(s, 2)
                s.sendall(b'{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"everything.get-sum","arguments":[1,2]}}\\n')
                s.sendall(b'{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"arguments":{}}}\\n')
                s.sendall(b'{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"nodot","arguments":{}}}\\n')
                s.sendall(b'{"jsonrpc":"2.0","id":12,"method":"tools/nosuch"}\\n')
                s.sendall(b'[1,2,3]\\n')
                malformed, end3 = read_msgs(s, 5)
                s.close()
                report(label="ids", badIds=[[m.get("id"), m.get("error", {}).get("code")] for m in bad_ids],
                       goodIds=[[str(m.get("id")), "result" in m] for m in good_ids],
                       malformed={str(m.get("id")): [m.get("error", {}).get("code"), m.get("error", {}).get("data", {}).get("reason")]
                                  for m in malformed}, ends=[end, end2, end3])
                """);
        JsonNode ids = out.get("ids");
        assertThat(ids.path("badIds").toString()).as("%s", ids).isEqualTo("[[null,-32600],[null,-32600],[null,-32600],"
                + "[null,-32600],[null,-32600],[null,-32600]]");
        List<String> goodIds = new ArrayList<>();
        ids.path("goodIds").forEach(n -> goodIds.add(n.toString()));
        // Answers may come back in any order (docs/bridge-protocol.md).
        assertThat(goodIds).containsExactlyInAnyOrder("[\"abc\",true]", "[\"12345678901234567890\",true]");
        JsonNode malformed = ids.path("malformed");
        assertThat(malformed.path("9").toString()).as("arguments as a list").isEqualTo("[-32602,\"invalid_params\"]");
        assertThat(malformed.path("10").toString()).as("no name").isEqualTo("[-32602,\"invalid_params\"]");
        assertThat(malformed.path("11").toString()).as("name without a server").isEqualTo("[-32602,\"invalid_params\"]");
        assertThat(malformed.path("12").toString()).as("unknown method").isEqualTo("[-32601,\"unknown_method\"]");
        assertThat(malformed.path("None").toString()).as("not an object").isEqualTo("[-32600,\"invalid_request\"]");
    }

    // ---------------------------------------------------------------- isolation between executions

    @Test
    void hostileExecution_doesNotDisturbAConcurrentExecution() throws Exception {
        CompletableFuture<Map<String, Object>> hostile = CompletableFuture.supplyAsync(() -> run("python", PY_SOCKET + """
                for _ in range(3):
                    s = connect(); s.sendall(b"\\x00garbage\\n"); read_msgs(s, 1); s.close()
                    conns = [connect() for _ in range(10)]
                    for c in conns:
                        try:
                            c.sendall(b"".join(request(i, i, 1) for i in range(40)))
                        except OSError:
                            pass
                    s = connect(timeout=10)
                    threading.Thread(target=lambda: s.sendall(b"y" * (2 << 20)), daemon=True).start()
                    read_msgs(s, 1, timeout=10)
                    for c in conns:
                        c.close()
                    s.close()
                    time.sleep(0.2)
                print("hostile done")
                """));
        Thread.sleep(300);
        Map<String, Object> good = run("python", """
                import time
                started = time.monotonic()
                wrong = [i for i in range(50) if tools.everything.get_sum(a=i, b=2) != "The sum of %d and 2 is %d." % (i, i + 2)]
                print("wrong", wrong, "seconds %.2f" % (time.monotonic() - started))
                """);
        Map<String, Object> h = hostile.get(TIMEOUT_SECONDS + 10, TimeUnit.SECONDS);
        assertThat(h.get("stdout")).as("hostile run; stderr: %s", h.get("stderr")).isEqualTo("hostile done\n");
        assertThat(good.get("exitCode")).as("good run; stderr: %s", good.get("stderr")).isEqualTo(0);
        assertThat((String) good.get("stdout")).startsWith("wrong []");
        assertThat(calls(good)).hasSize(50).allSatisfy(c -> assertThat(c.get("ok")).isEqualTo(true));
        assertServerUndisturbed();
    }

    /**
     * A bridge client that sends requests and never reads the answers must only hurt itself: its answers back up
     * in its own socket, not in threads other executions need.
     */
    @Test
    void clientThatNeverReads_doesNotStallOtherExecutions() throws Exception {
        CompletableFuture<Map<String, Object>> hostile = CompletableFuture.supplyAsync(() -> run("python", """
                import socket, time
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect("/run/mcp/tools.sock")
                s.setblocking(False)
                sent = 0
                for i in range(400):
                    try:
                        s.send(b'{"jsonrpc":"2.0","id":%d,"method":"tools/list"}\\n' % i)
                        sent += 1
                    except BlockingIOError:
                        break
                    time.sleep(0.002)
                print("sent", sent, flush=True)
                time.sleep(10)
                """));
        Thread.sleep(2000);
        Map<String, Object> good = run("python", """
                import time
                started = time.monotonic()
                for i in range(50):
                    tools.everything.get_sum(a=i, b=1)
                print("seconds %.2f" % (time.monotonic() - started))
                """);
        Map<String, Object> h = hostile.get(TIMEOUT_SECONDS + 10, TimeUnit.SECONDS);
        double seconds = Double.parseDouble(((String) good.get("stdout")).replaceAll("(?s).*seconds ([0-9.]+).*", "$1"));
        System.out.printf("[CodeModeFaultsIT] 50 calls beside a client that never reads: %.2f s (hostile: %s)%n", seconds,
                ((String) h.get("stdout")).strip());
        assertThat(good.get("exitCode")).as("stderr: %s", good.get("stderr")).isEqualTo(0);
        assertThat(seconds).as("seconds the good execution needed for 50 get-sum calls while another execution's"
                + " bridge client never read its answers (normally ~0.2 s)").isLessThan(3.0);
    }

    /** One execution's slow calls must not queue another execution's calls behind them. */
    @Test
    void slowCallsOfOneExecution_doNotDelayAnotherExecutionsCalls() throws Exception {
        CompletableFuture<Map<String, Object>> slow = CompletableFuture.supplyAsync(() -> run("python", """
                import time
                from concurrent.futures import ThreadPoolExecutor
                started = time.monotonic()
                with ThreadPoolExecutor(8) as pool:
                    list(pool.map(lambda _: tools.everything.trigger_long_running_operation(duration=4, steps=1), range(8)))
                print("seconds %.2f" % (time.monotonic() - started))
                """));
        Thread.sleep(1500);
        Map<String, Object> quick = run("python", """
                import time
                started = time.monotonic()
                tools.everything.get_sum(a=1, b=2)
                print("seconds %.2f" % (time.monotonic() - started))
                """);
        Map<String, Object> s = slow.get(TIMEOUT_SECONDS + 10, TimeUnit.SECONDS);
        double quickSeconds = seconds(quick);
        double slowSeconds = seconds(s);
        System.out.printf("[CodeModeFaultsIT] one get-sum beside 8 concurrent 4-s calls: %.2f s; the 8 calls: %.2f s%n",
                quickSeconds, slowSeconds);
        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(quickSeconds).as("seconds one get-sum call of another execution took (normally < 0.1 s)")
                .isLessThan(2.0);
        soft.assertThat(slowSeconds).as("seconds 8 concurrent 4-second calls took (the bridge allows 16 in flight)")
                .isLessThan(6.0);
        soft.assertAll();
    }

    // ---------------------------------------------------------------- helpers

    /** Runs a hostile probe, then a proper call in the same execution; checks both and the server afterwards. */
    private Map<String, JsonNode> hostile(String probe) {
        Map<String, Object> r = run("python", PY_SOCKET + probe + "afterwards()\n");
        Map<String, JsonNode> out = byLabel(r);
        assertThat(r.get("exitCode")).as("hostile probe; stdout: %s\nstderr: %s", r.get("stdout"), r.get("stderr"))
                .isEqualTo(0);
        assertThat(((Number) r.get("durationMs")).longValue()).as("ms the hostile execution took").isLessThan(15_000);
        JsonNode after = out.get("after");
        assertThat(after).as("the same execution's proper calls afterwards; stderr: %s", r.get("stderr")).isNotNull();
        assertThat(after.path("raw").asText()).as("a proper call over a new connection: %s", after)
                .isEqualTo("The sum of 20 and 22 is 42.");
        assertThat(after.path("library").asText()).isEqualTo("The sum of 20 and 22 is 42.");
        assertServerUndisturbed();
        return out;
    }

    private static void assertServerUndisturbed() {
        Map<String, Object> next = run("python", "print(tools.everything.get_sum(a=1, b=2))");
        assertThat(next.get("stdout")).as("the next execution; stderr: %s", next.get("stderr"))
                .isEqualTo("The sum of 1 and 2 is 3.\n");
    }

    private static void awaitState(String name, String state, Duration within) {
        long end = System.nanoTime() + within.toNanos();
        String seen = "";
        while (System.nanoTime() < end) {
            @SuppressWarnings("unchecked")
            Map<String, Object> found = (Map<String, Object>) server.call("search_tools", Map.of("query", "")).structuredContent();
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> servers = (List<Map<String, Object>>) found.get("servers");
            Optional<Map<String, Object>> s = servers.stream().filter(x -> name.equals(x.get("name"))).findFirst();
            seen = s.map(Object::toString).orElse("absent");
            if (s.isPresent() && state.equals(s.get().get("state"))) {
                return;
            }
            sleep(100);
        }
        throw new AssertionError("server " + name + " did not become " + state + " within " + within + "; last: " + seen);
    }

    /** The everything server this class's server started: tagged in its environment, a descendant of that server. */
    private static long everythingProcess() {
        long serverPid = server.pid();
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<Long> pids = List.of();
        while (System.nanoTime() < end) {
            pids = CodeModeRefusalsIT.processesWithEnvironmentEntry(TAG_VARIABLE + "=" + tag).stream()
                    .filter(pid -> descendsFrom(pid, serverPid)).toList();
            if (!pids.isEmpty()) {
                break;
            }
            sleep(100);
        }
        assertThat(pids).as("the everything server started by server %d", serverPid).hasSize(1);
        long pid = pids.get(0);
        assertThat(ProcessHandle.of(pid).flatMap(p -> p.info().commandLine()).orElse(""))
                .contains("mcp-server-everything");
        return pid;
    }

    private static boolean descendsFrom(long pid, long ancestor) {
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        while (p.isPresent()) {
            if (p.get().pid() == ancestor) {
                return true;
            }
            p = p.get().parent();
        }
        return false;
    }

    private static long bytesRead(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "io"))) {
            if (line.startsWith("rchar:")) {
                return Long.parseLong(line.substring("rchar:".length()).strip());
            }
        }
        throw new IllegalStateException("no rchar in /proc/" + pid + "/io");
    }

    private static Map<String, Object> run(String language, String code) {
        Map<String, Object> r = server.execute(Map.of("language", language, "code", code, "timeoutSeconds", TIMEOUT_SECONDS));
        assertThat(r).as("structured result").isNotNull();
        return r;
    }

    private static Map<String, JsonNode> byLabel(Map<String, Object> r) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (String line : ((String) r.get("stdout")).split("\n")) {
            if (line.startsWith("{")) {
                JsonNode n = json(line);
                out.put(n.path("label").asText(), n);
            }
        }
        assertThat(out).as("labelled lines; exit %s, stdout: %s\nstderr: %s", r.get("exitCode"), r.get("stdout"),
                r.get("stderr")).isNotEmpty();
        return out;
    }

    private static String lastLine(Map<String, Object> r) {
        List<String> lines = ((String) r.get("stdout")).lines().toList();
        assertThat(lines).as("output; stderr: %s", r.get("stderr")).isNotEmpty();
        return lines.get(lines.size() - 1);
    }

    private static double seconds(Map<String, Object> r) {
        String out = (String) r.get("stdout");
        assertThat(out).as("timing line; stderr: %s", r.get("stderr")).contains("seconds ");
        return Double.parseDouble(out.replaceAll("(?s).*seconds ([0-9.]+).*", "$1"));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> calls(Map<String, Object> r) {
        return (List<Map<String, Object>>) r.get("toolCalls");
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String letters(int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append((char) ('a' + RANDOM.nextInt(26)));
        }
        return b.toString();
    }
}
