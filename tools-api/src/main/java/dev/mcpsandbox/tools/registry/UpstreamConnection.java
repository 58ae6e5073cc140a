package dev.mcpsandbox.tools.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpsandbox.config.UpstreamServer;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

/**
 * One connection to an upstream server, from opening to loss: the SDK client over its transport (the
 * child process for stdio), the calls waiting on it, and the reason it went away. A source makes a
 * new one for every (re)connection attempt; a lost connection is never used again.
 */
final class UpstreamConnection {

    private static final Logger log = LoggerFactory.getLogger(UpstreamConnection.class);

    /** Headers the JDK HTTP client sets itself and refuses from callers. */
    private static final Set<String> RESTRICTED_HEADERS = Set.of("connection", "content-length", "expect", "host",
            "upgrade");

    final long generation;
    final McpAsyncClient client;
    /** The stdio transport (process, skipped lines), or null over HTTP. */
    final LineFilteringStdioTransport stdio;
    final CancellingTransport transport;
    /** Completes (never exceptionally) with the reason once this connection is gone. */
    final CompletableFuture<String> lost = new CompletableFuture<>();
    /** Calls waiting for an answer; failed at once when the connection is lost. */
    final Set<CompletableFuture<?>> inflight = ConcurrentHashMap.newKeySet();
    volatile Instant connectedAt;

    private final String server;
    private final BiConsumer<UpstreamConnection, String> onLost;

    private UpstreamConnection(String server, long generation, McpAsyncClient client, LineFilteringStdioTransport stdio,
                               CancellingTransport transport, BiConsumer<UpstreamConnection, String> onLost) {
        this.server = server;
        this.generation = generation;
        this.client = client;
        this.stdio = stdio;
        this.transport = transport;
        this.onLost = onLost;
    }

    /**
     * Starts the process (stdio) or prepares the HTTP transport, and builds the client; it initializes
     * on first use. {@code onLost} runs once when the connection is marked lost, before its calls fail;
     * {@code onToolsListed} gets each list that follows a {@code notifications/tools/list_changed}.
     */
    static UpstreamConnection open(UpstreamServer server, UpstreamMcpToolSource.Settings settings, ObjectMapper json,
                                   long generation, BiConsumer<UpstreamConnection, String> onLost,
                                   BiConsumer<UpstreamConnection, List<McpSchema.Tool>> onToolsListed) throws IOException {
        McpClientTransport wire;
        LineFilteringStdioTransport stdio = null;
        if (server instanceof UpstreamServer.Stdio s) {
            stdio = new LineFilteringStdioTransport(s.name(), s.command(), s.args(), s.env(),
                    new JacksonMcpJsonMapper(json), settings.maxLineBytes(), settings.killGrace());
            try {
                stdio.start();
            } catch (IOException e) {
                stdio.close();
                throw e;
            }
            wire = stdio;
        } else if (server instanceof UpstreamServer.Http h) {
            wire = httpTransport(h, json);
        } else {
            throw new IllegalStateException("unknown server kind " + server.getClass());
        }
        CancellingTransport transport = new CancellingTransport(server.name(), wire);
        CompletableFuture<UpstreamConnection> self = new CompletableFuture<>();
        McpAsyncClient client = McpClient.async(transport)
                .clientInfo(McpSchema.Implementation.builder("mcp-sandbox", version()).build())
                .capabilities(McpSchema.ClientCapabilities.builder().build())
                .requestTimeout(settings.requestTimeout())
                .initializationTimeout(settings.initializeTimeout())
                .jsonSchemaValidator(new DefaultJsonSchemaValidator(json))
                .toolsChangeConsumer(list -> Mono.fromRunnable(() -> self.thenAccept(c -> onToolsListed.accept(c, list))))
                .build();
        UpstreamConnection conn = new UpstreamConnection(server.name(), generation, client, stdio, transport, onLost);
        self.complete(conn);
        if (stdio != null) {
            stdio.onTerminated(reason -> {
                log.debug("{}: server process {}", server.name(), reason);
                conn.markLost(reason);
            });
        }
        return conn;
    }

    private static McpClientTransport httpTransport(UpstreamServer.Http h, ObjectMapper json) {
        URI url = h.url();
        String base = url.getScheme() + "://" + url.getRawAuthority();
        String endpoint = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        Map<String, String> headers = new LinkedHashMap<>();
        h.headers().forEach((k, v) -> {
            if (RESTRICTED_HEADERS.contains(k.toLowerCase(Locale.ROOT))) {
                log.warn("{}: header {} cannot be set by configuration; ignored", h.name(), k);
            } else {
                headers.put(k, v);
            }
        });
        HttpClientStreamableHttpTransport.Builder builder = HttpClientStreamableHttpTransport.builder(base)
                .endpoint(endpoint)
                .jsonMapper(new JacksonMcpJsonMapper(json))
                .connectTimeout(Duration.ofSeconds(10));
        if (!headers.isEmpty()) {
            builder.addHttpRequestCustomizer((request, method, uri, body, context) -> headers.forEach(request::setHeader));
        }
        return builder.build();
    }

    private static String version() {
        String v = UpstreamConnection.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** Registers a call in flight; it fails at once if the connection is (or becomes) lost. */
    <T> CompletableFuture<T> track(CompletableFuture<T> f) {
        inflight.add(f);
        if (lost.isDone()) {
            f.completeExceptionally(new ConnectionLost(lost.getNow("connection lost")));
        }
        return f;
    }

    /** Marks the connection lost and fails every call in flight; true the first time. */
    boolean markLost(String reason) {
        if (!lost.complete(reason)) {
            return false;
        }
        // status first, so that whoever sees a failed call also sees the server as unavailable
        onLost.accept(this, reason);
        for (CompletableFuture<?> f : inflight) {
            f.completeExceptionally(new ConnectionLost(reason));
        }
        return true;
    }

    /**
     * Why the connection went away, waiting a little for a stdio process whose exit is under way (a
     * failed write usually comes a moment before the exit status); null when it is still there.
     */
    String lostReason(long waitMillis) {
        if (lost.isDone()) {
            return lost.getNow(null);
        }
        if (stdio == null) {
            return null;
        }
        try {
            return lost.get(stdio.alive() ? Math.min(200, waitMillis) : waitMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    void close() {
        try {
            if (stdio != null) {
                client.close(); // ends the process (stdin closed, SIGTERM, SIGKILL after the grace period)
            } else {
                // ends the HTTP session (DELETE); a server that is gone already is no news worth a warning
                client.closeGracefully()
                        .timeout(Duration.ofSeconds(2))
                        .onErrorResume(e -> {
                            log.debug("{}: closing the HTTP session failed: {}", server, e.toString());
                            return Mono.empty();
                        })
                        .block();
            }
        } catch (RuntimeException e) {
            log.debug("{}: closing connection {} failed: {}", server, generation, e.toString());
        }
        if (stdio != null) {
            stdio.close();
        }
    }

    /** Why a call or operation failed: its connection went away. */
    static final class ConnectionLost extends IOException {
        ConnectionLost(String reason) {
            super(reason);
        }
    }
}
