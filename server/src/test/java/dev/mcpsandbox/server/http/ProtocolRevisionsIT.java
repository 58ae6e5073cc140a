package dev.mcpsandbox.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpsandbox.server.HostProcesses;
import dev.mcpsandbox.server.SandboxServer;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.modern.McpSchema;
import io.modelcontextprotocol.modern.client.McpAsyncClient;
import io.modelcontextprotocol.modern.client.transport.HttpClientMcpTransport;
import io.modelcontextprotocol.modern.client.transport.McpClientTransport;
import io.modelcontextprotocol.modern.client.transport.McpHttpRequestCustomizer;
import io.modelcontextprotocol.modern.client.transport.StdioMcpClientTransport;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.ClientCapabilities;
import io.modelcontextprotocol.spec.McpSchema.ElicitResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One jar, two protocol revisions: the SDK's own 2026-07-28 client and its 2025-11-25 client drive the same
 * server over stdio and over Streamable HTTP, and get the same results from the same tools; a confirmation
 * (a code-mode call on the confirm list) round-trips through multi-round-trip input requests in 2026-07-28 as it
 * does through elicitation in 2025-11-25; progress and cancellation reach both.
 */
class ProtocolRevisionsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "revisions-it-token-0123456789abcdef";
    private static final Map<String, Object> FORTY_TWO = Map.of("language", "python", "code", "print(6*7)");

    @TempDir
    static Path dir;
    private static HttpServerProcess http;
    private static String config;
    private static Path memoryFile;

    @BeforeAll
    static void startHttp() throws IOException {
        SandboxServer.jar();
        memoryFile = dir.resolve("memory.jsonl");
        Map<String, Object> c = new LinkedHashMap<>();
        if (Files.isExecutable(upstreamBin("mcp-server-memory"))) {
            c.put("mcpServers", Map.of("memory", Map.of("command", upstreamBin("mcp-server-memory").toString(),
                    "args", List.of(), "env", Map.of("MEMORY_FILE_PATH", memoryFile.toString()))));
            c.put("tools", Map.of("allow", List.of("memory.*"), "confirm", List.of("memory.create_entities")));
        }
        config = JSON.writeValueAsString(c);
        http = HttpServerProcess.start(config, Map.of("MCP_SANDBOX_TOKEN", TOKEN), "--http", "127.0.0.1:0");
    }

    @AfterAll
    static void stopHttp() {
        if (http != null) {
            http.close();
        }
    }

    // ---------------------------------------------------------------- 42 from every client, every transport

    @Test
    void modernClient_overStdio_gets42() {
        try (Modern client = Modern.stdio(config)) {
            McpSchema.CallToolResult r = client.call(FORTY_TWO);
            assertFortyTwo(r.isError(), r.structuredContent());
            assertThat(client.toolNames()).contains("execute_code", "validate_code", "list_languages", "search_tools");
        }
    }

    @Test
    void modernClient_overHttp_gets42() {
        try (Modern client = Modern.http(http, TOKEN)) {
            McpSchema.CallToolResult r = client.call(FORTY_TWO);
            assertFortyTwo(r.isError(), r.structuredContent());
            assertThat(client.toolNames()).contains("execute_code", "validate_code", "list_languages", "search_tools");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"stdio", "http"})
    void modernClient_keepsStateInASession_ownedByItsTokenOrProcess(String transport) {
        try (Modern client = transport.equals("stdio") ? Modern.stdio(config) : Modern.http(http, TOKEN)) {
            String name = "modern-" + transport;
            client.call(Map.of("language", "python", "session", name, "code", "kept = 41"));
            McpSchema.CallToolResult r = client.call(Map.of("language", "python", "session", name, "code", "kept + 1"));
            @SuppressWarnings("unchecked")
            Map<String, Object> structured = (Map<String, Object>) r.structuredContent();
            assertThat(structured.get("result")).as("%s", structured).isEqualTo(42);
            assertThat((Map<String, Object>) structured.get("session")).containsEntry("calls", 2);
            client.client().tool("end_session").arguments(Map.of("session", name)).call()
                    .block(Duration.ofSeconds(60));
        }
    }

    @Test
    void sessionClient_overStdio_gets42() {
        try (SandboxServer server = SandboxServer.builder().config(config).start()) {
            var r = server.call("execute_code", FORTY_TWO);
            assertFortyTwo(r.isError(), r.structuredContent());
        }
    }

    @Test
    void sessionClient_overHttp_gets42_besideModernClients() {
        try (McpSyncClient client = http.streamableClient(Optional.of(TOKEN))) {
            var r = client.callTool(CallToolRequest.builder("execute_code").arguments(FORTY_TWO).build());
            assertFortyTwo(r.isError(), r.structuredContent());
        }
    }

    @Test
    void typescriptSdkClient_overStdio_gets42() throws Exception {
        Path clients = Path.of(System.getProperty("mcpSandbox.httpClientsDir", "../.ci/conformance")).toAbsolutePath();
        SandboxServer.requireOrSkip(Files.isDirectory(clients.resolve("node_modules/@modelcontextprotocol/sdk")),
                "the TypeScript SDK is not installed in " + clients + " (run .ci/conformance/run.sh --install)");
        Path node22 = clients.resolve("node_modules/.bin/node");
        List<String> command = new ArrayList<>(List.of(Files.isExecutable(node22) ? node22.toString() : "node",
                clients.resolve("ts-client.mjs").toString(), "--stdio"));
        command.addAll(SandboxServer.builder().config(config).command());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out;
        try (var in = p.getInputStream()) {
            assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("the TS client finishes").isTrue();
            out = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        assertThat(p.exitValue()).as(out).isZero();
        String line = out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow(() -> new AssertionError(out));
        Map<?, ?> answer = JSON.readValue(line, Map.class);
        assertThat(answer.get("tools").toString()).contains("execute_code");
        assertFortyTwo((Boolean) answer.get("isError"), answer.get("structuredContent"));
    }

    @Test
    void bothRevisions_listTheSameToolDefinitions() throws IOException {
        try (Modern modern = Modern.http(http, TOKEN); McpSyncClient legacy = http.streamableClient(Optional.of(TOKEN))) {
            Map<String, Object> modernTools = new LinkedHashMap<>();
            modern.client.listTools().list().block().tools().forEach(t -> modernTools.put(t.name(), asMap(t)));
            Map<String, Object> legacyTools = new LinkedHashMap<>();
            legacy.listTools().tools().forEach(t -> legacyTools.put(t.name(), asMap(t)));
            // The 2025-11-25 SDK adds "returnDirect", an annotation of its own that no revision of the protocol has.
            legacyTools.values().forEach(t -> ((Map<?, ?>) ((Map<?, ?>) t).get("annotations")).remove("returnDirect"));
            assertThat(modernTools).isEqualTo(legacyTools);
        }
    }

    @Test
    void modernClient_withoutToken_isRefused() {
        try (Modern client = Modern.http(http, "not-the-token")) {
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> client.call(FORTY_TWO)))
                    .as("a 2026-07-28 request passes the same front door").isNotNull().hasMessageContaining("401");
        }
    }

    // ---------------------------------------------------------------- content kinds

    @Test
    void modernClient_getsImageContentAndAResourceLinkItCanRead() {
        String code = """
                import base64, os
                os.makedirs("out", exist_ok=True)
                open("out/dot.png", "wb").write(base64.b64decode(
                    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="))
                print("line %d of a long output" % 0)
                for i in range(1, 3000):
                    print("line %d of a long output" % i)
                """;
        try (Modern client = Modern.http(http, TOKEN)) {
            McpSchema.CallToolResult r = client.call(Map.of("language", "python", "code", code));
            assertThat(r.isError()).as("%s", r.structuredContent()).isNotEqualTo(Boolean.TRUE);
            assertThat(r.content()).anySatisfy(c -> assertThat(c).isInstanceOfSatisfying(McpSchema.ImageContent.class,
                    image -> assertThat(image.mimeType()).isEqualTo("image/png")));
            McpSchema.ResourceLink link = r.content().stream().filter(McpSchema.ResourceLink.class::isInstance)
                    .map(McpSchema.ResourceLink.class::cast).findFirst()
                    .orElseThrow(() -> new AssertionError("no resource link in " + r.content()));
            McpSchema.ReadResourceResult whole = client.client.resource(link.uri()).read().block(Duration.ofSeconds(30));
            String text = ((McpSchema.TextResourceContents) whole.contents().get(0)).text();
            assertThat(text).startsWith("line 0 of a long output\n").contains("line 2999 of a long output");
        }
    }

    // ---------------------------------------------------------------- confirmation

    @ParameterizedTest
    @ValueSource(strings = {"stdio", "http"})
    void modernClient_confirmationRoundTripsAsInputRequest(String transport) throws IOException {
        requireMemory();
        List<McpSchema.ElicitFormRequest> asked = new CopyOnWriteArrayList<>();
        String name = "Modern" + transport + ThreadLocalRandom.current().nextInt(1_000_000, 9_999_999);
        try (Modern client = transport.equals("stdio") ? Modern.stdio(config, asked, true) : Modern.http(http, TOKEN, asked, true)) {
            McpSchema.CallToolResult r = client.call(Map.of("language", "python", "code", createEntity(name)));
            Map<?, ?> out = (Map<?, ?>) r.structuredContent();
            assertThat(out.get("stdout")).as("%s", out).isEqualTo("created\n");
            assertThat(asked).hasSize(1);
            assertThat(asked.get(0).message()).contains("memory.create_entities", name);
        }
        assertThat(Files.readString(memoryFile)).contains(name);
    }

    @Test
    void modernClient_declinedConfirmation_refusesTheCall() throws IOException {
        requireMemory();
        List<McpSchema.ElicitFormRequest> asked = new CopyOnWriteArrayList<>();
        String name = "Declined" + ThreadLocalRandom.current().nextInt(1_000_000, 9_999_999);
        try (Modern client = Modern.http(http, TOKEN, asked, false)) {
            McpSchema.CallToolResult r = client.call(Map.of("language", "python", "code", createEntity(name)));
            Map<?, ?> out = (Map<?, ?>) r.structuredContent();
            assertThat((String) out.get("stdout")).as("%s", out).startsWith("refused").contains("declined");
            assertThat(asked).hasSize(1);
        }
        assertThat(Files.exists(memoryFile) ? Files.readString(memoryFile) : "").doesNotContain(name);
    }

    @Test
    void modernClient_withoutElicitation_isToldTheClientCannotAsk() {
        requireMemory();
        String name = "Unasked" + ThreadLocalRandom.current().nextInt(1_000_000, 9_999_999);
        try (Modern client = Modern.http(http, TOKEN)) {
            McpSchema.CallToolResult r = client.call(Map.of("language", "python", "code", createEntity(name)));
            Map<?, ?> out = (Map<?, ?>) r.structuredContent();
            assertThat((String) out.get("stdout")).as("%s", out).startsWith("refused").contains("cannot ask");
        }
    }

    @Test
    void sessionClient_overHttp_confirmationRoundTripsAsElicitation() throws IOException {
        requireMemory();
        List<String> asked = new CopyOnWriteArrayList<>();
        String name = "Session" + ThreadLocalRandom.current().nextInt(1_000_000, 9_999_999);
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder(http.uri().toString())
                .endpoint("/mcp").httpRequestCustomizer((request, method, u, body, ctx) ->
                        request.header("Authorization", "Bearer " + TOKEN)).build();
        try (McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(90))
                .capabilities(ClientCapabilities.builder().elicitation().build())
                .elicitation(request -> {
                    asked.add(request.message());
                    return new ElicitResult(ElicitResult.Action.ACCEPT, Map.of("approve", true));
                }).build()) {
            var r = client.callTool(CallToolRequest.builder("execute_code")
                    .arguments(Map.of("language", "python", "code", createEntity(name))).build());
            assertThat(((Map<?, ?>) r.structuredContent()).get("stdout")).as("%s", r.structuredContent()).isEqualTo("created\n");
            assertThat(asked).singleElement().asString().contains(name);
        }
    }

    // ---------------------------------------------------------------- progress and cancellation

    @ParameterizedTest
    @ValueSource(strings = {"stdio", "http"})
    void modernClient_receivesProgressWhileCodeRuns(String transport) {
        List<McpSchema.ProgressParams> progress = new CopyOnWriteArrayList<>();
        try (Modern client = transport.equals("stdio") ? Modern.stdio(config) : Modern.http(http, TOKEN)) {
            McpSchema.CallToolResult r = client.client.tool("execute_code")
                    .arguments(Map.of("language", "python", "code", "import time\ntime.sleep(3.5)\nprint(42)"))
                    .progress(p -> {
                        progress.add(p);
                        return Mono.empty();
                    }).call().block(Duration.ofSeconds(90));
            assertFortyTwo(r.isError(), r.structuredContent());
        }
        assertThat(progress).as("progress notifications, one a second").hasSizeGreaterThanOrEqualTo(2);
        assertThat(progress.get(0).total()).isEqualTo(30.0);
        assertThat(progress.get(0).message()).contains("running for");
    }

    @Test
    void sessionClient_receivesProgressWhileCodeRuns() {
        List<Object> progress = Collections.synchronizedList(new ArrayList<>());
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder(http.uri().toString())
                .endpoint("/mcp").httpRequestCustomizer((request, method, u, body, ctx) ->
                        request.header("Authorization", "Bearer " + TOKEN)).build();
        try (McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(90))
                .progressConsumer(progress::add).build()) {
            var r = client.callTool(CallToolRequest.builder("execute_code").progressToken("p1")
                    .arguments(Map.of("language", "python", "code", "import time\ntime.sleep(3.5)\nprint(42)")).build());
            assertFortyTwo(r.isError(), r.structuredContent());
        }
        assertThat(progress).hasSizeGreaterThanOrEqualTo(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"stdio", "http"})
    void modernClient_cancellingACall_killsItsSandboxWithinASecond(String transport) throws Exception {
        String marker = "5151" + ThreadLocalRandom.current().nextInt(100000, 999999);
        try (Modern client = transport.equals("stdio") ? Modern.stdio(config) : Modern.http(http, TOKEN)) {
            client.toolNames(); // the first request also starts the stdio server: not part of what is timed
            Disposable call = client.client.tool("execute_code")
                    .arguments(Map.of("language", "bash", "code", "sleep " + marker)).call().subscribe(r -> { }, e -> { });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (HostProcesses.sleeping(marker).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(HostProcesses.sleeping(marker)).as("the sandboxed sleep runs").isNotEmpty();
            long cancelled = System.nanoTime();
            call.dispose();
            while (!HostProcesses.sleeping(marker).isEmpty() && System.nanoTime() - cancelled < TimeUnit.SECONDS.toNanos(5)) {
                Thread.sleep(20);
            }
            assertThat(HostProcesses.sleeping(marker)).as("sandbox processes after the cancel").isEmpty();
            assertThat((System.nanoTime() - cancelled) / 1e9).isLessThan(1.0);
            McpSchema.CallToolResult after = client.call(FORTY_TWO);
            assertFortyTwo(after.isError(), after.structuredContent());
        }
    }

    @Test
    void modernClient_hangingUpWhileTheRetryWaits_killsTheSandbox() throws Exception {
        requireMemory();
        String marker = "5252" + ThreadLocalRandom.current().nextInt(100000, 999999);
        List<McpSchema.ElicitFormRequest> asked = new CopyOnWriteArrayList<>();
        String code = createEntity("Retry" + marker) + "import subprocess\nsubprocess.run([\"sleep\", \"" + marker + "\"])\n";
        try (Modern client = Modern.http(http, TOKEN, asked, true)) {
            Disposable call = client.client.tool("execute_code").arguments(Map.of("language", "python", "code", code))
                    .call().subscribe(r -> { }, e -> { });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (HostProcesses.sleeping(marker).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(asked).as("the confirmation was asked and answered first").hasSize(1);
            assertThat(HostProcesses.sleeping(marker)).as("the sandboxed sleep runs, after the retry").isNotEmpty();
            long hungUp = System.nanoTime();
            call.dispose();
            while (!HostProcesses.sleeping(marker).isEmpty() && System.nanoTime() - hungUp < TimeUnit.SECONDS.toNanos(5)) {
                Thread.sleep(20);
            }
            assertThat(HostProcesses.sleeping(marker)).as("sandbox processes after the client hung up").isEmpty();
            assertThat((System.nanoTime() - hungUp) / 1e9).isLessThan(1.0);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static String createEntity(String name) {
        return """
                try:
                    tools.memory.create_entities(entities=[{"name": "%s", "entityType": "probe", "observations": []}])
                    print("created")
                except ToolError as e:
                    print("refused", e)
                """.formatted(name);
    }

    private static Path upstreamBin(String name) {
        return Path.of(System.getProperty("mcpSandbox.upstreamDir", "/work/main/.ci/upstream/node_modules"), ".bin", name);
    }

    private static void requireMemory() {
        SandboxServer.requireOrSkip(Files.isExecutable(upstreamBin("mcp-server-memory")),
                "the pinned upstream MCP servers are not installed (bin/setup --test-deps)");
    }

    private static void assertFortyTwo(Boolean isError, Object structured) {
        assertThat(isError).as("%s", structured).isNotEqualTo(Boolean.TRUE);
        Map<?, ?> out = (Map<?, ?>) structured;
        assertThat(out.get("stdout")).isEqualTo("42\n");
        assertThat(out.get("exitCode")).isEqualTo(0);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object tool) {
        Map<String, Object> m = new LinkedHashMap<>(JSON.convertValue(tool, Map.class));
        m.values().removeIf(v -> v == null);
        m.computeIfPresent("annotations", (k, v) -> new LinkedHashMap<>((Map<String, Object>) v));
        return m;
    }

    /** The SDK's 2026-07-28 client (its async form, so a call can be cancelled by disposing it). */
    private record Modern(McpAsyncClient client, AutoCloseable transport) implements AutoCloseable {
        static Modern stdio(String configJson) {
            return stdio(configJson, null, true);
        }

        static Modern stdio(String configJson, List<McpSchema.ElicitFormRequest> asked, boolean approve) {
            List<String> command = SandboxServer.builder().config(configJson).command();
            StdioMcpClientTransport transport = StdioMcpClientTransport.builder(ServerParameters.builder(command.get(0))
                    .args(command.subList(1, command.size())).build()).stderrConsumer(line -> { }).start();
            return of(transport, transport, asked, approve);
        }

        static Modern http(HttpServerProcess server, String token) {
            return http(server, token, null, true);
        }

        static Modern http(HttpServerProcess server, String token, List<McpSchema.ElicitFormRequest> asked, boolean approve) {
            HttpClientMcpTransport transport = HttpClientMcpTransport.builder(server.uri("/mcp"))
                    .requestCustomizer(McpHttpRequestCustomizer.fromSync((request, headers, context) ->
                            headers.set("Authorization", "Bearer " + token))).build();
            return of(transport, () -> { }, asked, approve);
        }

        private static Modern of(McpClientTransport transport, AutoCloseable closer,
                                 List<McpSchema.ElicitFormRequest> asked, boolean approve) {
            var builder = io.modelcontextprotocol.modern.client.McpClient.async(transport)
                    .clientInfo(McpSchema.Implementation.builder("mcp-sandbox-revisions-it", "1").build())
                    .jsonMapper(McpJsonDefaults.getMapper())
                    .roundTimeout(Duration.ofSeconds(90));
            if (asked != null) {
                builder.formElicitation(request -> {
                    asked.add(request);
                    return Mono.just(approve ? new McpSchema.ElicitResult(McpSchema.ElicitResult.Action.ACCEPT, Map.of("approve", true))
                            : new McpSchema.ElicitResult(McpSchema.ElicitResult.Action.DECLINE, null));
                });
            }
            return new Modern(builder.build(), closer);
        }

        McpSchema.CallToolResult call(Map<String, Object> arguments) {
            return client.tool("execute_code").arguments(arguments).call().block(Duration.ofSeconds(120));
        }

        List<String> toolNames() {
            return client.listTools().list().block(Duration.ofSeconds(60)).tools().stream().map(McpSchema.Tool::name).toList();
        }

        @Override
        public void close() {
            try {
                transport.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
