package dev.mcpsandbox.server.http;

import dev.mcpsandbox.server.SandboxServer;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientSseClientTransport;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema.Implementation;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The built server jar started as a real process in HTTP mode ({@code --http 127.0.0.1:0}); the port it
 * picked is read from its "listening on" log line. Keeps its stderr, and can watch its descendants
 * (the sandboxes) so a test can check that none outlives it.
 */
final class HttpServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://[^ ]+)");

    private final Process process;
    private final List<String> stderr = Collections.synchronizedList(new ArrayList<>());
    private final Map<ProcessHandle, String> descendants = new ConcurrentHashMap<>();
    private volatile URI uri;
    private volatile Thread watcher;
    private volatile Thread reader;

    private HttpServerProcess(Process process) {
        this.process = process;
    }

    /** Starts the server, waiting (up to 60 s) until it listens; fails with its stderr if it does not. */
    static HttpServerProcess start(Map<String, String> env, String... args) {
        return start(null, env, args);
    }

    /** {@link #start(Map, String...)} with a configuration file of this content (null: none). */
    static HttpServerProcess start(String configJson, Map<String, String> env, String... args) {
        HttpServerProcess server = launch(configJson, env, args);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (server.uri == null) {
            if (!server.process.isAlive()) {
                throw new AssertionError("the server exited (" + server.process.exitValue() + ") before listening:\n"
                        + String.join("\n", server.stderrLines()));
            }
            if (System.nanoTime() > deadline) {
                server.close();
                throw new AssertionError("the server did not listen within 60 s:\n" + String.join("\n", server.stderrLines()));
            }
            sleep(50);
        }
        return server;
    }

    /** Starts the server process without waiting for anything (for start-up refusals). */
    static HttpServerProcess launch(Map<String, String> env, String... args) {
        return launch(null, env, args);
    }

    private static HttpServerProcess launch(String configJson, Map<String, String> env, String... args) {
        ProcessBuilder builder = SandboxServer.builder().config(configJson).args(args).unsetEnv("MCP_SANDBOX_TOKEN").env(env)
                .processBuilder().redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        HttpServerProcess server = new HttpServerProcess(process);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    server.stderr.add(line);
                    Matcher m = LISTENING.matcher(line);
                    if (server.uri == null && m.find()) {
                        server.uri = URI.create(m.group(1));
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "server-stderr");
        reader.setDaemon(true);
        reader.start();
        server.reader = reader;
        return server;
    }

    URI uri() {
        return uri;
    }

    URI uri(String path) {
        return uri.resolve(path);
    }

    Process process() {
        return process;
    }

    List<String> stderrLines() {
        return List.copyOf(stderr);
    }

    /** A Java SDK client over Streamable HTTP ({@code /mcp}), sending the token when given. */
    McpSyncClient streamableClient(Optional<String> token) {
        HttpClientStreamableHttpTransport.Builder b = HttpClientStreamableHttpTransport.builder(uri.toString()).endpoint("/mcp");
        token.ifPresent(t -> b.addHttpRequestCustomizer((request, method, u, body, ctx) -> request.header("Authorization",
                "Bearer " + t)));
        return client(b.build());
    }

    /** A Java SDK client over the legacy HTTP+SSE transport ({@code /sse}). */
    @SuppressWarnings("deprecation") // the 2024-11-05 transport is what this test is about
    McpSyncClient sseClient(Optional<String> token) {
        HttpClientSseClientTransport.Builder b = HttpClientSseClientTransport.builder(uri.toString()).sseEndpoint("/sse");
        token.ifPresent(t -> b.addHttpRequestCustomizer((request, method, u, body, ctx) -> request.header("Authorization",
                "Bearer " + t)));
        return client(b.build());
    }

    private static McpSyncClient client(McpClientTransport transport) {
        McpSyncClient client = McpClient.sync(transport)
                .clientInfo(Implementation.builder("mcp-sandbox-http-it", "1").build())
                .requestTimeout(Duration.ofSeconds(90))
                .initializationTimeout(Duration.ofSeconds(30))
                .build();
        client.initialize();
        return client;
    }

    /** Records the server's descendants every 50 ms from now on (a process that has died drops out of the tree). */
    void watchDescendants() {
        Thread t = new Thread(() -> {
            while (process.isAlive()) {
                process.toHandle().descendants().forEach(p -> descendants.computeIfAbsent(p, HttpServerProcess::commandLine));
                sleep(50);
            }
        }, "descendant-watch");
        t.setDaemon(true);
        t.start();
        watcher = t;
    }

    /** Every descendant seen while watching, with its command line as it was then. */
    Map<ProcessHandle, String> seenDescendants() {
        return Map.copyOf(descendants);
    }

    private static String commandLine(ProcessHandle p) {
        return p.info().command().orElse("?") + " " + String.join(" ", p.info().arguments().orElse(new String[0]));
    }

    /**
     * SIGTERM, as systemd or docker stop would send. Through the handle: {@code Process.destroy()} would also
     * close our end of the server's stderr, losing what it logs while it shuts down.
     */
    void terminate() {
        process.toHandle().destroy();
    }

    /** Waits for the process to exit and for the last of its stderr to be read. */
    boolean awaitExit(Duration limit) throws InterruptedException {
        boolean exited = process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
        if (exited) {
            reader.join(5000);
        }
        return exited;
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
