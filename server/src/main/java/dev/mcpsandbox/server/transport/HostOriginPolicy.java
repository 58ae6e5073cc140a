package dev.mcpsandbox.server.transport;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * DNS-rebinding protection: a browser tricked into sending a request here (evil.example resolving to
 * 127.0.0.1) still says {@code Host: evil.example} and {@code Origin: http://evil.example}. Local names
 * are accepted on any port; everything else must be allowed by name. A request without Origin (not a
 * browser) passes the Origin check; a request without Host (HTTP/1.0) passes the Host check.
 */
final class HostOriginPolicy {
    private static final Set<String> LOCAL_NAMES = Set.of("localhost", "127.0.0.1", "[::1]");
    private static final String ANY = "*";

    private final List<String> hosts;
    private final List<String> origins;

    /**
     * @param bindHost the address listened on; a specific one is accepted as a Host too
     */
    HostOriginPolicy(List<String> allowedHosts, List<String> allowedOrigins, String bindHost) {
        List<String> h = new ArrayList<>();
        allowedHosts.forEach(v -> h.add(v.strip().toLowerCase(Locale.ROOT)));
        String bind = bindHost.toLowerCase(Locale.ROOT);
        if (!bind.equals("0.0.0.0") && !bind.equals("::") && !bind.equals("[::]")) {
            h.add(bind.contains(":") && !bind.startsWith("[") ? "[" + bind + "]" : bind);
        }
        this.hosts = List.copyOf(h);
        List<String> o = new ArrayList<>();
        allowedOrigins.forEach(v -> o.add(stripSlash(v.strip().toLowerCase(Locale.ROOT))));
        this.origins = List.copyOf(o);
    }

    /** Empty when the Host header is acceptable, else why not. */
    Optional<String> checkHost(String hostHeader) {
        if (hostHeader == null || hostHeader.isEmpty()) {
            return Optional.empty();
        }
        String host = hostHeader.strip().toLowerCase(Locale.ROOT);
        String name = nameOf(host);
        if (LOCAL_NAMES.contains(name) || hosts.contains(ANY)) {
            return Optional.empty();
        }
        for (String allowed : hosts) {
            if (allowed.equals(host) || allowed.equals(name) || allowed.endsWith(":*")
                    && allowed.substring(0, allowed.length() - 2).equals(name)) {
                return Optional.empty();
            }
        }
        return Optional.of("Host \"" + hostHeader + "\" is not allowed (DNS-rebinding protection); the operator can allow"
                + " it with --allowed-host");
    }

    /** Empty when the Origin header is absent or acceptable, else why not. */
    Optional<String> checkOrigin(String originHeader) {
        if (originHeader == null || originHeader.isEmpty()) {
            return Optional.empty();
        }
        String origin = stripSlash(originHeader.strip().toLowerCase(Locale.ROOT));
        if (origins.contains(ANY) || origins.contains(origin) || isLocal(origin)) {
            return Optional.empty();
        }
        for (String allowed : origins) {
            if (allowed.endsWith(":*")) {
                String base = allowed.substring(0, allowed.length() - 2);
                if (origin.equals(base) || origin.startsWith(base + ":") && origin.substring(base.length() + 1)
                        .chars().allMatch(Character::isDigit)) {
                    return Optional.empty();
                }
            }
        }
        return Optional.of("Origin \"" + originHeader + "\" is not allowed; the operator can allow it with --allowed-origin");
    }

    private static boolean isLocal(String origin) {
        try {
            URI uri = new URI(origin);
            String scheme = uri.getScheme();
            String host = uri.getHost();
            return ("http".equals(scheme) || "https".equals(scheme)) && host != null && uri.getRawPath().isEmpty()
                    && uri.getRawQuery() == null && uri.getRawUserInfo() == null
                    && LOCAL_NAMES.contains(host.startsWith("[") || !host.contains(":") ? host : "[" + host + "]");
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /** The host name of a Host header value: without the port, brackets kept for IPv6. */
    private static String nameOf(String host) {
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            return close < 0 ? host : host.substring(0, close + 1);
        }
        int colon = host.indexOf(':');
        return colon < 0 ? host : host.substring(0, colon);
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
