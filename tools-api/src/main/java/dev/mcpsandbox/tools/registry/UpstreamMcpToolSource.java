package dev.mcpsandbox.tools.registry;

import dev.mcpsandbox.config.UpstreamServer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One upstream MCP server, reached through the MCP Java SDK client: a child process speaking stdio
 * ({@link UpstreamServer.Stdio}, through {@link LineFilteringStdioTransport}) or a Streamable HTTP
 * endpoint ({@link UpstreamServer.Http}, with the configured headers on every request).
 *
 * <p>It connects in the background as soon as it is {@linkplain #start started}, keeps the tool list
 * current ({@code notifications/tools/list_changed}), and when the server dies (process exit, or a
 * transport failure over HTTP) it reconnects forever with exponential backoff (0.5 s doubling to
 * 30 s) until {@linkplain #close closed}. Meanwhile {@link #status()} is UNAVAILABLE with the reason,
 * {@link #tools()} is empty and {@link #call} fails fast with {@link ToolUnavailableException}.
 *
 * <p>This class is what the registry sees of it. {@link UpstreamLifecycle} connects and reconnects,
 * {@link UpstreamConnection} is one connection, {@link UpstreamCalls} the requests over it,
 * {@link UpstreamTools} the tool list, {@link UpstreamStatus} the status and its wording.
 *
 * <p>Thread-safe. Listeners run on this source's own thread and must not block.
 */
public final class UpstreamMcpToolSource implements ToolSource {

    /** Timings and bounds; the defaults suit production, tests shorten some. */
    record Settings(Duration initializeTimeout, Duration requestTimeout, Duration backoffInitial,
                    Duration backoffMax, Duration stableAfter, Duration killGrace, int maxLineBytes) {
        static final Settings DEFAULTS = new Settings(Duration.ofSeconds(60), Duration.ofHours(1),
                Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(2),
                LineFilteringStdioTransport.DEFAULT_MAX_LINE_BYTES);
    }

    private final UpstreamServer server;
    private final UpstreamStatus status;
    private final UpstreamTools tools;
    private final UpstreamLifecycle lifecycle;

    private UpstreamMcpToolSource(UpstreamServer server, Settings settings) {
        this.server = Objects.requireNonNull(server, "server");
        this.status = new UpstreamStatus(server.name(), server instanceof UpstreamServer.Stdio);
        this.tools = new UpstreamTools(server.name());
        this.lifecycle = new UpstreamLifecycle(server, settings, status, tools);
    }

    /** Creates the source and starts connecting in the background; returns at once. */
    public static UpstreamMcpToolSource start(UpstreamServer server) {
        return start(server, Settings.DEFAULTS);
    }

    static UpstreamMcpToolSource start(UpstreamServer server, Settings settings) {
        UpstreamMcpToolSource source = new UpstreamMcpToolSource(server, settings);
        source.lifecycle.start();
        return source;
    }

    /**
     * Waits until the first connection attempt has finished, successfully or not (or the source was
     * closed). Returns false when the limit passed first.
     */
    public boolean awaitFirstAttempt(Duration limit) {
        return lifecycle.awaitFirstAttempt(limit);
    }

    @Override
    public String server() {
        return server.name();
    }

    @Override
    public ServerStatus status() {
        return status.get();
    }

    @Override
    public List<ToolDescriptor> tools() {
        return tools.get();
    }

    @Override
    public void onToolsChanged(Consumer<List<ToolDescriptor>> listener) {
        tools.onChanged(listener);
    }

    @Override
    public UpstreamResult call(String tool, Map<String, Object> arguments, Duration timeout,
                               CallCancellation cancellation) throws ToolUnavailableException {
        Objects.requireNonNull(tool, "tool");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(cancellation, "cancellation");
        UpstreamConnection conn = lifecycle.current();
        if (conn == null || conn.lost.isDone()) {
            throw new ToolUnavailableException(status.unavailableMessage());
        }
        return lifecycle.calls().call(conn, tool, arguments, timeout, cancellation);
    }

    @Override
    public void close() {
        lifecycle.close();
    }

    // ---------------------------------------------------------------------------------------------
    // test hooks

    /** The process id of the running stdio server, or -1. */
    long pid() {
        UpstreamConnection c = lifecycle.current();
        return c == null || c.stdio == null ? -1 : c.stdio.pid();
    }

    /** How many complete tool lists arrived through {@code notifications/tools/list_changed}. */
    int listChangedCount() {
        return lifecycle.listChangedCount();
    }

    /** Non-JSON stdout lines skipped on the current connection. */
    int skippedStdoutLines() {
        UpstreamConnection c = lifecycle.current();
        return c == null || c.stdio == null ? 0 : c.stdio.skippedLines();
    }

    @Override
    public String toString() {
        return "UpstreamMcpToolSource[" + server() + ", " + status.get().state() + "]";
    }
}
