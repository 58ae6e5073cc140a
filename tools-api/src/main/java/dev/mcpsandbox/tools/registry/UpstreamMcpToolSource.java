package dev.mcpsandbox.tools.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpsandbox.config.UpstreamServer;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
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

    /** Headers the JDK HTTP client sets itself and refuses from callers. */
    private static final Set<String> RESTRICTED_HEADERS = Set.of("connection", "content-length", "expect", "host",
            "upgrade");

    private final UpstreamServer server;
    private final Settings settings;
    private final ObjectMapper objectMapper = new ObjectMapper();
    private final McpJsonMapper jsonMapper = new JacksonMcpJsonMapper(objectMapper);
    private final ScheduledThreadPoolExecutor worker;
    private final List<Consumer<List<ToolDescriptor>>> listeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> firstAttempt = new CompletableFuture<>();
    private final AtomicLong generations = new AtomicLong();
    private final AtomicInteger listChangedCount = new AtomicInteger();

    /** Guards the state transitions below; the volatile fields are read without it. */
    private final Object lock = new Object();
    private volatile Connection current;
    private volatile Connection pending;
    private volatile List<ToolDescriptor> tools = List.of();
    private volatile ServerStatus status;
    private volatile boolean closed;
    private volatile ScheduledFuture<?> retry;
    private int failures;
    private String lastLoggedReason;

    private UpstreamMcpToolSource(UpstreamServer server, Settings settings) {
        this.server = Objects.requireNonNull(server, "server");
        this.settings = settings;
        this.worker = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "mcp-upstream-" + server.name());
            t.setDaemon(true);
            return t;
        });
        this.worker.setRemoveOnCancelPolicy(true);
        this.status = new ServerStatus(server.name(), ServerStatus.State.CONNECTING, "starting",
                Optional.of(Instant.now()));
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
        return status;
    }

    @Override
    public List<ToolDescriptor> tools() {
        return tools;
    }

    @Override
    public void onToolsChanged(Consumer<List<ToolDescriptor>> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public UpstreamResult call(String tool, Map<String, Object> arguments, Duration timeout)
            throws ToolUnavailableException {
        Objects.requireNonNull(tool, "tool");
        Objects.requireNonNull(timeout, "timeout");
        Connection conn = current;
        if (conn == null || conn.lost.isDone()) {
            throw new ToolUnavailableException(unavailableMessage());
        }
        McpSchema.CallToolRequest request = McpSchema.CallToolRequest.builder(tool)
                .arguments(arguments == null ? Map.of() : arguments)
                .build();
        CompletableFuture<McpSchema.CallToolResult> call = conn.track(conn.client.callTool(request).toFuture());
        try {
            return UpstreamMapping.result(call.get(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            call.cancel(true);
            throw new ToolUnavailableException("server '" + server() + "' did not answer " + tool + " within "
                    + human(timeout));
        } catch (InterruptedException e) {
            call.cancel(true);
            Thread.currentThread().interrupt();
            throw new ToolUnavailableException("call to " + server() + "." + tool + " was interrupted", e);
        } catch (ExecutionException | CancellationException e) {
            Throwable cause = unwrap(e);
            if (cause instanceof ConnectionLost lost) {
                throw new ToolUnavailableException("server '" + server() + "' went away during the call to " + tool
                        + ": " + lost.getMessage() + restartNote());
            }
            if (cause instanceof McpError mcpError) {
                return UpstreamMapping.error(mcpError);
            }
            if (conn.lost.isDone()) {
                throw new ToolUnavailableException("server '" + server() + "' went away during the call to " + tool
                        + ": " + conn.lost.getNow("connection lost") + restartNote(), cause);
            }
            if (hasCause(cause, TimeoutException.class)) {
                throw new ToolUnavailableException("server '" + server() + "' did not answer " + tool + " in time",
                        cause);
            }
            String died = lostReason(conn, 1000);
            if (died != null) {
                // e.g. the write failed because the process was already exiting: report the exit
                throw new ToolUnavailableException("server '" + server() + "' went away during the call to " + tool
                        + ": " + died + restartNote(), cause);
            }
            String reason = describe(cause);
            if (server instanceof UpstreamServer.Http && isTransportFailure(cause)) {
                // Over HTTP there is no process to watch: a failed exchange is how we learn it is gone.
                connectionLost(conn, reason);
            }
            throw new ToolUnavailableException("server '" + server() + "' failed the call to " + tool + ": " + reason,
                    cause);
        } finally {
            conn.inflight.remove(call);
        }
    }

    @Override
    public void close() {
        Connection c;
        Connection p;
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
            tools = List.of();
            setStatus(ServerStatus.State.UNAVAILABLE, "closed");
        }
        worker.shutdownNow();
        firstAttempt.complete(null);
        for (Connection conn : new Connection[] {c, p}) {
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
        Connection c = current;
        return c == null || c.stdio == null ? -1 : c.stdio.pid();
    }

    /** How many complete tool lists arrived through {@code notifications/tools/list_changed}. */
    int listChangedCount() {
        return listChangedCount.get();
    }

    /** Non-JSON stdout lines skipped on the current connection. */
    int skippedStdoutLines() {
        Connection c = current;
        return c == null || c.stdio == null ? 0 : c.stdio.skippedLines();
    }

    // ---------------------------------------------------------------------------------------------
    // connection lifecycle (worker thread)

    private final class Connection {
        final long generation;
        final McpAsyncClient client;
        final LineFilteringStdioTransport stdio;
        /** Completes (never exceptionally) with the reason once this connection is gone. */
        final CompletableFuture<String> lost = new CompletableFuture<>();
        /** Calls waiting for an answer; failed at once when the connection is lost. */
        final Set<CompletableFuture<?>> inflight = ConcurrentHashMap.newKeySet();
        volatile Instant connectedAt;

        Connection(long generation, McpAsyncClient client, LineFilteringStdioTransport stdio) {
            this.generation = generation;
            this.client = client;
            this.stdio = stdio;
        }

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
            lostNow(this, reason);
            for (CompletableFuture<?> f : inflight) {
                f.completeExceptionally(new ConnectionLost(reason));
            }
            return true;
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
                                log.debug("{}: closing the HTTP session failed: {}", server(), e.toString());
                                return Mono.empty();
                            })
                            .block();
                }
            } catch (RuntimeException e) {
                log.debug("{}: closing connection {} failed: {}", server(), generation, e.toString());
            }
            if (stdio != null) {
                stdio.close();
            }
        }
    }

    private void connectOnce() {
        if (closed) {
            return;
        }
        long generation = generations.incrementAndGet();
        if (generation > 1) {
            synchronized (lock) {
                setStatus(ServerStatus.State.UNAVAILABLE, baseReason(status.detail()) + "; " + restartVerb() + " now");
            }
        }
        Connection conn = null;
        try {
            conn = open(generation);
            synchronized (lock) {
                if (closed) {
                    conn.close();
                    return;
                }
                pending = conn;
                if (generation == 1) {
                    setStatus(ServerStatus.State.CONNECTING, conn.stdio != null
                            ? "started (pid " + conn.stdio.pid() + "), waiting for its answer to initialize"
                            : "connecting to " + ((UpstreamServer.Http) server).url());
                }
            }
            McpSchema.InitializeResult init = await(conn, conn.client.initialize(), settings.initializeTimeout(),
                    "initialize");
            List<McpSchema.Tool> listed = init.capabilities() != null && init.capabilities().tools() == null
                    ? List.of()
                    : await(conn, conn.client.listTools(), settings.initializeTimeout(), "tools/list").tools();
            McpSchema.Implementation info = init.serverInfo();
            List<ToolDescriptor> mapped = mapped(listed);
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
                toolsChanged = !mapped.equals(tools);
                // Before the status: whoever sees AVAILABLE also sees the tools (a call right after a restart
                // was refused as naming no tool while the list was still being applied).
                tools = mapped;
                setStatus(ServerStatus.State.AVAILABLE, "connected to " + (info == null ? "server"
                        : info.name() + " " + info.version()) + " (protocol " + init.protocolVersion() + ")");
                lastLoggedReason = null;
            }
            log.info("{}: connected ({} tools, {})", server(), listed == null ? 0 : listed.size(),
                    status.detail());
            if (toolsChanged) {
                notifyListeners(mapped);
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

    private Connection open(long generation) throws IOException {
        McpClientTransport transport;
        LineFilteringStdioTransport stdio = null;
        if (server instanceof UpstreamServer.Stdio s) {
            stdio = new LineFilteringStdioTransport(s.name(), s.command(), s.args(), s.env(), jsonMapper,
                    settings.maxLineBytes(), settings.killGrace());
            try {
                stdio.start();
            } catch (IOException e) {
                stdio.close();
                throw e;
            }
            transport = stdio;
        } else if (server instanceof UpstreamServer.Http h) {
            transport = httpTransport(h);
        } else {
            throw new IllegalStateException("unknown server kind " + server.getClass());
        }
        CompletableFuture<Connection> self = new CompletableFuture<>();
        McpAsyncClient client = McpClient.async(transport)
                .clientInfo(McpSchema.Implementation.builder("mcp-sandbox", version()).build())
                .capabilities(McpSchema.ClientCapabilities.builder().build())
                .requestTimeout(settings.requestTimeout())
                .initializationTimeout(settings.initializeTimeout())
                .jsonSchemaValidator(new DefaultJsonSchemaValidator(objectMapper))
                .toolsChangeConsumer(list -> Mono.fromRunnable(() -> self.thenAccept(c -> toolsChanged(c, list))))
                .build();
        Connection conn = new Connection(generation, client, stdio);
        self.complete(conn);
        if (stdio != null) {
            stdio.onTerminated(reason -> {
                log.debug("{}: server process {}", server(), reason);
                conn.markLost(reason);
            });
        }
        return conn;
    }

    private McpClientTransport httpTransport(UpstreamServer.Http h) {
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
                .jsonMapper(jsonMapper)
                .connectTimeout(Duration.ofSeconds(10));
        if (!headers.isEmpty()) {
            builder.addHttpRequestCustomizer((request, method, uri, body, context) -> headers.forEach(request::setHeader));
        }
        return builder.build();
    }

    /** Waits for an SDK operation, but gives up at once when the connection is lost meanwhile. */
    private <T> T await(Connection conn, Mono<T> operation, Duration limit, String what) throws Exception {
        CompletableFuture<T> f = conn.track(operation.toFuture());
        try {
            return f.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new TimeoutException("no answer to " + what + " within " + human(limit));
        } catch (ExecutionException e) {
            Throwable cause = unwrap(e);
            if (cause instanceof ConnectionLost || conn.lost.isDone()) {
                throw new IOException(conn.lost.getNow("connection lost"), cause);
            }
            throw cause instanceof Exception ex ? ex : new IOException(cause);
        } finally {
            conn.inflight.remove(f);
        }
    }

    /** A list from {@code notifications/tools/list_changed} (SDK thread): apply it on the worker. */
    private void toolsChanged(Connection conn, List<McpSchema.Tool> list) {
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

    private void applyTools(Connection conn, List<McpSchema.Tool> listed) {
        List<ToolDescriptor> mapped = mapped(listed);
        synchronized (lock) {
            if (conn != current || mapped.equals(tools)) {
                return;
            }
            tools = mapped;
        }
        notifyListeners(mapped);
    }

    private List<ToolDescriptor> mapped(List<McpSchema.Tool> listed) {
        List<String> rejected = new ArrayList<>();
        List<ToolDescriptor> mapped = UpstreamMapping.descriptors(server(), listed, rejected);
        if (!rejected.isEmpty()) {
            log.warn("{}: left out tools whose names are unusable: {}", server(), rejected);
        }
        return mapped;
    }

    /** The connection died (any thread). */
    private void connectionLost(Connection conn, String reason) {
        conn.markLost(reason);
    }

    /** Called once per connection as it is marked lost, before its calls in flight fail (any thread). */
    private void lostNow(Connection conn, String reason) {
        boolean hadTools;
        synchronized (lock) {
            if (conn != current || closed) {
                return;
            }
            current = null;
            Instant up = conn.connectedAt;
            if (up != null && Duration.between(up, Instant.now()).compareTo(settings.stableAfter()) >= 0) {
                failures = 0;
            }
            hadTools = !tools.isEmpty();
            tools = List.of();
            scheduleRetry(reason);
        }
        try {
            worker.execute(() -> {
                if (hadTools) {
                    notifyListeners(List.of());
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
        Duration delay = backoff(failures++, settings.backoffInitial(), settings.backoffMax());
        setStatus(ServerStatus.State.UNAVAILABLE, reason + "; " + restartVerb() + " in " + human(delay));
        if (!reason.equals(lastLoggedReason)) {
            log.warn("{}: unavailable: {}", server(), status.detail());
            lastLoggedReason = reason;
        } else {
            log.debug("{}: still unavailable: {}", server(), status.detail());
        }
        try {
            retry = worker.schedule(this::connectOnce, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    static Duration backoff(int failures, Duration initial, Duration max) {
        long millis = initial.toMillis();
        for (int i = 0; i < failures && millis < max.toMillis(); i++) {
            millis *= 2;
        }
        return Duration.ofMillis(Math.min(millis, max.toMillis()));
    }

    private void notifyListeners(List<ToolDescriptor> list) {
        for (Consumer<List<ToolDescriptor>> l : listeners) {
            try {
                l.accept(list);
            } catch (RuntimeException e) {
                log.warn("{}: tools-changed listener failed", server(), e);
            }
        }
    }

    private void setStatus(ServerStatus.State state, String detail) {
        ServerStatus old = status;
        Optional<Instant> since = old != null && old.state() == state ? old.since() : Optional.of(Instant.now());
        status = new ServerStatus(server(), state, detail, since);
    }

    private String restartVerb() {
        return server instanceof UpstreamServer.Stdio ? "restarting" : "reconnecting";
    }

    /** The reason part of a detail such as "exited with status 1: boom; restarting in 2 s". */
    private String baseReason(String detail) {
        int i = detail.lastIndexOf("; " + restartVerb());
        return i < 0 ? detail : detail.substring(0, i);
    }

    private String unavailableMessage() {
        ServerStatus s = status;
        if (s.state() == ServerStatus.State.CONNECTING) {
            return "server '" + server() + "' is not connected yet (" + s.detail() + ")";
        }
        return "server '" + server() + "' is unavailable: " + s.detail();
    }

    private String restartNote() {
        return closed ? "" : "; " + restartVerb() + " automatically";
    }

    /**
     * Why the connection went away, waiting a little for a stdio process whose exit is under way (a
     * failed write usually comes a moment before the exit status); null when it is still there.
     */
    private static String lostReason(Connection conn, long waitMillis) {
        if (conn == null) {
            return null;
        }
        if (conn.lost.isDone()) {
            return conn.lost.getNow(null);
        }
        if (conn.stdio == null) {
            return null;
        }
        try {
            return conn.lost.get(conn.stdio.alive() ? Math.min(200, waitMillis) : waitMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private String reasonOf(Throwable e, Connection conn) {
        String died = lostReason(conn, 1500);
        if (died != null) {
            return died;
        }
        Throwable cause = unwrap(e);
        if (cause instanceof IOException io && server instanceof UpstreamServer.Stdio s
                && io.getMessage() != null && io.getMessage().startsWith("Cannot run program")) {
            return "cannot start " + s.command() + ": " + io.getMessage().replaceFirst("^.*error=\\d+, ", "");
        }
        return describe(cause);
    }

    /** The messages along a cause chain, without repeats: "Client failed to initialize: Connection refused". */
    static String describe(Throwable t) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        for (Throwable c = t; c != null && depth < 6; c = c.getCause(), depth++) {
            String m = c.getMessage();
            if (m == null || m.isBlank()) {
                m = c instanceof java.net.ConnectException ? "connection refused" : c.getClass().getSimpleName();
            }
            String msg = m.strip();
            boolean bareClassName = msg.equals(c.getClass().getSimpleName()) || msg.equals(c.getClass().getName());
            if (bareClassName && !parts.isEmpty()) {
                continue;
            }
            if (parts.stream().noneMatch(p -> p.contains(msg))) {
                parts.add(msg);
            }
        }
        return parts.isEmpty() ? t.getClass().getSimpleName() : String.join(": ", parts);
    }

    /** Why a call or operation failed: its connection went away. */
    private static final class ConnectionLost extends IOException {
        ConnectionLost(String reason) {
            super(reason);
        }
    }

    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof ExecutionException
                || t.getClass().getName().equals("reactor.core.Exceptions$ReactiveException"))
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** I/O failures and the SDK's transport exceptions (as opposed to, say, a result that did not parse). */
    static boolean isTransportFailure(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof IOException || c instanceof java.io.UncheckedIOException
                    || (c.getClass().getName().startsWith("io.modelcontextprotocol.")
                    && c.getClass().getSimpleName().contains("Transport"))) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    static String human(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + " s";
        }
        return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    private static String version() {
        String v = UpstreamMcpToolSource.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    @Override
    public String toString() {
        return "UpstreamMcpToolSource[" + server() + ", " + status.state() + "]";
    }
}
