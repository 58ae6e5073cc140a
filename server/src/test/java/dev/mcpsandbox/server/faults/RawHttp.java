package dev.mcpsandbox.server.faults;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema.Implementation;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Streamable HTTP as the faults need it: the Java SDK client where a real client's view matters, plain
 * requests in one session where a test must see statuses and headers, and a raw socket where it must
 * control the bytes (a connection dropped mid-call, headers at a byte a second, a whole oversized body).
 */
final class RawHttp {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private final URI mcp;
    private final String session;

    private RawHttp(URI mcp, String session) {
        this.mcp = mcp;
        this.session = session;
    }

    /** Initializes a session at {@code /mcp} (two requests: initialize and notifications/initialized). */
    static RawHttp session(FaultServer server) throws Exception {
        URI mcp = server.uri("/mcp");
        HttpResponse<String> init = HTTP.send(request(mcp, null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
                + "\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"faults\","
                + "\"version\":\"1\"}}}"), HttpResponse.BodyHandlers.ofString());
        String session = init.headers().firstValue("Mcp-Session-Id")
                .orElseThrow(() -> new AssertionError("no session: " + init.statusCode() + " " + init.body()));
        RawHttp http = new RawHttp(mcp, session);
        http.post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
        return http;
    }

    HttpResponse<String> post(String body) throws IOException, InterruptedException {
        return HTTP.send(request(mcp, session, body), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest request(URI uri, String session, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(90))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .header("MCP-Protocol-Version", "2025-06-18")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (session != null) {
            b.header("Mcp-Session-Id", session);
        }
        return b.build();
    }

    /** A socket that has sent this JSON-RPC request in this session and not read anything yet. */
    Socket postOnSocket(String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        Socket socket = new Socket(mcp.getHost(), mcp.getPort());
        OutputStream out = socket.getOutputStream();
        out.write((headers("POST /mcp", bytes.length) + "Mcp-Session-Id: " + session + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
        return socket;
    }

    /** The request line and the usual headers of a POST to /mcp, without the blank line that ends them. */
    static String headers(String requestLine, long contentLength) {
        return requestLine + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-06-18\r\n"
                + "Content-Length: " + contentLength + "\r\n";
    }

    /** A Java SDK client over Streamable HTTP, initialized. */
    static McpSyncClient sdkClient(FaultServer server) {
        McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder(server.base())
                        .endpoint("/mcp").build())
                .clientInfo(Implementation.builder("fault-suite", "1").build())
                .requestTimeout(Duration.ofSeconds(90))
                .initializationTimeout(Duration.ofSeconds(30))
                .build();
        client.initialize();
        return client;
    }

    /** Reads until the server closes (or resets) the connection. */
    static int readUntilClosed(Socket socket) {
        try {
            InputStream in = socket.getInputStream();
            while (in.read() != -1) {
                // whatever the server says before closing
            }
        } catch (IOException e) {
            // reset: closed as well
        }
        return 0;
    }

    /** The first line the server sends, or why there is none. */
    static String statusLine(Socket socket) {
        try {
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int c; (c = in.read()) != -1 && c != '\n'; ) {
                line.append((char) c);
            }
            return line.toString().strip();
        } catch (IOException e) {
            return "no status line: " + e;
        }
    }
}
