package dev.mcpsandbox.server.transport;

import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The command-line options of HTTP mode (a picocli mixin of {@code Main}). Every option but
 * {@code --http} is only meaningful with it; giving one without {@code --http} is an error rather
 * than a silently ignored setting.
 */
public final class HttpCommandLine {
    public static final String TOKEN_ENV = "MCP_SANDBOX_TOKEN";

    @Option(names = "--http", paramLabel = "[HOST:]PORT",
            description = "Serve Streamable HTTP at /mcp and legacy SSE at /sse instead of stdio. HOST defaults to "
                    + HttpOptions.DEFAULT_HOST + "; PORT 0 picks a free port.")
    private String listen;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "File holding the bearer token clients must send (default: the " + TOKEN_ENV
                    + " environment variable). Required to listen on a non-loopback address.")
    private Path tokenFile;

    @Option(names = "--allowed-origin", paramLabel = "ORIGIN",
            description = "Also accept this Origin (repeatable; scheme://host:* for any port). Local origins are always"
                    + " accepted.")
    private List<String> allowedOrigins = new ArrayList<>();

    @Option(names = "--allowed-host", paramLabel = "HOST",
            description = "Also accept this Host header (repeatable; NAME for any port, NAME:PORT for one). localhost,"
                    + " 127.0.0.1, [::1] and the bind address are always accepted.")
    private List<String> allowedHosts = new ArrayList<>();

    @Option(names = "--max-body-bytes", paramLabel = "N", description = "Largest request body (default 4194304).")
    private Long maxBodyBytes;

    @Option(names = "--rate-limit", paramLabel = "N", description = "Requests per second per client (default 20).")
    private Double rateLimit;

    @Option(names = "--rate-burst", paramLabel = "N", description = "Requests a client may send at once (default 40).")
    private Integer rateBurst;

    @Option(names = "--max-concurrent-requests", paramLabel = "N",
            description = "Requests of one client handled at the same time (default 8).")
    private Integer maxConcurrent;

    @Option(names = "--shutdown-grace-seconds", paramLabel = "N",
            description = "On SIGTERM, how long running executions may finish before they are stopped (default 10).")
    private Long shutdownGraceSeconds;

    @Option(names = "--keep-alive-seconds", paramLabel = "N",
            description = "Keep-alive ping interval on open streams (default 30).")
    private Long keepAliveSeconds;

    @Option(names = "--session-idle-minutes", paramLabel = "N",
            description = "Drop a Streamable HTTP session unused for this long (default 30).")
    private Long sessionIdleMinutes;

    @Option(names = "--header-timeout-seconds", paramLabel = "N",
            description = "Close a connection that has not sent a request's headers this long after opening or after"
                    + " its previous request (default 10).")
    private Long headerTimeoutSeconds;

    @Option(names = "--max-connections-per-client", paramLabel = "N",
            description = "Open connections from one remote address; more are closed at once (default 64).")
    private Integer maxConnectionsPerClient;

    public boolean enabled() {
        return listen != null;
    }

    /** The options without {@code --http} that were given anyway, as an error message; empty when none. */
    public Optional<String> strayOptions() {
        if (enabled()) {
            return Optional.empty();
        }
        List<String> given = new ArrayList<>();
        if (tokenFile != null) {
            given.add("--token-file");
        }
        if (!allowedOrigins.isEmpty()) {
            given.add("--allowed-origin");
        }
        if (!allowedHosts.isEmpty()) {
            given.add("--allowed-host");
        }
        if (maxBodyBytes != null || rateLimit != null || rateBurst != null || maxConcurrent != null
                || shutdownGraceSeconds != null || keepAliveSeconds != null || sessionIdleMinutes != null
                || headerTimeoutSeconds != null || maxConnectionsPerClient != null) {
            given.add("limits or timeouts of HTTP mode");
        }
        return given.isEmpty() ? Optional.empty()
                : Optional.of(String.join(", ", given) + (given.size() == 1 ? " needs" : " need")
                        + " --http [HOST:]PORT (HTTP mode only)");
    }

    /**
     * @param env the process environment (for {@value #TOKEN_ENV})
     * @throws IllegalArgumentException with every problem, one per line
     */
    public HttpOptions options(Map<String, String> env) {
        List<String> problems = new ArrayList<>();
        HttpOptions.ListenAddress address = null;
        try {
            address = HttpOptions.ListenAddress.parse(listen);
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        Optional<String> token = Optional.empty();
        if (tokenFile != null) {
            try {
                token = Optional.of(readToken(tokenFile));
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        } else if (env.get(TOKEN_ENV) != null && !env.get(TOKEN_ENV).isBlank()) {
            token = Optional.of(env.get(TOKEN_ENV).strip());
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("\n", problems));
        }
        HttpOptions options = new HttpOptions(address.host(), address.port(), token, allowedOrigins, allowedHosts,
                or(maxBodyBytes, HttpOptions.DEFAULT_MAX_BODY_BYTES), or(rateLimit, 20.0), or(rateBurst, 40),
                or(maxConcurrent, 8), Duration.ofSeconds(or(shutdownGraceSeconds, 10L)),
                Duration.ofSeconds(or(keepAliveSeconds, 30L)), Duration.ofMinutes(or(sessionIdleMinutes, 30L)),
                headerTimeoutSeconds == null ? HttpOptions.DEFAULT_HEADER_TIMEOUT : Duration.ofSeconds(headerTimeoutSeconds),
                or(maxConnectionsPerClient, HttpOptions.DEFAULT_CONNECTIONS_PER_CLIENT));
        problems.addAll(options.check());
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("\n", problems));
        }
        return options;
    }

    /** Whether the token file can be read by other users (worth a warning, not a refusal). */
    public boolean tokenFileIsShared() {
        if (tokenFile == null) {
            return false;
        }
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(tokenFile);
            return p.contains(PosixFilePermission.OTHERS_READ) || p.contains(PosixFilePermission.GROUP_READ);
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static String readToken(Path file) {
        String content;
        try {
            content = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("--token-file " + file + ": cannot read it (" + e.getMessage() + ")");
        }
        String token = content.strip();
        if (token.isEmpty()) {
            throw new IllegalArgumentException("--token-file " + file + " is empty");
        }
        if (token.contains("\n")) {
            throw new IllegalArgumentException("--token-file " + file + " must hold the token on one line");
        }
        return token;
    }

    private static <T> T or(T value, T fallback) {
        return value == null ? fallback : value;
    }
}
