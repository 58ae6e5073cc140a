package dev.mcpsandbox.tools.registry;

import dev.mcpsandbox.config.UpstreamServer;
import dev.mcpsandbox.tools.ToolName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * All callable tools of all upstream servers (and any other {@link ToolSource}), by qualified name.
 *
 * <p>{@link #connect} starts every configured server in parallel and returns once all have connected
 * or failed their first attempt, or the start-up limit passed, whichever comes first. A slow or
 * broken server never fails start-up: it is reported CONNECTING or UNAVAILABLE (with the reason) and
 * keeps being retried in the background. Tools of unavailable servers are not in {@link #tools()}.
 *
 * <p>Thread-safe. Close it to end all server processes.
 */
public final class ToolRegistry implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ToolRegistry.class);

    private final Map<String, ToolSource> sources;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    private ToolRegistry(List<? extends ToolSource> sources) {
        Map<String, ToolSource> byName = new LinkedHashMap<>();
        for (ToolSource s : sources) {
            if (byName.putIfAbsent(s.server(), s) != null) {
                throw new IllegalArgumentException("two tool sources are named \"" + s.server() + "\"");
            }
        }
        this.sources = java.util.Collections.unmodifiableMap(byName);
        for (ToolSource s : this.sources.values()) {
            s.onToolsChanged(list -> fireToolsChanged());
        }
    }

    /**
     * Connects to all servers in parallel (each under its {@link UpstreamServer#name()}); returns when
     * every one has connected or failed its first attempt, or after {@code startupLimit}.
     */
    public static ToolRegistry connect(Map<String, UpstreamServer> servers, Duration startupLimit) {
        Objects.requireNonNull(servers, "servers");
        Objects.requireNonNull(startupLimit, "startupLimit");
        long started = System.nanoTime();
        List<UpstreamMcpToolSource> started0 = new ArrayList<>(servers.size());
        try {
            for (UpstreamServer server : servers.values()) {
                started0.add(UpstreamMcpToolSource.start(server));
            }
        } catch (RuntimeException e) {
            started0.forEach(UpstreamMcpToolSource::close);
            throw e;
        }
        ToolRegistry registry;
        try {
            registry = new ToolRegistry(started0);
        } catch (RuntimeException e) {
            started0.forEach(UpstreamMcpToolSource::close);
            throw e;
        }
        long deadline = started + startupLimit.toNanos();
        for (UpstreamMcpToolSource s : started0) {
            s.awaitFirstAttempt(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        for (ServerStatus st : registry.servers()) {
            if (!st.available()) {
                log.warn("upstream server {} is {} at start-up: {}", st.server(), st.state(), st.detail());
            }
        }
        log.info("tool registry ready in {} ms: {} of {} servers available, {} tools",
                (System.nanoTime() - started) / 1_000_000,
                registry.servers().stream().filter(ServerStatus::available).count(), servers.size(),
                registry.tools().size());
        return registry;
    }

    /** A registry over the given sources as they are (for tests and embedding); it owns and closes them. */
    public static ToolRegistry of(List<? extends ToolSource> sources) {
        return new ToolRegistry(List.copyOf(sources));
    }

    /** All tools of all available servers, in configuration order. */
    public List<ToolDescriptor> tools() {
        List<ToolDescriptor> all = new ArrayList<>();
        for (ToolSource s : sources.values()) {
            all.addAll(s.tools());
        }
        return List.copyOf(all);
    }

    /** The tool by qualified name, if its server is available and lists it. */
    public Optional<ToolDescriptor> find(ToolName name) {
        ToolSource s = sources.get(name.server());
        if (s == null) {
            return Optional.empty();
        }
        for (ToolDescriptor d : s.tools()) {
            if (d.name().equals(name)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** The status of every server, in configuration order. */
    public List<ServerStatus> servers() {
        return sources.values().stream().map(ToolSource::status).toList();
    }

    /** @throws IllegalArgumentException when no server has that name */
    public ServerStatus status(String server) {
        return source(server).status();
    }

    /** The names of all servers, in configuration order. */
    public List<String> serverNames() {
        return List.copyOf(sources.keySet());
    }

    /**
     * Calls a tool.
     *
     * @throws ToolUnavailableException the server is not connected, died during the call, or did not
     *                                  answer within {@code timeout}
     * @throws IllegalArgumentException no such server, or the (available) server does not list the tool;
     *                                  callers check with {@link #find} first
     */
    public UpstreamResult call(ToolName name, Map<String, Object> arguments, Duration timeout)
            throws ToolUnavailableException {
        return call(name, arguments, timeout, new CallCancellation());
    }

    /**
     * Calls a tool that the caller may give up on through {@code cancellation}: the call then ends at once
     * and the upstream server is told to stop working on it (as after a timeout).
     *
     * @see #call(ToolName, Map, Duration)
     */
    public UpstreamResult call(ToolName name, Map<String, Object> arguments, Duration timeout,
                               CallCancellation cancellation) throws ToolUnavailableException {
        ToolSource s = source(name.server());
        if (s.status().available() && find(name).isEmpty()) {
            throw new IllegalArgumentException("server '" + name.server() + "' has no tool '" + name.tool() + "'");
        }
        return s.call(name.tool(), arguments == null ? Map.of() : arguments, timeout, cancellation);
    }

    /** Runs whenever the set of tools changes (a server's list_changed, a server lost or reconnected). */
    public void onToolsChanged(Runnable listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Ends all sources (server processes get SIGTERM, then SIGKILL after a grace period), in parallel. */
    @Override
    public void close() {
        CompletableFuture<?>[] closing = sources.values().stream()
                .map(s -> CompletableFuture.runAsync(() -> {
                    try {
                        s.close();
                    } catch (RuntimeException e) {
                        log.warn("closing tool source {} failed", s.server(), e);
                    }
                }, r -> {
                    Thread t = new Thread(r, "mcp-upstream-close-" + s.server());
                    t.setDaemon(true);
                    t.start();
                }))
                .toArray(CompletableFuture<?>[]::new);
        try {
            CompletableFuture.allOf(closing).join();
        } catch (RuntimeException e) {
            log.warn("closing tool sources failed", e);
        }
    }

    /** The source of one server (package-private: tests reach the process behind it). */
    ToolSource source(String server) {
        ToolSource s = sources.get(server);
        if (s == null) {
            throw new IllegalArgumentException("no upstream server named '" + server + "'");
        }
        return s;
    }

    private void fireToolsChanged() {
        for (Runnable r : listeners) {
            try {
                r.run();
            } catch (RuntimeException e) {
                log.warn("tools-changed listener failed", e);
            }
        }
    }
}
