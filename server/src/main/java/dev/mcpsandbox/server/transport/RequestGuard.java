package dev.mcpsandbox.server.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpsandbox.server.operations.HttpRefusal;
import dev.mcpsandbox.server.operations.Metrics;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import dev.mcpsandbox.server.tools.InFlightCalls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The front door of every HTTP endpoint, in this order:
 * <ol>
 *   <li>{@code /healthz} passes untouched (probes carry no token);</li>
 *   <li>while shutting down: 503;</li>
 *   <li>Host and Origin against DNS rebinding: 403;</li>
 *   <li>per-client rate (the client is the token when it is right, else the remote address, so guessing
 *       tokens is rate-limited too): 429 with {@code Retry-After};</li>
 *   <li>bearer token, when one is configured: 401 with {@code WWW-Authenticate: Bearer};</li>
 *   <li>request body size, read into memory here: 413 (the rest of the body is read and dropped after it);</li>
 *   <li>a batch: 400; on Streamable HTTP, tools/call params that do not fit: -32602;</li>
 *   <li>per-client concurrency, for JSON-RPC requests only: 429 with {@code Retry-After}.</li>
 * </ol>
 * Refusals are JSON-RPC error objects, so MCP clients show their message.
 */
final class RequestGuard implements Filter {
    private static final Logger log = LoggerFactory.getLogger(RequestGuard.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String HEALTH_PATH = "/healthz";
    /** JSON-RPC "server error" range, as the SDKs use for transport-level refusals. */
    private static final int ERROR_CODE = -32000;
    /**
     * How much of a refused body is read (and dropped) so the client can read the 413; past this the
     * connection is closed on the rest. A few times the default body limit; reading costs little next to
     * the rate limit that already bounds how often a client can make the server do it.
     */
    private static final long DISCARD_AT_MOST = 32L * 1024 * 1024;
    /** While discarding: a client that has stopped sending this long is not sending the rest. */
    private static final java.time.Duration DISCARD_IDLE = java.time.Duration.ofSeconds(2);

    private final HostOriginPolicy hostOrigin;
    private final Optional<BearerToken> token;
    private final ClientLimiter limiter;
    private final long maxBodyBytes;
    private final Metrics metrics;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong unscoped = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean stopping;
    private final InFlightCalls calls;
    private final ClientDisconnects disconnects = new ClientDisconnects();

    RequestGuard(HostOriginPolicy hostOrigin, Optional<BearerToken> token, ClientLimiter limiter, long maxBodyBytes,
                 Metrics metrics, InFlightCalls calls) {
        this.calls = calls;
        this.hostOrigin = hostOrigin;
        this.token = token;
        this.limiter = limiter;
        this.maxBodyBytes = maxBodyBytes;
        this.metrics = metrics;
    }

    /** From now on every request but {@code /healthz} (which then says "stopping") gets 503. */
    void stopAccepting() {
        stopping = true;
    }

    boolean stopping() {
        return stopping;
    }

    /** Requests inside a transport right now (a tools/call holds its request until the result is written). */
    int inFlight() {
        return inFlight.get();
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) res;
        if (HEALTH_PATH.equals(request.getRequestURI())) {
            chain.doFilter(request, response);
            return;
        }
        if (stopping) {
            response.setHeader("Connection", "close");
            response.setHeader("Retry-After", "5");
            refuse(response, 503, HttpRefusal.SHUTTING_DOWN, "the server is shutting down; retry on another replica or"
                    + " in a few seconds");
            return;
        }
        Optional<String> badHost = hostOrigin.checkHost(request.getHeader("Host"));
        if (badHost.isPresent()) {
            refuse(response, 403, HttpRefusal.FORBIDDEN_HOST, badHost.get());
            return;
        }
        Optional<String> badOrigin = hostOrigin.checkOrigin(request.getHeader("Origin"));
        if (badOrigin.isPresent()) {
            refuse(response, 403, HttpRefusal.FORBIDDEN_ORIGIN, badOrigin.get());
            return;
        }
        boolean authenticated = token.isEmpty() || token.get().admits(request.getHeader("Authorization"));
        String client = token.isPresent() && authenticated ? "token" : "address " + request.getRemoteAddr();
        // Who calls, for requests of a protocol without sessions (2026-07-28): see Caller.
        request.setAttribute(Caller.REQUEST_ATTRIBUTE, token.isPresent() && authenticated ? token.get().identity()
                : "address:" + request.getRemoteAddr());
        // Every request spends a token; only a JSON-RPC request (a call that will get an answer) takes one of the
        // client's places, once its body is read. A GET listening stream stays open for its session, and the
        // client's answers to the server's keep-alive pings are POSTs that arrive while its calls run: counting
        // either refused calls of a client that had only eight in flight.
        ClientLimiter.Decision decision = limiter.spendToken(client);
        if (decision instanceof ClientLimiter.RateLimited r) {
            response.setHeader("Retry-After", Long.toString(r.retryAfterSeconds()));
            refuse(response, 429, HttpRefusal.RATE_LIMITED, r.message());
            return;
        }
        ClientLimiter.Admitted admitted = ClientLimiter.NOTHING_HELD;
        inFlight.incrementAndGet();
        try {
            if (!authenticated) {
                boolean presented = request.getHeader("Authorization") != null;
                response.setHeader("WWW-Authenticate", presented
                        ? "Bearer realm=\"mcp-sandbox\", error=\"invalid_token\"" : "Bearer realm=\"mcp-sandbox\"");
                refuse(response, 401, HttpRefusal.UNAUTHORIZED, presented ? "the bearer token is not valid"
                        : "this server needs Authorization: Bearer <token>");
                return;
            }
            HttpServletRequest forward = request;
            if (hasBody(request)) {
                Optional<HttpServletRequest> buffered = BufferedBodyRequest.read(request, maxBodyBytes);
                if (buffered.isEmpty()) {
                    response.setHeader("Connection", "close");
                    refuse(response, 413, HttpRefusal.BODY_TOO_LARGE, "the request body is larger than " + maxBodyBytes
                            + " bytes (--max-body-bytes); send smaller code or files");
                    response.flushBuffer(); // a client that waits with the body unsent reads this now
                    BufferedBodyRequest.discardRest(request, Math.max(DISCARD_AT_MOST, maxBodyBytes), DISCARD_IDLE);
                    return;
                }
                forward = buffered.get();
                // Scope request ids by MCP session (Streamable: the header; legacy SSE: the query parameter). A
                // request without one (2026-07-28, or an initialize) is its own scope: clients reuse ids, and such a
                // call is cancelled only by its own connection closing.
                String session = Optional.ofNullable(request.getHeader("Mcp-Session-Id"))
                        .or(() -> Optional.ofNullable(request.getParameter("sessionId")))
                        .orElseGet(() -> "request-" + unscoped.incrementAndGet());
                byte[] body = forward.getInputStream().readAllBytes();
                JsonNode message = parsedOrNull(body);
                if (answeredWithoutTransport(message, request.getRequestURI(), response)) {
                    return;
                }
                if (message != null && message.path("method").isTextual() && message.hasNonNull("id")) {
                    ClientLimiter.Decision place = limiter.takePlace(client);
                    if (place instanceof ClientLimiter.TooManyConcurrent c) {
                        response.setHeader("Retry-After", "1");
                        refuse(response, 429, HttpRefusal.TOO_MANY_CONCURRENT, c.message());
                        return;
                    }
                    admitted = (ClientLimiter.Admitted) place;
                    // The place is given back as the answer leaves, not after the transport returns (see
                    // AnswerWatchingResponse); the release in finally covers requests that get no answer.
                    response = new AnswerWatchingResponse(response, admitted::release);
                }
                InFlightCalls.Observed observed = calls.observe(body, session);
                forward = BufferedBodyRequest.withBody(request, observed.body());
                if (observed.callKey().isPresent()) {
                    String key = observed.callKey().get();
                    try (AutoCloseable watch = disconnects.watch(request.getLocalPort(), request.getRemotePort(), () -> {
                        if (calls.cancel(key)) {
                            log.info("the client of request {} hung up; its execution is cancelled", key);
                        }
                    })) {
                        chain.doFilter(forward, response);
                    } catch (IOException | ServletException | RuntimeException e) {
                        throw e;
                    } catch (Exception e) {
                        throw new ServletException(e);
                    }
                    return;
                }
            }
            chain.doFilter(forward, response);
        } finally {
            inFlight.decrementAndGet();
            admitted.release();
        }
    }

