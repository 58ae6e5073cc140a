package dev.mcpsandbox.tools.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpsandbox.config.UpstreamServer;
import io.modelcontextprotocol.spec.McpSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
 * <p>This class holds that lifecycle; {@link UpstreamConnection} is one connection, {@link UpstreamCalls}
 * the requests over it, {@link UpstreamTools} the tool list, {@link UpstreamStatus} the status and its
 * wording, {@link Backoff} the delays between attempts.
 *
 * <p>Thread-safe. Listeners run on this source's own thread and must not block.
 */
public final class UpstreamMcpToolSource implements ToolSource {

    private static final Logger log = LoggerFactory.getLogger(UpstreamMcpToolSource.class);

    /** Timings and bounds; the defaults suit production, tests shorten some. */
    record Settings(Duration initializeTimeout, Duration requestTimeout, Duration backoffInitial,
                    Duration backoffMax, Duration stableAfter, Duration killGrace, int maxLineBytes) {
        static final Settings DEFAULTS = new Settings(Duration.ofSeconds(60), Duration.ofHours(1),
                Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(2),
                LineFilteringStdioTransport.DEFAULT_MAX_LINE_BYTES);
    }

    private final UpstreamServer server;
    private final Settings settings;
    private final ObjectMapper objectMapper = new ObjectMapper();
    private final ScheduledThreadPoolExecutor worker;
    private final UpstreamStatus status;
    private final UpstreamCalls calls;
    private final UpstreamTools tools;
    private final Backoff backoff;
    private final CompletableFuture<Void> firstAttempt = new CompletableFuture<>();
    private final AtomicLong generations = new AtomicLong();
    private final AtomicInteger listChangedCount = new AtomicInteger();

    /** Guards the state transitions below; the volatile fields are read without it. */
    private final Object lock = new Object();
    private volatile UpstreamConnection current;
    private volatile UpstreamConnection pending;
    private volatile boolean closed;
    private volatile ScheduledFuture<?> retry;

