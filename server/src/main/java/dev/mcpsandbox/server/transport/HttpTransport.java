package dev.mcpsandbox.server.transport;

import dev.mcpsandbox.server.operations.HealthEndpoint;
import dev.mcpsandbox.server.operations.MetricsEndpoint;
import dev.mcpsandbox.server.modern.ModernServer;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.modern.server.transport.HttpServletMcpTransport;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.transport.ServerHttpHeaderValidator;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletSseServerTransportProvider;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import jakarta.servlet.DispatcherType;
import org.eclipse.jetty.ee11.servlet.FilterHolder;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Streamable HTTP at {@code /mcp} (2025-11-25 sessions and stateless 2026-07-28 requests, told apart by
 * {@link ProtocolRouter}) and the legacy HTTP+SSE transport at {@code /sse} (messages to
 * {@code /sse/message}; deprecated by the protocol, kept for clients that only speak 2024-11-05) on
 * embedded Jetty, with {@code /healthz} and {@code /metrics}. Each transport gets its own server built
 * from the same {@link ServedFeatures}; one {@link RequestGuard} filter stands in front of all of them.
 *
 * <p>Shutdown ({@link #stop}) is graceful: refuse new requests and connections, let running requests
 * finish within the grace period, then stop what is still running (closing the assembly kills its
 * sandboxes, so their calls end with a result), close the sessions and stop Jetty.
 */
public final class HttpTransport {
    private static final Logger log = LoggerFactory.getLogger(HttpTransport.class);
    public static final String MCP_PATH = "/mcp";
    public static final String SSE_PATH = "/sse";
    public static final String SSE_MESSAGE_PATH = "/sse/message";
    /** Open connections at most; past this Jetty stops accepting until some close. */
    private static final int MAX_CONNECTIONS = 1024;
    /** After the grace period and the sandboxes' end: time for the last results to be written. */
    private static final Duration AFTER_KILL = Duration.ofSeconds(5);

    private final Server jetty;
    private final ServerConnector connector;
    private final RequestGuard guard;
    private final List<McpSyncServer> servers;
    private final ModernServer modern;
    private final ServedFeatures features;
    private final HttpOptions options;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private HttpTransport(Server jetty, ServerConnector connector, RequestGuard guard, List<McpSyncServer> servers,
                          ModernServer modern, ServedFeatures features, HttpOptions options) {
        this.modern = modern;
        this.jetty = jetty;
        this.connector = connector;
        this.guard = guard;
        this.servers = servers;
        this.features = features;
        this.options = options;
    }

    /** Builds the servers and starts listening; throws when the address cannot be bound. */
    public static HttpTransport start(ServedFeatures features, HttpOptions options) throws Exception {
        HttpServletStreamableServerTransportProvider streamable = HttpServletStreamableServerTransportProvider.builder()
                .jsonMapper(McpJsonDefaults.getMapper())
                .mcpEndpoint(MCP_PATH)
                .keepAliveInterval(options.keepAlive())
                // A session unused for one sweep interval is dropped at the next: idle for between half and all of it.
                .sessionSweepInterval(options.sessionIdle().dividedBy(2))
                .maxRequestSize((int) options.maxBodyBytes())
                .build();
        @SuppressWarnings("deprecation") // the 2024-11-05 transport, kept for clients that only speak it
        HttpServletSseServerTransportProvider sse = HttpServletSseServerTransportProvider.builder()
                .jsonMapper(McpJsonDefaults.getMapper())
                .sseEndpoint(SSE_PATH)
                .messageEndpoint(SSE_MESSAGE_PATH)
                .keepAliveInterval(options.keepAlive())
                .maxRequestSize((int) options.maxBodyBytes())
                .build();
        List<McpSyncServer> servers = List.of(
                features.serve(McpServer.sync(streamable).jsonMapper(new ParamsCheckingMapper(McpJsonDefaults.getMapper()))),
                features.serve(McpServer.sync(sse).jsonMapper(new ParamsCheckingMapper(McpJsonDefaults.getMapper()))));
        // 2026-07-28: no session; the caller is who the guard authenticated (the token's identity, or the address).
        ModernServer modern = features.serveModern(context -> Caller.fromContext(context).orElse("unknown"));
        HttpServletMcpTransport stateless = HttpServletMcpTransport.builder(modern.server())
                .jsonMapper(McpJsonDefaults.getMapper())
                .endpoint(MCP_PATH)
                .contextExtractor(request -> request.getAttribute(Caller.REQUEST_ATTRIBUTE) instanceof String caller
                        ? McpTransportContext.create(Map.of(Caller.CONTEXT_KEY, caller)) : McpTransportContext.EMPTY)
                .maxRequestSize((int) options.maxBodyBytes())
                .keepAliveInterval(options.keepAlive())
                .httpHeaderValidator(ServerHttpHeaderValidator.NOOP) // RequestGuard checks Host and Origin for every endpoint
                .build();

        QueuedThreadPool threads = new QueuedThreadPool(256, 8);
        threads.setName("http");
        threads.setDaemon(true); // the JVM's life is decided by Main and the shutdown hook, never by Jetty
        ScheduledExecutorScheduler scheduler = new ScheduledExecutorScheduler("http-scheduler", true);
        Server jetty = new Server(threads, scheduler, null);
        jetty.setStopAtShutdown(false); // our own hook stops it, in order
        jetty.setStopTimeout(2000);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        ServerConnector connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
        connector.setHost(options.host());
        connector.setPort(options.port());
        connector.setIdleTimeout(idleTimeout(features, options).toMillis());
        jetty.addConnector(connector);
        jetty.addBean(new NetworkConnectionLimit(MAX_CONNECTIONS, connector));
        connector.addBean(new ConnectionGuard(options.headerTimeout(), options.connectionsPerClient(), scheduler,
                System::nanoTime));

        RequestGuard guard = new RequestGuard(new HostOriginPolicy(options.allowedHosts(), options.allowedOrigins(),
                options.host()), options.token().map(BearerToken::new),
                new ClientLimiter(options.requestsPerSecond(), options.burst(), options.concurrentPerClient(), System::nanoTime),
                options.maxBodyBytes(), features.metrics(), features.assembly().inFlightCalls());

        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/"); // the SDK servlets match on the end of the request URI: mount them at the root
        FilterHolder filter = new FilterHolder(guard);
        filter.setAsyncSupported(true);
        context.addFilter(filter, "/*", EnumSet.of(DispatcherType.REQUEST));
        context.addServlet(asyncHolder(new ServletHolder("streamable-http", new ProtocolRouter(streamable, stateless))),
                MCP_PATH);
        context.addServlet(asyncHolder(new ServletHolder("sse", sse)), SSE_PATH + "/*");
        context.addServlet(new ServletHolder("health", new HealthEndpoint(features.assembly(), guard::stopping)),
                RequestGuard.HEALTH_PATH);
        context.addServlet(new ServletHolder("metrics", new MetricsEndpoint(features.metrics())), "/metrics");
        jetty.setHandler(context);
        try {
            jetty.start();
        } catch (Exception e) {
            servers.forEach(McpSyncServer::close);
            modern.close();
            try {
                jetty.stop();
            } catch (Exception ignored) {
                // already failing; the bind error is what matters
            }
            throw e;
        }
        HttpTransport transport = new HttpTransport(jetty, connector, guard, servers, modern, features, options);
        log.info("mcp-sandbox {} listening on {} (Streamable HTTP {}: 2025-11-25 and {}; SSE {}, deprecated; {})",
                features.version(), transport.uri(), MCP_PATH, ModernServer.VERSIONS, SSE_PATH, options.token().isPresent() ? "bearer token required" : "no token: loopback only");
        return transport;
    }

    private static ServletHolder asyncHolder(ServletHolder holder) {
        holder.setAsyncSupported(true);
        return holder;
    }

    /**
     * A tools/call over HTTP sends nothing until its result, so a connection may be silent for the longest
     * run the operator allows; keep-alive pings cover open streams well within this.
     */
    private static Duration idleTimeout(ServedFeatures features, HttpOptions options) {
        long maxRun = features.assembly().config().limits().maxima().timeoutSeconds();
        Duration forRuns = Duration.ofSeconds(maxRun + 60);
        Duration forPings = options.keepAlive().multipliedBy(3);
        return forRuns.compareTo(forPings) > 0 ? forRuns : forPings;
    }

    /** Where it listens, e.g. {@code http://127.0.0.1:8080} (the actual port when 0 was asked for). */
    public URI uri() {
        String host = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
        return URI.create("http://" + host + ":" + connector.getLocalPort());
    }

    /** Blocks until {@link #stop} has finished. */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    /**
     * Graceful stop, for the SIGTERM hook.
     *
     * @param closeAssembly stops the sandboxes (and everything else the assembly owns); runs exactly once,
     *                      after the grace period if requests are still running then, else at the end
     */
    public void stop(Runnable closeAssembly) {
        Runnable closeOnce = new Once(closeAssembly);
        try {
            // New connections are still accepted through the grace period, so /healthz can answer 503 "stopping"
            // (a closed port reads as a crash to a load balancer); every other request gets 503 and its
            // connection closed. Jetty's own stop closes the listener once the grace period is over.
            guard.stopAccepting();
            int running = running();
            Duration grace = options.shutdownGrace();
            log.info("stopping: refusing new requests; {} running, waiting up to {} s for them", running, grace.toSeconds());
            if (!awaitIdle(grace)) {
                log.warn("stopping: {} requests still running after {} s; stopping their sandboxes", running(),
                        grace.toSeconds());
                features.assembly().stopRuns("the server is shutting down and stopped this run after the "
                        + grace.toSeconds() + " s grace period; run it again (on another replica, or once the server is"
                        + " back)");
                closeOnce.run();
                if (!awaitIdle(AFTER_KILL)) {
                    log.warn("stopping: {} requests did not end; closing their connections", running());
                }
            }
            servers.forEach(server -> {
                try {
                    server.closeGracefully();
                } catch (RuntimeException e) {
                    log.debug("closing an MCP server: {}", e.toString());
                }
            });
            modern.close();
            try {
                jetty.stop();
            } catch (Exception e) {
                log.warn("stopping Jetty: {}", e.toString());
            }
            closeOnce.run();
            log.info("stopped");
        } finally {
            stopped.countDown();
        }
    }

    private int running() {
        return Math.max(guard.inFlight(), features.metrics().requestsInFlight());
    }

    private boolean awaitIdle(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (running() > 0) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            try {
                TimeUnit.MILLISECONDS.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private static final class Once implements Runnable {
        private final Runnable action;
        private boolean done;

        Once(Runnable action) {
            this.action = action;
        }

        @Override
        public synchronized void run() {
            if (!done) {
                done = true;
                action.run();
            }
        }
    }
}
