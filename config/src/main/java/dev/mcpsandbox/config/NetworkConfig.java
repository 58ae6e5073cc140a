package dev.mcpsandbox.config;

import com.fasterxml.jackson.annotation.JsonCreator;

import java.util.List;

/**
 * Where sandboxed code may connect, through the server's proxy only (the {@code "network"} block). Nothing is
 * reachable unless {@code allow} names it, and only for a call that asks for the network; deny wins over allow.
 * A pattern is a host name ({@code api.example.com}), a wildcard over subdomains ({@code *.example.org}) or an
 * address ({@code 10.1.2.3}, {@code [::1]}), each optionally with {@code :port}; without a port it means 80 and
 * 443. Loopback, link-local, private and multicast addresses are reachable only when listed as exact
 * address and port.
 *
 * @param maxBytesPerCall       bytes in and out of every connection of one call together; past it every
 *                              connection of the call is cut
 * @param maxConnectionsPerCall connections one call may open; past it the proxy answers 403
 */
public record NetworkConfig(List<String> allow, List<String> deny, long maxBytesPerCall, int maxConnectionsPerCall) {
    public static final NetworkConfig NONE = new NetworkConfig(List.of(), List.of(), 64L << 20, 64);

    @JsonCreator
    public NetworkConfig {
        allow = List.copyOf(allow);
        deny = List.copyOf(deny);
    }

    /** True when the operator lists anywhere at all: only then may a call ask for the network. */
    public boolean enabled() {
        return !allow.isEmpty();
    }
}
