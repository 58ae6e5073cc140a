package dev.mcpsandbox.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpsandbox.server.SandboxServer;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.ReadResourceRequest;
import io.modelcontextprotocol.spec.McpSchema.Resource;
import io.modelcontextprotocol.spec.McpSchema.TextResourceContents;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server in HTTP mode, started as a real process with a token: the Java SDK client over
 * Streamable HTTP and legacy SSE, the TypeScript SDK client, and the front door (token, Origin/Host,
 * body size), health and metrics.
 */
class HttpTransportIT {
    static final String TOKEN = "it-token-0123456789abcdef0123456789";
    static final String INITIALIZE = """
            {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",\
            "capabilities":{},"clientInfo":{"name":"raw-http","version":"1"}}}""";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private static HttpServerProcess server;

    @BeforeAll
    static void start() {
        server = HttpServerProcess.start(Map.of("MCP_SANDBOX_TOKEN", TOKEN), "--http", "127.0.0.1:0");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void streamableHttp_javaClientRunsPython() {
        try (McpSyncClient client = server.streamableClient(Optional.of(TOKEN))) {
            assertThat(client.listTools().tools()).extracting(Tool::name)
                    .contains("execute_code", "validate_code", "list_languages");
            Map<String, Object> r = execute(client, "print(6*7)");
            assertThat(r.get("stdout")).isEqualTo("42\n");
            assertThat(r.get("exitCode")).isEqualTo(0);
        }
    }

    @Test
    void legacySse_javaClientRunsPython() {
        try (McpSyncClient client = server.sseClient(Optional.of(TOKEN))) {
            assertThat(client.listTools().tools()).extracting(Tool::name).contains("execute_code");
            Map<String, Object> r = execute(client, "print(6*7)");
            assertThat(r.get("stdout")).isEqualTo("42\n");
            assertThat(r.get("exitCode")).isEqualTo(0);
        }
    }

    @Test
    void streamableHttp_typescriptSdkClientRunsPython() throws Exception {
        Path clients = Path.of(System.getProperty("mcpSandbox.httpClientsDir", "../.ci/conformance")).toAbsolutePath();
        Path script = clients.resolve("ts-client.mjs");
        installClientsIfMissing(clients);
        SandboxServer.requireOrSkip(Files.isDirectory(clients.resolve("node_modules/@modelcontextprotocol/sdk")),
                "the TypeScript SDK is not installed in " + clients + " (run .ci/conformance/run.sh --install)");
        Path node22 = clients.resolve("node_modules/.bin/node");
        String node = Files.isExecutable(node22) ? node22.toString() : "node";
        Process p = new ProcessBuilder(node, script.toString(), server.uri("/mcp").toString(), TOKEN)
                .redirectErrorStream(true).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the TS client finishes").isTrue();
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(p.exitValue()).as(out).isZero();
        String line = out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow(() -> new AssertionError(out));
        Map<?, ?> answer = JSON.readValue(line, Map.class);
        assertThat(answer.get("tools").toString()).contains("execute_code");
        assertThat(answer.get("isError")).isEqualTo(false);
        Map<?, ?> structured = (Map<?, ?>) answer.get("structuredContent");
        assertThat(structured.get("stdout")).isEqualTo("42\n");
        assertThat(structured.get("exitCode")).isEqualTo(0);
    }

    @Test
    void withoutToken_401WithBearerChallenge() throws Exception {
        HttpResponse<String> r = post("/mcp", INITIALIZE, Map.of());
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(r.body()).contains("Authorization: Bearer");
    }

    @Test
    void wrongToken_401() throws Exception {
        HttpResponse<String> r = post("/mcp", INITIALIZE, Map.of("Authorization", "Bearer " + TOKEN + "x"));
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).contains("invalid_token"));
        assertThat(post("/mcp", INITIALIZE, Map.of("Authorization", "Basic " + TOKEN)).statusCode()).isEqualTo(401);
    }

    @Test
    void rightToken_200WithSession() throws Exception {
        HttpResponse<String> r = post("/mcp", INITIALIZE, Map.of("Authorization", "Bearer " + TOKEN));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Mcp-Session-Id")).isPresent();
        assertThat(r.body()).contains("\"protocolVersion\":\"2025-06-18\"");
    }

    @Test
    void foreignOrigin_403_localOriginAccepted() throws Exception {
        HttpResponse<String> foreign = post("/mcp", INITIALIZE, Map.of("Authorization", "Bearer " + TOKEN,
                "Origin", "http://evil.example.com"));
        assertThat(foreign.statusCode()).isEqualTo(403);
        assertThat(foreign.body()).contains("Origin");
        HttpResponse<String> local = post("/mcp", INITIALIZE, Map.of("Authorization", "Bearer " + TOKEN,
                "Origin", "http://localhost:6274"));
        assertThat(local.statusCode()).isEqualTo(200);
        // The legacy SSE transport is behind the same door.
        HttpResponse<String> sse = post("/sse/message?sessionId=x", "{}", Map.of("Authorization", "Bearer " + TOKEN,
                "Origin", "http://evil.example.com"));
        assertThat(sse.statusCode()).isEqualTo(403);
    }

    @Test
    void foreignHost_403() throws Exception {
        // java.net.http will not send a Host of our choosing: write the request by hand.
        String response = rawRequest("POST /mcp HTTP/1.1\r\nHost: evil.example.com\r\nAuthorization: Bearer " + TOKEN
                + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: "
                + INITIALIZE.getBytes(StandardCharsets.UTF_8).length + "\r\nConnection: close\r\n\r\n" + INITIALIZE);
        assertThat(response).startsWith("HTTP/1.1 403");
    }

    @Test
    void oversizedBody_413() throws Exception {
        // Only the headers, declaring 5 MiB: the server refuses by the declared length before reading a byte,
        // so the answer cannot race a reset of a connection closed mid-upload.
        String response = rawRequest("POST /mcp HTTP/1.1\r\nHost: " + server.uri().getHost() + ":" + server.uri().getPort()
                + "\r\nAuthorization: Bearer " + TOKEN + "\r\nContent-Type: application/json\r\n"
                + "Accept: application/json, text/event-stream\r\nContent-Length: " + (5 * 1024 * 1024)
                + "\r\nConnection: close\r\n\r\n");
        assertThat(response).startsWith("HTTP/1.1 413");
        assertThat(response).contains("larger than 4194304 bytes");
    }

    @Test
    void healthz_needsNoToken() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(server.uri("/healthz")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        Map<?, ?> health = JSON.readValue(r.body(), Map.class);
        assertThat(health.get("status")).isEqualTo("ok");
        assertThat(health.get("backend")).isEqualTo("bubblewrap");
        assertThat(health.get("languages")).isInstanceOf(List.class).asString().contains("python");
        assertThat(health.get("upstreamServers")).isInstanceOf(List.class);
    }

    @Test
    void metrics_needTheToken_andCountExecutions() throws Exception {
        HttpResponse<String> anonymous = HTTP.send(HttpRequest.newBuilder(server.uri("/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        try (McpSyncClient client = server.streamableClient(Optional.of(TOKEN))) {
            execute(client, "print(1)");
            execute(client, "raise SystemExit(3)");
            execute(client, "while True: pass", 1);
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(server.uri("/metrics"))
                    .header("Authorization", "Bearer " + TOKEN).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
            assertThat(r.body())
                    .containsPattern("mcp_sandbox_executions_total\\{language=\"python\",outcome=\"ok\"} [1-9]")
                    .containsPattern("mcp_sandbox_executions_total\\{language=\"python\",outcome=\"error\"} [1-9]")
                    .containsPattern("mcp_sandbox_executions_total\\{language=\"python\",outcome=\"timeout\"} [1-9]")
                    .contains("# TYPE mcp_sandbox_execution_duration_seconds histogram")
                    .contains("mcp_sandbox_execution_duration_seconds_bucket{language=\"python\",le=\"+Inf\"}")
                    .contains("mcp_sandbox_execution_queue_depth 0")
                    .contains("mcp_sandbox_code_tool_calls_total{outcome=\"ok\"}")
                    .containsPattern("mcp_sandbox_http_refused_total\\{reason=\"unauthorized\"} [1-9]");

            assertThat(client.listResources().resources()).extracting(Resource::uri).contains("mcp-sandbox://stats");
            String stats = ((TextResourceContents) client.readResource(ReadResourceRequest.builder("mcp-sandbox://stats").build())
                    .contents().get(0)).text();
            Map<?, ?> summary = JSON.readValue(stats, Map.class);
            Map<?, ?> executions = (Map<?, ?>) summary.get("executions");
            assertThat(((Number) executions.get("total")).intValue()).isGreaterThanOrEqualTo(3);
            assertThat(((Map<?, ?>) executions.get("byLanguageAndOutcome")).get("python")).isInstanceOf(Map.class);
        }
    }

    /**
     * {@code .ci/run} installs the pinned clients before the tests; a bare {@code bin/test} on a fresh machine has
     * not, so try the same idempotent install once (npm) before deciding to skip or fail.
     */
    private static void installClientsIfMissing(Path clients) throws Exception {
        Path install = clients.resolve("run.sh");
        if (Files.isDirectory(clients.resolve("node_modules/@modelcontextprotocol/sdk")) || !Files.isRegularFile(install)) {
            return;
        }
        Process p = new ProcessBuilder("bash", install.toString(), "--install").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
        }
    }

    static Map<String, Object> execute(McpSyncClient client, String python) {
        return execute(client, python, 0);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> execute(McpSyncClient client, String python, int timeoutSeconds) {
        Map<String, Object> args = new java.util.LinkedHashMap<>(Map.of("language", "python", "code", python));
        if (timeoutSeconds > 0) {
            args.put("timeoutSeconds", timeoutSeconds);
        }
        CallToolResult result = client.callTool(CallToolRequest.builder("execute_code").arguments(args).build());
        return (Map<String, Object>) result.structuredContent();
    }

    static HttpResponse<String> post(String path, String body, Map<String, String> headers) throws Exception {
        return post(server.uri(path), body, headers);
    }

    static HttpResponse<String> post(URI uri, String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String rawRequest(String request) throws IOException {
        try (Socket socket = new Socket(server.uri().getHost(), server.uri().getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
