package dev.mcpsandbox.tools.registry;

import com.sun.net.httpserver.HttpServer;
import dev.mcpsandbox.config.UpstreamServer;
import dev.mcpsandbox.tools.ToolName;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * The registry against real upstream MCP servers: {@code @modelcontextprotocol/server-everything} and
 * {@code server-memory} (pinned under {@code .ci/upstream}), over stdio and Streamable HTTP.
 * Skips when node or the packages are missing, unless {@code sandbox.it.required=true}.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class UpstreamRegistryIT {

    private static final Logger log = LoggerFactory.getLogger(UpstreamRegistryIT.class);
    private static final Duration STARTUP_LIMIT = Duration.ofSeconds(30);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(20);

    private static Path upstreamDir;
    private static Path everything;
    private static Path memory;
    private static Path tempDir;
    private static ToolRegistry registry;
    private static long startupMillis;

    @BeforeAll
    static void connectAll() throws IOException {
        upstreamDir = Paths.get(System.getProperty("mcpSandbox.upstreamDir", "/work/main/.ci/upstream/node_modules"));
        everything = upstreamDir.resolve(".bin/mcp-server-everything");
        memory = upstreamDir.resolve(".bin/mcp-server-memory");
        require(nodeVersion() != null, "node is not on the PATH");
        require(Files.isExecutable(everything), everything + " is missing (npm ci in .ci/upstream)");
        require(Files.isExecutable(memory), memory + " is missing (npm ci in .ci/upstream)");
        tempDir = Files.createTempDirectory("upstream-it");

        Map<String, UpstreamServer> servers = new LinkedHashMap<>();
        servers.put("everything", stdio("everything", everything.toString()));
        servers.put("memory", new UpstreamServer.Stdio("memory", memory.toString(), List.of(),
                Map.of("MEMORY_FILE_PATH", tempDir.resolve("memory.jsonl").toString())));
        servers.put("banner", new UpstreamServer.Stdio("banner", "/bin/sh",
                List.of("-c", "echo \"banner: hello\"; echo '{\"not\": \"json-rpc\"}'; exec \"$0\"", everything.toString()),
                Map.of()));
        servers.put("broken", stdio("broken", "/nonexistent/mcp-server-xyz"));

        long t0 = System.nanoTime();
        registry = ToolRegistry.connect(servers, STARTUP_LIMIT);
        startupMillis = (System.nanoTime() - t0) / 1_000_000;
        log.info("MEASURE start-up of everything+memory+banner+broken in parallel: {} ms", startupMillis);
    }

    @AfterAll
    static void closeAll() throws IOException {
        if (registry != null) {
            registry.close();
        }
        if (tempDir != null) {
            try (var files = Files.walk(tempDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    // ------------------------------------------------------------------------------------------ basics

    @Test
    void startupReturnsWithAllWorkingServersAvailableAndTheBrokenOneExplained() {
        assertThat(startupMillis).isLessThan(STARTUP_LIMIT.toMillis());
        assertThat(registry.status("everything").state()).isEqualTo(ServerStatus.State.AVAILABLE);
        assertThat(registry.status("memory").state()).isEqualTo(ServerStatus.State.AVAILABLE);
        assertThat(registry.status("banner").state()).isEqualTo(ServerStatus.State.AVAILABLE);

        ServerStatus broken = registry.status("broken");
        assertThat(broken.state()).isEqualTo(ServerStatus.State.UNAVAILABLE);
        assertThat(broken.detail()).contains("cannot start", "/nonexistent/mcp-server-xyz",
                "No such file or directory", "restarting in");
        assertThat(broken.since()).isPresent();
        assertThatThrownBy(() -> registry.call(new ToolName("broken", "anything"), Map.of(), CALL_TIMEOUT))
                .isInstanceOf(ToolUnavailableException.class)
                .hasMessageContaining("'broken'").hasMessageContaining("cannot start");
    }

    @Test
    void listsToolsOfAllAvailableServersWithTheirSchemas() {
        List<String> names = registry.tools().stream().map(d -> d.name().qualified()).toList();
        assertThat(names).contains("everything.get-sum", "everything.echo", "memory.create_entities",
                "memory.read_graph", "memory.delete_entities", "banner.get-sum");
        assertThat(names).noneMatch(n -> n.startsWith("broken."));

        ToolDescriptor sum = registry.find(new ToolName("everything", "get-sum")).orElseThrow();
        assertThat(sum.title()).isEqualTo("Get Sum Tool");
        assertThat(sum.inputSchema()).containsEntry("type", "object");
        @SuppressWarnings("unchecked")
        Map<String, Object> props = (Map<String, Object>) sum.inputSchema().get("properties");
        assertThat(props).containsKeys("a", "b");
        assertThat(props.get("a")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .containsEntry("type", "number");
        assertThat(sum.inputSchema().get("required")).asList().containsExactlyInAnyOrder("a", "b");

        assertThat(registry.find(new ToolName("memory", "read_graph")).orElseThrow().outputSchema()).isPresent();
        assertThat(registry.find(new ToolName("everything", "no-such-tool"))).isEmpty();
    }

    @Test
    void callsGetSum() throws Exception {
        UpstreamResult r = registry.call(new ToolName("everything", "get-sum"), Map.of("a", 17, "b", 25), CALL_TIMEOUT);
        assertThat(r.isError()).isFalse();
        // get-sum answers in prose ("The sum of 17 and 25 is 42."), so the value is that text
        assertThat(r.value()).isInstanceOf(String.class).asString().contains("is 42");
        assertThat(r.text()).contains("42");
        assertThat(r.resultBytes()).isPositive();

        // round trip, measured once the JIT has warmed up
        for (int i = 0; i < 300; i++) {
            registry.call(new ToolName("everything", "get-sum"), Map.of("a", i, "b", 1), CALL_TIMEOUT);
        }
        int n = 500;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            UpstreamResult ri = registry.call(new ToolName("everything", "get-sum"), Map.of("a", i, "b", 1), CALL_TIMEOUT);
            assertThat(ri.text()).endsWith("is " + (i + 1) + ".");
        }
        double avgMicros = (System.nanoTime() - t0) / 1000.0 / n;
        log.info("MEASURE get-sum round trip over stdio: {} µs average over {} sequential calls",
                String.format("%.0f", avgMicros), n);
    }

    @Test
    void callsRunInParallel() throws Exception {
        List<CompletableFuture<UpstreamResult>> calls = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int a = i;
            calls.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return registry.call(new ToolName("everything", "get-sum"), Map.of("a", a, "b", 1000), CALL_TIMEOUT);
                } catch (ToolUnavailableException e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (int i = 0; i < calls.size(); i++) {
            assertThat(calls.get(i).get(30, TimeUnit.SECONDS).text()).endsWith("is " + (i + 1000) + ".");
        }
    }

    @Test
    void memoryCreateEntitiesThenReadGraph() throws Exception {
        Map<String, Object> alice = Map.of("name", "alice", "entityType", "person", "observations", List.of("likes tea"));
        UpstreamResult created = registry.call(new ToolName("memory", "create_entities"),
                Map.of("entities", List.of(alice)), CALL_TIMEOUT);
        assertThat(created.isError()).as(created.text()).isFalse();
        assertThat(created.value()).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .containsKey("entities");

        UpstreamResult graph = registry.call(new ToolName("memory", "read_graph"), Map.of(), CALL_TIMEOUT);
        assertThat(graph.isError()).isFalse();
        @SuppressWarnings("unchecked")
        Map<String, Object> value = (Map<String, Object>) graph.value();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> entities = (List<Map<String, Object>>) value.get("entities");
        assertThat(entities).anySatisfy(e -> {
            assertThat(e).containsEntry("name", "alice").containsEntry("entityType", "person");
            assertThat(e.get("observations")).asList().contains("likes tea");
        });
    }

    @Test
    void destructiveAndReadOnlyHintsAreMapped() {
        ToolDescriptor delete = registry.find(new ToolName("memory", "delete_entities")).orElseThrow();
        assertThat(delete.readOnly()).isFalse();
        assertThat(delete.destructive()).isTrue();
        assertThat(registry.find(new ToolName("memory", "delete_observations")).orElseThrow().destructive()).isTrue();
        assertThat(registry.find(new ToolName("memory", "delete_relations")).orElseThrow().destructive()).isTrue();

        ToolDescriptor create = registry.find(new ToolName("memory", "create_entities")).orElseThrow();
        assertThat(create.readOnly()).isFalse();
        assertThat(create.destructive()).as("declares destructiveHint: false").isFalse();

        ToolDescriptor read = registry.find(new ToolName("memory", "read_graph")).orElseThrow();
        assertThat(read.readOnly()).isTrue();
        assertThat(read.destructive()).isFalse();

        assertThat(registry.find(new ToolName("everything", "get-sum")).orElseThrow().readOnly()).isTrue();
    }

    @Test
    void upstreamRefusalsAreToolErrorsNotUnavailability() throws Exception {
        UpstreamResult bad = registry.call(new ToolName("everything", "get-sum"), Map.of("a", "x"), CALL_TIMEOUT);
        assertThat(bad.isError()).isTrue();
        assertThat(bad.text()).containsIgnoringCase("invalid");

        // an unlisted tool: the registry refuses before the upstream is asked ...
        assertThatThrownBy(() -> registry.call(new ToolName("everything", "no-such-tool"), Map.of(), CALL_TIMEOUT))
                .isInstanceOf(IllegalArgumentException.class);
        // ... and the source passes the upstream's answer on as a tool error
        UpstreamResult unknown = registry.source("everything").call("no-such-tool", Map.of(), CALL_TIMEOUT);
        assertThat(unknown.isError()).isTrue();
        assertThat(unknown.text()).contains("no-such-tool");
    }

    @Test
    void bannerOnStdoutIsSkipped() throws Exception {
        UpstreamResult r = registry.call(new ToolName("banner", "get-sum"), Map.of("a", 1, "b", 2), CALL_TIMEOUT);
        assertThat(r.text()).isEqualTo("The sum of 1 and 2 is 3.");
        assertThat(((UpstreamMcpToolSource) registry.source("banner")).skippedStdoutLines()).isEqualTo(2);
    }

    @Test
    void aSlowToolTimesOutAloneWhileOtherCallsGoOn() throws Exception {
        ToolName slow = new ToolName("everything", "trigger-long-running-operation");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> registry.call(slow, Map.of("duration", 3, "steps", 1), Duration.ofMillis(400)))
                .isInstanceOf(ToolUnavailableException.class)
                .hasMessageContaining("everything").hasMessageContaining("within 400 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));

        CompletableFuture<UpstreamResult> running = CompletableFuture.supplyAsync(() -> {
            try {
                return registry.call(slow, Map.of("duration", 2, "steps", 1), CALL_TIMEOUT);
            } catch (ToolUnavailableException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(200);
        long t1 = System.nanoTime();
        registry.call(new ToolName("everything", "get-sum"), Map.of("a", 1, "b", 1), CALL_TIMEOUT);
        assertThat(Duration.ofNanos(System.nanoTime() - t1)).isLessThan(Duration.ofSeconds(1));
        assertThat(running).isNotDone();
        assertThat(running.get(10, TimeUnit.SECONDS).text()).contains("Long running operation completed");
        assertThat(registry.status("everything").available()).isTrue();
    }

    // ------------------------------------------------------------------------------------------ parallel start

    @Test
    void connectsServersInParallel() throws IOException {
        Path memFile = tempDir.resolve("parallel-memory.jsonl");
        UpstreamServer e = stdio("everything", everything.toString());
        UpstreamServer m = new UpstreamServer.Stdio("memory", memory.toString(), List.of(),
                Map.of("MEMORY_FILE_PATH", memFile.toString()));
        long alone = 0;
        for (UpstreamServer s : List.of(e, m)) {
            long t0 = System.nanoTime();
            try (ToolRegistry r = ToolRegistry.connect(Map.of(s.name(), s), STARTUP_LIMIT)) {
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertThat(r.status(s.name()).available()).isTrue();
                log.info("MEASURE connect {} alone: {} ms", s.name(), ms);
                alone += ms;
            }
        }
        Map<String, UpstreamServer> both = new LinkedHashMap<>();
        both.put("everything", e);
        both.put("memory", m);
        long t0 = System.nanoTime();
        try (ToolRegistry r = ToolRegistry.connect(both, STARTUP_LIMIT)) {
            long ms = (System.nanoTime() - t0) / 1_000_000;
            log.info("MEASURE connect everything+memory in parallel: {} ms (sum of the two alone: {} ms)", ms, alone);
            assertThat(r.servers()).allMatch(ServerStatus::available);
            assertThat(r.tools()).hasSizeGreaterThan(15);
        }
    }

    @Test
    void startupStopsWaitingAtTheLimitAndTheSlowServerKeepsConnecting() {
        Map<String, UpstreamServer> servers = new LinkedHashMap<>();
        // a process that never speaks MCP: initialize goes unanswered
        servers.put("silent", new UpstreamServer.Stdio("silent", "/bin/sh", List.of("-c", "exec sleep 120"), Map.of()));
        servers.put("everything", stdio("everything", everything.toString()));
        Duration limit = Duration.ofSeconds(3);
        long t0 = System.nanoTime();
        try (ToolRegistry r = ToolRegistry.connect(servers, limit)) {
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertThat(took).isBetween(limit.minusMillis(100), limit.plusSeconds(1));
            assertThat(r.status("silent").state()).isEqualTo(ServerStatus.State.CONNECTING);
            assertThat(r.status("silent").detail()).contains("waiting for its answer to initialize");
            assertThat(r.status("everything").available()).isTrue();
            assertThatThrownBy(() -> r.call(new ToolName("silent", "x"), Map.of(), CALL_TIMEOUT))
                    .isInstanceOf(ToolUnavailableException.class).hasMessageContaining("not connected yet");
        }
    }

    // ------------------------------------------------------------------------------------------ crash and restart

    @Test
    void killingTheServerMidCallFailsTheCallFastAndItIsRestarted() throws Exception {
        try (ToolRegistry r = ToolRegistry.connect(Map.of("victim", stdio("victim", everything.toString())),
                STARTUP_LIMIT)) {
            assertThat(r.status("victim").available()).isTrue();
            UpstreamMcpToolSource source = (UpstreamMcpToolSource) r.source("victim");
            long pid = source.pid();
            assertThat(pid).isPositive();
            AtomicInteger changes = new AtomicInteger();
            r.onToolsChanged(changes::incrementAndGet);

            CompletableFuture<UpstreamResult> call = CompletableFuture.supplyAsync(() -> {
                try {
                    return r.call(new ToolName("victim", "trigger-long-running-operation"),
                            Map.of("duration", 30, "steps", 1), Duration.ofSeconds(60));
                } catch (ToolUnavailableException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            Thread.sleep(500);
            assertThat(call).isNotDone();

            long killedAt = System.nanoTime();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> call.get(5, TimeUnit.SECONDS));
            long failMillis = (System.nanoTime() - killedAt) / 1_000_000;
            assertThat(failed.getCause()).isInstanceOf(ToolUnavailableException.class)
                    .hasMessageContaining("'victim'").hasMessageContaining("exited with status 137");
            log.info("MEASURE in-flight call failed {} ms after SIGKILL: {}", failMillis, failed.getCause().getMessage());

            ServerStatus down = r.status("victim");
            assertThat(down.state()).isEqualTo(ServerStatus.State.UNAVAILABLE);
            assertThat(down.detail()).contains("exited with status 137");
            assertThat(r.tools()).isEmpty();
            assertThatThrownBy(() -> r.call(new ToolName("victim", "get-sum"), Map.of("a", 1, "b", 2), CALL_TIMEOUT))
                    .isInstanceOf(ToolUnavailableException.class).hasMessageContaining("unavailable");

            awaitAvailableWithItsTools(r, "victim", Duration.ofSeconds(10));
            long restartMillis = (System.nanoTime() - killedAt) / 1_000_000;
            log.info("MEASURE restart after SIGKILL (kill → AVAILABLE again, incl. 0.5 s backoff): {} ms", restartMillis);
            assertThat(source.pid()).isNotEqualTo(pid).isPositive();
            assertThat(r.find(new ToolName("victim", "get-sum"))).isPresent();
            // listeners hear of a change after the tools are published, on the connecting thread
            waitUntil(Duration.ofSeconds(5), () -> changes.get() >= 2); // tools went away and came back

            UpstreamResult after = r.call(new ToolName("victim", "get-sum"), Map.of("a", 2, "b", 3), CALL_TIMEOUT);
            assertThat(after.text()).isEqualTo("The sum of 2 and 3 is 5.");

            // a second crash while idle: restarted again, after a longer backoff
            long pid2 = source.pid();
            long t2 = System.nanoTime();
            ProcessHandle.of(pid2).orElseThrow().destroyForcibly();
            waitUntil(Duration.ofSeconds(5), () -> !r.status("victim").available());
            assertThat(r.status("victim").detail()).contains("restarting in 1 s");
            awaitAvailableWithItsTools(r, "victim", Duration.ofSeconds(10));
            log.info("MEASURE second restart (1 s backoff): {} ms", (System.nanoTime() - t2) / 1_000_000);
            assertThat(r.call(new ToolName("victim", "get-sum"), Map.of("a", 1, "b", 1), CALL_TIMEOUT).text())
                    .endsWith("is 2.");
        }
    }

    @Test
    void aServerThatKeepsCrashingIsRetriedWithTheReasonShown() throws Exception {
        UpstreamServer crasher = new UpstreamServer.Stdio("crasher", "/bin/sh",
                List.of("-c", "echo 'fatal: config missing' >&2; exit 3"), Map.of());
        try (ToolRegistry r = ToolRegistry.connect(Map.of("crasher", crasher), Duration.ofSeconds(10))) {
            ServerStatus s = r.status("crasher");
            assertThat(s.state()).isEqualTo(ServerStatus.State.UNAVAILABLE);
            assertThat(s.detail()).contains("exited with status 3: fatal: config missing").contains("restarting in");
            waitUntil(Duration.ofSeconds(5), () -> r.status("crasher").detail().contains("restarting in 2 s"));
        }
    }

    @Test
    void aNodeCrashIsReportedWithItsErrorLine() throws Exception {
        Path script = tempDir.resolve("crash.mjs");
        Files.writeString(script, "console.log('not json');\nthrow new Error('boom: no database');\n");
        UpstreamServer crash = new UpstreamServer.Stdio("nodecrash", "node", List.of(script.toString()), Map.of());
        try (ToolRegistry r = ToolRegistry.connect(Map.of("nodecrash", crash), Duration.ofSeconds(10))) {
            assertThat(r.status("nodecrash").detail()).startsWith("exited with status 1: Error: boom: no database");
        }
    }

    // ------------------------------------------------------------------------------------------ list_changed

    @Test
    void followsListChangedFromServerEverything() throws Exception {
        // server-everything registers its conditional tools once the client is initialised and sends
        // notifications/tools/list_changed for them; the source must have re-listed.
        UpstreamMcpToolSource source = (UpstreamMcpToolSource) registry.source("everything");
        waitUntil(Duration.ofSeconds(5), () -> source.listChangedCount() >= 1);
        assertThat(source.tools()).extracting(d -> d.name().tool()).contains("simulate-research-query");
    }

    @Test
    void followsListChangedWhenAToolAppearsAtRunTime() throws Exception {
        Path sdk = upstreamDir.resolve("@modelcontextprotocol/sdk/dist/esm/server");
        require(Files.isRegularFile(sdk.resolve("mcp.js")), sdk + "/mcp.js is missing");
        Path script = tempDir.resolve("dynamic-server.mjs");
        Files.writeString(script, """
                import { McpServer } from "%s";
                import { StdioServerTransport } from "%s";
                const server = new McpServer({ name: "dynamic", version: "1.0.0" },
                    { capabilities: { tools: { listChanged: true } } });
                let n = 0;
                server.registerTool("add-tool", { description: "registers another tool", inputSchema: {} }, async () => {
                  n++;
                  const name = "dynamic-" + n;
                  server.registerTool(name, { description: "added at run time", inputSchema: {},
                      annotations: { readOnlyHint: true } },
                    async () => ({ content: [{ type: "text", text: JSON.stringify({ tool: name, n: n }) }] }));
                  return { content: [{ type: "text", text: name }] };
                });
                await server.connect(new StdioServerTransport());
                """.formatted(sdk.resolve("mcp.js").toUri(), sdk.resolve("stdio.js").toUri()), StandardCharsets.UTF_8);
        UpstreamServer dyn = new UpstreamServer.Stdio("dyn", "node", List.of(script.toString()), Map.of());
        try (ToolRegistry r = ToolRegistry.connect(Map.of("dyn", dyn), STARTUP_LIMIT)) {
            assertThat(r.status("dyn").available()).as(r.status("dyn").detail()).isTrue();
            assertThat(r.tools()).extracting(d -> d.name().tool()).containsExactly("add-tool");
            assertThat(r.tools().get(0).destructive()).as("no annotations: assumed destructive").isTrue();
            AtomicInteger changes = new AtomicInteger();
            r.onToolsChanged(changes::incrementAndGet);

            UpstreamResult added = r.call(new ToolName("dyn", "add-tool"), Map.of(), CALL_TIMEOUT);
            assertThat(added.value()).isEqualTo("dynamic-1");

            waitUntil(Duration.ofSeconds(5), () -> r.find(new ToolName("dyn", "dynamic-1")).isPresent());
            waitUntil(Duration.ofSeconds(5), () -> changes.get() >= 1);
            ToolDescriptor d = r.find(new ToolName("dyn", "dynamic-1")).orElseThrow();
            assertThat(d.readOnly()).isTrue();
            UpstreamResult called = r.call(d.name(), Map.of(), CALL_TIMEOUT);
            assertThat(called.value()).isEqualTo(Map.of("tool", "dynamic-1", "n", 1)); // JSON text, parsed
        }
    }

    // ------------------------------------------------------------------------------------------ Streamable HTTP

    @Test
    void streamableHttpEverythingOnLoopback() throws Exception {
        int port = freePort();
        Path preload = tempDir.resolve("bind-loopback.mjs");
        // everything's HTTP server calls app.listen(PORT) on all interfaces; pin it to 127.0.0.1.
        Files.writeString(preload, """
                import net from "node:net";
                const listen = net.Server.prototype.listen;
                net.Server.prototype.listen = function (...args) {
                  if ((typeof args[0] === "number" || typeof args[0] === "string") && typeof args[1] !== "string") {
                    args.splice(1, 0, "127.0.0.1");
                  }
                  return listen.apply(this, args);
                };
                """, StandardCharsets.UTF_8);
        Path indexJs = upstreamDir.resolve("@modelcontextprotocol/server-everything/dist/index.js");
        ProcessBuilder pb = new ProcessBuilder("node", "--import", preload.toUri().toString(), indexJs.toString(),
                "streamableHttp");
        pb.environment().put("PORT", Integer.toString(port));
        pb.redirectErrorStream(true).redirectOutput(tempDir.resolve("http-everything.log").toFile());
        Process server = pb.start();
        try {
            waitUntil(Duration.ofSeconds(20), () -> canConnect(InetAddress.getLoopbackAddress(), port));
            URI url = URI.create("http://127.0.0.1:" + port + "/mcp");
            long t0 = System.nanoTime();
            try (ToolRegistry r = ToolRegistry.connect(
                    Map.of("remote", new UpstreamServer.Http("remote", url, Map.of("X-Test", "1"))), STARTUP_LIMIT)) {
                log.info("MEASURE connect Streamable HTTP everything: {} ms", (System.nanoTime() - t0) / 1_000_000);
                assertThat(r.status("remote").available()).as(r.status("remote").detail()).isTrue();
                assertThat(r.status("remote").detail()).contains("protocol 2025-11-25");
                assertThat(r.find(new ToolName("remote", "get-sum"))).isPresent();
                UpstreamResult sum = r.call(new ToolName("remote", "get-sum"), Map.of("a", 40, "b", 2), CALL_TIMEOUT);
                assertThat(sum.text()).isEqualTo("The sum of 40 and 2 is 42.");
                UpstreamResult structured = r.call(new ToolName("remote", "get-structured-content"),
                        Map.of("location", "New York"), CALL_TIMEOUT);
                assertThat(structured.value()).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                        .containsKey("temperature");

                for (int i = 0; i < 100; i++) {
                    r.call(new ToolName("remote", "get-sum"), Map.of("a", i, "b", 1), CALL_TIMEOUT);
                }
                int n = 200;
                long t1 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    r.call(new ToolName("remote", "get-sum"), Map.of("a", i, "b", 1), CALL_TIMEOUT);
                }
                log.info("MEASURE get-sum round trip over Streamable HTTP: {} µs average over {} calls",
                        String.format("%.0f", (System.nanoTime() - t1) / 1000.0 / n), n);

                // the server goes away: calls fail as unavailable, and it comes back when the server does
                server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                assertThatThrownBy(() -> r.call(new ToolName("remote", "get-sum"), Map.of("a", 1, "b", 1), CALL_TIMEOUT))
                        .isInstanceOf(ToolUnavailableException.class).hasMessageContaining("'remote'");
                waitUntil(Duration.ofSeconds(5), () -> !r.status("remote").available());
                assertThat(r.status("remote").detail()).contains("reconnecting in");
            }
        } finally {
            server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void configuredHeadersGoOnEveryHttpRequest() throws Exception {
        Map<String, String> seen = new ConcurrentHashMap<>();
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/mcp", exchange -> {
            exchange.getRequestHeaders().forEach((k, v) -> seen.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        http.start();
        try {
            URI url = URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/mcp");
            try (ToolRegistry r = ToolRegistry.connect(Map.of("hdr", new UpstreamServer.Http("hdr", url,
                    Map.of("X-Api-Key", "secret-1", "Authorization", "Bearer t0k"))), Duration.ofSeconds(10))) {
                assertThat(r.status("hdr").state()).isEqualTo(ServerStatus.State.UNAVAILABLE);
                assertThat(r.status("hdr").detail()).contains("reconnecting in");
            }
        } finally {
            http.stop(0);
        }
        assertThat(seen).containsEntry("x-api-key", "secret-1").containsEntry("authorization", "Bearer t0k");
    }

    // ------------------------------------------------------------------------------------------ helpers

    private static UpstreamServer.Stdio stdio(String name, String command) {
        return new UpstreamServer.Stdio(name, command, List.of(), Map.of());
    }

    private static void require(boolean ok, String reason) {
        if (ok) {
            return;
        }
        if (Boolean.getBoolean("sandbox.it.required")) {
            fail(reason + " (required because sandbox.it.required=true)");
        }
        log.warn("skipping upstream registry integration tests: {}", reason);
        Assumptions.assumeTrue(false, reason);
    }

    private static String nodeVersion() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static boolean canConnect(InetAddress address, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Polls without pause until the server shows available, then checks its tools at once: a server is never
     * available without them (a call in that gap was refused as naming no tool).
     */
    private static void awaitAvailableWithItsTools(ToolRegistry r, String server, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!r.status(server).available()) {
            if (System.nanoTime() > deadline) {
                fail(server + " not available within " + limit);
            }
            Thread.onSpinWait();
        }
        assertThat(r.tools()).as("tools the moment %s shows available", server).isNotEmpty();
    }

    private static void waitUntil(Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("condition not met within " + limit);
            }
            Thread.sleep(25);
        }
    }
}