    /**
     * Answers here what the SDK's transports answer badly: a batch (the Streamable servlet answers 400 with
     * a serialized Java exception, stack trace included) and, on Streamable HTTP, a tools/call whose params do
     * not fit (its handler throws before the SDK's error mapping, so the client got an empty 200 and no answer
     * at all). The legacy SSE transport maps that error itself (see {@link ParamsCheckingMapper}).
     */
    private boolean answeredWithoutTransport(JsonNode message, String path, HttpServletResponse response) throws IOException {
        if (message != null && message.isArray()) {
            writeJson(response, 400, JsonRpcErrors.forBatch(message, JSON));
            return true;
        }
        if (message == null || !HttpTransport.MCP_PATH.equals(path) || !"tools/call".equals(message.path("method").asText())
                || !message.path("params").isObject()) {
            return false;
        }
        Map<?, ?> params = JSON.convertValue(message.get("params"), Map.class);
        Object arguments = params.get("arguments");
        Object name = params.get("name");
        if ((arguments == null || arguments instanceof Map) && name instanceof String) {
            return false;
        }
        writeJson(response, 200, JsonRpcErrors.one(message.get("id"), -32602, ParamsCheckingMapper.problem(params), JSON));
        return true;
    }

    /** The body as JSON; null when it is not JSON (the transport answers that parse error itself). */
    private static JsonNode parsedOrNull(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    private static void writeJson(HttpServletResponse response, int status, Object body) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        PrintWriter writer = response.getWriter();
        writer.write(JSON.writeValueAsString(body));
        writer.flush();
    }

    private static boolean hasBody(HttpServletRequest request) {
        String method = request.getMethod();
        return "POST".equals(method) || "PUT".equals(method) || "PATCH".equals(method);
    }

    private void refuse(HttpServletResponse response, int status, HttpRefusal reason, String message) throws IOException {
        metrics.refused(reason);
        log.debug("refused ({}): {}", status, message);
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", ERROR_CODE);
        error.put("message", message);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("jsonrpc", "2.0");
        body.put("id", null);
        body.put("error", error);
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write(JSON.writeValueAsString(body));
    }
}