    private UpstreamMcpToolSource(UpstreamServer server, Settings settings) {
        this.server = Objects.requireNonNull(server, "server");
        this.settings = settings;
        this.worker = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "mcp-upstream-" + server.name());
            t.setDaemon(true);
            return t;
        });
        this.worker.setRemoveOnCancelPolicy(true);
        this.status = new UpstreamStatus(server.name(), server instanceof UpstreamServer.Stdio);
        this.calls = new UpstreamCalls(server.name(), server instanceof UpstreamServer.Http, this::restartNote);
        this.tools = new UpstreamTools(server.name());
        this.backoff = new Backoff(settings.backoffInitial(), settings.backoffMax(), settings.stableAfter());
    }

    /** Creates the source and starts connecting in the background; returns at once. */
    public static UpstreamMcpToolSource start(UpstreamServer server) {
        return start(server, Settings.DEFAULTS);
    }

    static UpstreamMcpToolSource start(UpstreamServer server, Settings settings) {
        UpstreamMcpToolSource source = new UpstreamMcpToolSource(server, settings);
        source.worker.execute(source::connectOnce);
        return source;
    }

    /**
     * Waits until the first connection attempt has finished, successfully or not (or the source was
     * closed). Returns false when the limit passed first.
     */
    public boolean awaitFirstAttempt(Duration limit) {
        try {
            firstAttempt.get(Math.max(0, limit.toMillis()), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            return true;
        }
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
        UpstreamConnection conn = current;
        if (conn == null || conn.lost.isDone()) {
            throw new ToolUnavailableException(status.unavailableMessage());
        }
        return calls.call(conn, tool, arguments, timeout, cancellation);
    }

    @Override
    public void close() {
        UpstreamConnection c;
        UpstreamConnection p;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            ScheduledFuture<?> r = retry;
            if (r != null) {
                r.cancel(false);
            }
            c = current;
            p = pending;
            current = null;
            pending = null;
            tools.replace(List.of());
            status.set(ServerStatus.State.UNAVAILABLE, "closed");
        }
        worker.shutdownNow();
        firstAttempt.complete(null);
        for (UpstreamConnection conn : new UpstreamConnection[] {c, p}) {
            if (conn != null) {
                conn.markLost("the source was closed");
                conn.close();
            }
        }
        try {
            worker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // test hooks

    /** The process id of the running stdio server, or -1. */
    long pid() {
        UpstreamConnection c = current;
        return c == null || c.stdio == null ? -1 : c.stdio.pid();
    }

    /** How many complete tool lists arrived through {@code notifications/tools/list_changed}. */
    int listChangedCount() {
        return listChangedCount.get();
    }

    /** Non-JSON stdout lines skipped on the current connection. */
    int skippedStdoutLines() {
        UpstreamConnection c = current;
        return c == null || c.stdio == null ? 0 : c.stdio.skippedLines();
    }

    // ---------------------------------------------------------------------------------------------
    // connection lifecycle (worker thread)

    private void connectOnce() {
        if (closed) {
            return;
        }
        long generation = generations.incrementAndGet();
        if (generation > 1) {
            synchronized (lock) {
                status.retryingNow();
            }
        }
        UpstreamConnection conn = null;
        try {
            conn = UpstreamConnection.open(server, settings, objectMapper, generation, this::lostNow, this::toolsChanged);
            synchronized (lock) {
                if (closed) {
                    conn.close();
                    return;
                }
                pending = conn;
                if (generation == 1) {
                    status.set(ServerStatus.State.CONNECTING, conn.stdio != null
                            ? "started (pid " + conn.stdio.pid() + "), waiting for its answer to initialize"
                            : "connecting to " + ((UpstreamServer.Http) server).url());
                }
            }
            McpSchema.InitializeResult init = calls.await(conn, conn.client.initialize(), settings.initializeTimeout(),
                    "initialize");
            List<McpSchema.Tool> listed = init.capabilities() != null && init.capabilities().tools() == null
                    ? List.of()
                    : calls.await(conn, conn.client.listTools(), settings.initializeTimeout(), "tools/list").tools();
            McpSchema.Implementation info = init.serverInfo();
            List<ToolDescriptor> mapped = tools.map(listed);
            boolean toolsChanged;
            synchronized (lock) {
                if (closed) {
                    return; // close() ends the pending connection
                }
                if (conn.lost.isDone()) {
                    throw new IOException(conn.lost.getNow("connection lost"));
                }
                conn.connectedAt = Instant.now();
                pending = null;
                current = conn;
                // Before the status: whoever sees AVAILABLE also sees the tools (a call right after a restart
                // was refused as naming no tool while the list was still being applied).
                toolsChanged = tools.replace(mapped);
                status.connected("connected to " + (info == null ? "server" : info.name() + " " + info.version())
                        + " (protocol " + init.protocolVersion() + ")");
            }
            log.info("{}: connected ({} tools, {})", server(), listed == null ? 0 : listed.size(),
                    status.get().detail());
            if (toolsChanged) {
                tools.notifyListeners(mapped);
            }
            firstAttempt.complete(null);
        } catch (Exception e) {
            String reason = reasonOf(e, conn);
            if (conn != null) {
                synchronized (lock) {
                    if (pending == conn) {
                        pending = null;
                    }
                }
                conn.markLost(reason);
                conn.close();
            }
            synchronized (lock) {
                if (closed) {
                    return;
                }
                scheduleRetry(reason);
            }
            firstAttempt.complete(null);
        }
    }

    /** A list from {@code notifications/tools/list_changed} (SDK thread): apply it on the worker. */
    private void toolsChanged(UpstreamConnection conn, List<McpSchema.Tool> list) {
        listChangedCount.incrementAndGet();
        try {
            worker.execute(() -> {
                if (conn == current) {
                    log.debug("{}: tools/list_changed: {} tools", server(), list.size());
                    applyTools(conn, list);
                }
            });
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    private void applyTools(UpstreamConnection conn, List<McpSchema.Tool> listed) {
        List<ToolDescriptor> mapped = tools.map(listed);
        synchronized (lock) {
            if (conn != current || !tools.replace(mapped)) {
                return;
            }
        }
        tools.notifyListeners(mapped);
    }

    /** Called once per connection as it is marked lost, before its calls in flight fail (any thread). */
    private void lostNow(UpstreamConnection conn, String reason) {
        boolean hadTools;
        synchronized (lock) {
            if (conn != current || closed) {
                return;
            }
            current = null;
            backoff.lost(conn.connectedAt);
            hadTools = tools.replace(List.of());
            scheduleRetry(reason);
        }
        try {
            worker.execute(() -> {
                if (hadTools) {
                    tools.notifyListeners(List.of());
                }
                conn.close();
            });
        } catch (RejectedExecutionException e) {
            conn.close();
        }
    }

    /** Marks the source unavailable and schedules the next attempt; call with the lock held. */
    private void scheduleRetry(String reason) {
        if (closed) {
            return;
        }
        Duration delay = backoff.next();
        status.unavailable(reason, delay);
        try {
            retry = worker.schedule(this::connectOnce, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    private String restartNote() {
        return closed ? "" : "; " + status.restartVerb() + " automatically";
    }

    private String reasonOf(Throwable e, UpstreamConnection conn) {
        String died = conn == null ? null : conn.lostReason(1500);
        if (died != null) {
            return died;
        }
        Throwable cause = Failures.unwrap(e);
        if (cause instanceof IOException io && server instanceof UpstreamServer.Stdio s
                && io.getMessage() != null && io.getMessage().startsWith("Cannot run program")) {
            return "cannot start " + s.command() + ": " + io.getMessage().replaceFirst("^.*error=\\d+, ", "");
        }
        return Failures.describe(cause);
    }

    @Override
    public String toString() {
        return "UpstreamMcpToolSource[" + server() + ", " + status.get().state() + "]";
    }
}
