package dev.mcpsandbox.server.http;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** notifications/cancelled over Streamable HTTP stops that session's execution and frees its slot. */
class HttpCancellationIT {

    @Test
    void cancellationOverStreamableHttpKillsTheSandboxWithinASecond() throws Exception {
        try (HttpServerProcess server = HttpServerProcess.start(Map.of(), "--http", "127.0.0.1:0")) {
            HttpClient http = HttpClient.newHttpClient();
            URI mcp = server.uri("/mcp");
            String session = openSession(http, mcp);

            String marker = "4848" + ThreadLocalRandom.current().nextInt(100000, 999999);
            CompletableFuture<HttpResponse<String>> call = http.sendAsync(post(mcp, session,
                    "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"execute_code\","
                            + "\"arguments\":{\"language\":\"bash\",\"code\":\"sleep " + marker + "\"}}}"),
                    HttpResponse.BodyHandlers.ofString());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (sleepers(marker).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(sleepers(marker)).as("the sandboxed sleep runs").isNotEmpty();

            long cancelled = System.nanoTime();
            http.send(post(mcp, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
                    + "\"params\":{\"requestId\":5}}"), HttpResponse.BodyHandlers.ofString());
            while (!sleepers(marker).isEmpty() && System.nanoTime() - cancelled < TimeUnit.SECONDS.toNanos(3)) {
                Thread.sleep(20);
            }
            assertThat(sleepers(marker)).as("sandbox processes after the cancel").isEmpty();
            assertThat((System.nanoTime() - cancelled) / 1e9).isLessThan(1.0);
            assertThat(call.get(20, TimeUnit.SECONDS).body()).contains("cancelled");
        }
    }

    @Test
    void aClientThatHangsUpMidExecutionLosesItsSandboxWithinASecond() throws Exception {
        try (HttpServerProcess server = HttpServerProcess.start(Map.of(), "--http", "127.0.0.1:0")) {
            HttpClient http = HttpClient.newHttpClient();
            URI mcp = server.uri("/mcp");
            String session = openSession(http, mcp);

            String marker = "4949" + ThreadLocalRandom.current().nextInt(100000, 999999);
            String body = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"execute_code\","
                    + "\"arguments\":{\"language\":\"bash\",\"code\":\"sleep " + marker + "\"}}}";
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            try (java.net.Socket socket = new java.net.Socket(mcp.getHost(), mcp.getPort())) {
                socket.getOutputStream().write(("POST /mcp HTTP/1.1\r\nHost: " + mcp.getHost() + ":" + mcp.getPort()
                        + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                        + "MCP-Protocol-Version: 2025-06-18\r\nMcp-Session-Id: " + session + "\r\nContent-Length: "
                        + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().write(bytes);
                socket.getOutputStream().flush();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (sleepers(marker).isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(sleepers(marker)).as("the sandboxed sleep runs").isNotEmpty();
            }
            long hungUp = System.nanoTime();
            while (!sleepers(marker).isEmpty() && System.nanoTime() - hungUp < TimeUnit.SECONDS.toNanos(3)) {
                Thread.sleep(20);
            }
            assertThat(sleepers(marker)).as("sandbox processes after the client hung up").isEmpty();
            assertThat((System.nanoTime() - hungUp) / 1e9).isLessThan(1.0);
        }
    }

    private static HttpRequest post(URI uri, String session, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .header("MCP-Protocol-Version", "2025-06-18")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (session != null) {
            b.header("Mcp-Session-Id", session);
        }
        return b.build();
    }

    private static List<Long> sleepers(String marker) throws Exception {
        return dev.mcpsandbox.server.HostProcesses.sleeping(marker);
    }

    /** Initializes an MCP session over Streamable HTTP and returns its id. */
    private static String openSession(HttpClient http, URI mcp) throws Exception {
        HttpResponse<String> init = http.send(post(mcp, null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
                + "\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"),
                HttpResponse.BodyHandlers.ofString());
        String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
        http.send(post(mcp, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"),
                HttpResponse.BodyHandlers.ofString());
        return session;
    }
}
