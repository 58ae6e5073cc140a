package dev.mcpsandbox.server.transport;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How the HTTP transports listen and whom they let in. Built from the command line; {@link #check()}
 * refuses an unsafe combination before anything is started.
 *
 * @param host                 address to bind (default 127.0.0.1)
 * @param port                 TCP port; 0 picks a free one (the log line "listening on" names it)
 * @param token                bearer token every request but {@code /healthz} must carry; empty = none (loopback only)
 * @param allowedOrigins       Origin values accepted besides http(s)://localhost|127.0.0.1|[::1] on any port;
 *                             {@code scheme://host:*} allows every port, {@code *} every origin
 * @param allowedHosts         Host header values accepted besides localhost, 127.0.0.1, [::1] and the bind address;
 *                             {@code name} allows every port, {@code name:port} one, {@code *} every host
 * @param maxBodyBytes         largest request body; larger ones get 413
 * @param requestsPerSecond    sustained request rate per client (per token, or per remote address without one)
 * @param burst                requests a client may send at once before the rate applies
 * @param concurrentPerClient  requests of one client being handled at the same time
 * @param shutdownGrace        how long SIGTERM waits for running requests before stopping their sandboxes
 * @param keepAlive            interval of the SDK's keep-alive pings on open streams
 * @param sessionIdle          a Streamable HTTP session with no request and no open stream this long is dropped
 * @param headerTimeout        a connection must finish sending a request's headers this soon after it opened or
 *                             after its previous request; slower ones are closed (slow-header clients)
 * @param connectionsPerClient open connections from one remote address; more are closed as they open
 */
public record HttpOptions(String host, int port, Optional<String> token, List<String> allowedOrigins,
                          List<String> allowedHosts, long maxBodyBytes, double requestsPerSecond, int burst,
                          int concurrentPerClient, Duration shutdownGrace, Duration keepAlive, Duration sessionIdle,
                          Duration headerTimeout, int connectionsPerClient) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final long DEFAULT_MAX_BODY_BYTES = 4L * 1024 * 1024;
    public static final int MIN_TOKEN_LENGTH = 16;
    /** Ample for a client on a slow link; a client sending one byte a second is cut off after it. */
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);
    /** An MCP client needs a few (a stream and its calls); a proxy in front would need --max-connections-per-client. */
    public static final int DEFAULT_CONNECTIONS_PER_CLIENT = 64;

    public HttpOptions {
        allowedOrigins = List.copyOf(allowedOrigins);
        allowedHosts = List.copyOf(allowedHosts);
    }

    /** A listen address as given to {@code --http}: {@code PORT}, {@code HOST:PORT} or {@code [IPv6]:PORT}. */
    public record ListenAddress(String host, int port) {
        public static ListenAddress parse(String value) {
            String v = value.strip();
            String host = DEFAULT_HOST;
            String port = v;
            if (v.startsWith("[")) {
                int close = v.indexOf(']');
                if (close < 0 || close + 1 >= v.length() || v.charAt(close + 1) != ':') {
                    throw new IllegalArgumentException("--http " + value + ": write an IPv6 address as [ADDRESS]:PORT");
                }
                host = v.substring(1, close);
                port = v.substring(close + 2);
            } else if (v.contains(":")) {
                int colon = v.lastIndexOf(':');
                if (v.indexOf(':') != colon) {
                    throw new IllegalArgumentException("--http " + value + ": write an IPv6 address as [ADDRESS]:PORT");
                }
                host = v.substring(0, colon);
                port = v.substring(colon + 1);
            }
            if (host.isBlank()) {
                throw new IllegalArgumentException("--http " + value + ": the host before ':' is empty");
            }
            int p;
            try {
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--http " + value + ": expected [HOST:]PORT, e.g. 8080 or 127.0.0.1:8080");
            }
            if (p < 0 || p > 65535) {
                throw new IllegalArgumentException("--http " + value + ": port must be 0..65535 (0 picks a free one)");
            }
            return new ListenAddress(host, p);
        }
    }

    /** Every problem with these options, each a sentence naming the option; empty when they are safe to use. */
    public List<String> check() {
        List<String> problems = new ArrayList<>();
        if (token.isPresent()) {
            String t = token.get();
            if (t.length() < MIN_TOKEN_LENGTH) {
                problems.add("the token is shorter than " + MIN_TOKEN_LENGTH + " characters; use a random one, e.g."
                        + " `openssl rand -hex 32`");
            }
            if (t.chars().anyMatch(c -> c <= ' ' || c > '~')) {
                problems.add("the token may hold only printable ASCII characters without spaces");
            }
        } else if (!isLoopback()) {
            problems.add("refusing to listen on " + host + ":" + port + " without a token: anyone who can reach it could"
                    + " run code. Set MCP_SANDBOX_TOKEN or --token-file FILE, or listen on 127.0.0.1 (the default)");
        }
        if (maxBodyBytes < 1024 || maxBodyBytes > Integer.MAX_VALUE) {
            problems.add("--max-body-bytes must be between 1024 and " + Integer.MAX_VALUE);
        }
        if (!(requestsPerSecond > 0)) {
            problems.add("--rate-limit must be more than 0 requests per second");
        }
        if (burst < 1) {
            problems.add("--rate-burst must be at least 1");
        }
        if (concurrentPerClient < 1) {
            problems.add("--max-concurrent-requests must be at least 1");
        }
        if (shutdownGrace.isNegative()) {
            problems.add("--shutdown-grace-seconds must not be negative");
        }
        if (keepAlive.isNegative() || keepAlive.isZero()) {
            problems.add("--keep-alive-seconds must be at least 1");
        }
        if (sessionIdle.compareTo(Duration.ofMinutes(1)) < 0) {
            problems.add("--session-idle-minutes must be at least 1");
        }
        if (headerTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
            problems.add("--header-timeout-seconds must be at least 1");
        }
        if (connectionsPerClient < 1) {
            problems.add("--max-connections-per-client must be at least 1");
        }
        return problems;
    }

    /** True when the bind address only accepts connections from this machine. */
    public boolean isLoopback() {
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
