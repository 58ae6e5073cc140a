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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The connect and restart cycle of one upstream source: a first attempt at once, then, whenever the
 * connection is lost or an attempt fails, the status says why and the next attempt follows after the
 * {@link Backoff} delay, forever, until {@linkplain #close closed}. Attempts run on the source's own
 * thread; a connection becomes {@link #current} only once it has answered {@code initialize} and
 * {@code tools/list}, with its tools in place before its status shows AVAILABLE.
 */
final class UpstreamLifecycle {

    private static final Logger log = LoggerFactory.getLogger(UpstreamLifecycle.class);

    private final UpstreamServer server;
    private final UpstreamMcpToolSource.Settings settings;
    private final ObjectMapper objectMapper = new ObjectMapper();
    private final ScheduledThreadPoolExecutor worker;
    private final UpstreamStatus status;
    private final UpstreamTools tools;
    private final UpstreamCalls calls;
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

    UpstreamLifecycle(UpstreamServer server, UpstreamMcpToolSource.Settings settings, UpstreamStatus status,
                      UpstreamTools tools) {
        this.server = server;
        this.settings = settings;
        this.status = status;
        this.tools = tools;
        this.calls = new UpstreamCalls(server.name(), server instanceof UpstreamServer.Http, this::restartNote);
        this.backoff = new Backoff(settings.backoffInitial(), settings.backoffMax(), settings.stableAfter());
        this.worker = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "mcp-upstream-" + server.name());
            t.setDaemon(true);
            return t;
        });
        this.worker.setRemoveOnCancelPolicy(true);
    }

    /** Makes the first attempt, in the background. */
    void start() {
        worker.execute(this::connectOnce);
    }

    /**
     * Waits until the first connection attempt has finished, successfully or not (or the source was
     * closed). Returns false when the limit passed first.
     */
    boolean awaitFirstAttempt(Duration limit) {
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

    /** The live connection, or null while there is none. */
    UpstreamConnection current() {
        return current;
    }

    /** The requests over the connections of this source. */
    UpstreamCalls calls() {
        return calls;
    }

    int listChangedCount() {
        return listChangedCount.get();
    }

    void close() {
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
            log.info("{}: connected ({} tools, {})", server.name(), listed == null ? 0 : listed.size(),
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
                    log.debug("{}: tools/list_changed: {} tools", server.name(), list.size());
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
}
