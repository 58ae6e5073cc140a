package dev.mcpsandbox.server.transport;

import io.modelcontextprotocol.server.transport.DefaultServerTransportSecurityValidator;
import io.modelcontextprotocol.server.transport.ServerTransportSecurityException;
import io.modelcontextprotocol.server.transport.ServerTransportSecurityValidator;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * DNS-rebinding protection: a browser tricked into sending a request here (evil.example resolving to
 * 127.0.0.1) still says {@code Host: evil.example} and {@code Origin: http://evil.example}. Local names
 * are accepted on any port; everything else must be allowed by name. A request without Origin (not a
 * browser) passes the Origin check; a request without Host (HTTP/1.0) passes the Host check.
 *
 * <p>The matching is the MCP SDK's ({@link DefaultServerTransportSecurityValidator}: exact, or any port after
 * {@code name:*}); this class adds the local names, a host allowed without a port on any port, {@code *}, and
 * refusals that say which option allows the value.
 */
final class HostOriginPolicy {
    private static final List<String> LOCAL_NAMES = List.of("localhost", "127.0.0.1", "[::1]");
    private static final String ANY = "*";

    private final Optional<ServerTransportSecurityValidator> hosts;
    private final Optional<ServerTransportSecurityValidator> origins;

    /**
     * @param bindHost the address listened on; a specific one is accepted as a Host too
     */
    HostOriginPolicy(List<String> allowedHosts, List<String> allowedOrigins, String bindHost) {
        List<String> h = new ArrayList<>(LOCAL_NAMES);
        allowedHosts.forEach(v -> h.add(v.strip().toLowerCase(Locale.ROOT)));
        String bind = bindHost.toLowerCase(Locale.ROOT);
        if (!bind.equals("0.0.0.0") && !bind.equals("::") && !bind.equals("[::]")) {
            h.add(bind.contains(":") && !bind.startsWith("[") ? "[" + bind + "]" : bind);
        }
        List<String> hostPatterns = new ArrayList<>();
        for (String host : h) {
            hostPatterns.add(host);
            if (!host.endsWith(":*") && !hasPort(host)) {
                hostPatterns.add(host + ":*"); // a name allowed without a port is allowed on any
            }
        }
        this.hosts = h.contains(ANY) ? Optional.empty()
                : Optional.of(DefaultServerTransportSecurityValidator.builder().allowedHosts(hostPatterns).build());
        List<String> o = new ArrayList<>();
        for (String local : LOCAL_NAMES) {
            for (String scheme : List.of("http://", "https://")) {
                o.add(scheme + local);
                o.add(scheme + local + ":*");
            }
        }
        allowedOrigins.forEach(v -> o.add(stripSlash(v.strip().toLowerCase(Locale.ROOT))));
        this.origins = o.contains(ANY) ? Optional.empty()
                : Optional.of(DefaultServerTransportSecurityValidator.builder().allowedOrigins(o).build());
    }

    /** Empty when the Host header is acceptable, else why not. */
    Optional<String> checkHost(String hostHeader) {
        if (hostHeader == null || hostHeader.isEmpty()
                || passes(hosts, "Host", hostHeader.strip().toLowerCase(Locale.ROOT))) {
            return Optional.empty();
        }
        return Optional.of("Host \"" + hostHeader + "\" is not allowed (DNS-rebinding protection); the operator can allow"
                + " it with --allowed-host");
    }

    /** Empty when the Origin header is absent or acceptable, else why not. */
    Optional<String> checkOrigin(String originHeader) {
        if (originHeader == null || originHeader.isEmpty()
                || passes(origins, "Origin", stripSlash(originHeader.strip().toLowerCase(Locale.ROOT)))) {
            return Optional.empty();
        }
        return Optional.of("Origin \"" + originHeader + "\" is not allowed; the operator can allow it with --allowed-origin");
    }

    private static boolean passes(Optional<ServerTransportSecurityValidator> validator, String header, String value) {
        if (validator.isEmpty()) {
            return true;
        }
        try {
            validator.get().validateHeaders(Map.of(header, List.of(value)));
            return true;
        } catch (ServerTransportSecurityException e) {
            return false;
        }
    }

    /** {@code name:port}, {@code [v6]:port}; a bare IPv6 literal in brackets has none. */
    private static boolean hasPort(String host) {
        int close = host.lastIndexOf(']');
        return host.indexOf(':', close + 1) >= 0;
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
