package dev.mcpsandbox.sandbox.network;

import dev.mcpsandbox.config.HostPattern;
import dev.mcpsandbox.config.NetworkConfig;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Decides where one connection of sandboxed code may go. The name is checked against the operator's lists
 * first (deny wins), then resolved here, never inside the sandbox, and every address it resolves to is checked
 * again: loopback, link-local (cloud metadata), private, shared, unique-local, multicast and unspecified
 * addresses are refused unless the operator listed that exact address and port. An IP literal is allowed
 * only when listed as an address. The checked address is the one connected to, so a second lookup cannot
 * swap it (DNS rebinding).
 */
public final class EgressPolicy {

    /** Looks up a name; the server's resolver by default, a fixed table in tests. */
    @FunctionalInterface
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;

        Resolver SYSTEM = InetAddress::getAllByName;
    }

    /** The outcome for one connection. */
    public sealed interface Decision {
    }

    /** @param rule the allow pattern that matched, as the operator wrote it */
    public record Allowed(InetSocketAddress target, String rule) implements Decision {
    }

    public record Refused(String reason) implements Decision {
    }

    private final List<String> allowText;
    private final List<HostPattern> allow;
    private final List<HostPattern> deny;
    private final Resolver resolver;

    public EgressPolicy(NetworkConfig config, Resolver resolver) {
        this.allowText = config.allow();
        this.allow = config.allow().stream().map(HostPattern::parse).toList();
        this.deny = config.deny().stream().map(HostPattern::parse).toList();
        this.resolver = resolver;
    }

    public Decision decide(String requestedHost, int port) {
        if (port < 1 || port > 65535) {
            return new Refused("port " + port + " is not a TCP port");
        }
        String host = requestedHost.toLowerCase(Locale.ROOT);
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        Optional<InetAddress> literal = HostPattern.ipv4(host).or(() -> HostPattern.ipv6(requestedHost.replaceAll("^\\[|]$", "")));
        if (literal.isPresent()) {
            return literal(literal.get(), port);
        }
        // All digits and dots but not a dotted quad ("127.1", "2130706433"): resolvers read these as addresses.
        if (host.isEmpty() || !host.matches("[a-z0-9_.-]+") || host.chars().allMatch(c -> c == '.' || Character.isDigit(c))) {
            return new Refused("\"" + requestedHost + "\" is neither a host name nor an IP address");
        }
        String name = host;
        if (deny.stream().anyMatch(p -> p.matchesName(name, port))) {
            return new Refused(name + ":" + port + " is denied by network.deny");
        }
        int rule = firstMatch(p -> p.matchesName(name, port));
        if (rule < 0) {
            return new Refused(name + ":" + port + " is not on the operator's network.allow list");
        }
        InetAddress[] addresses;
        try {
            addresses = resolver.resolve(name);
        } catch (UnknownHostException e) {
            return new Refused(name + " does not resolve");
        }
        String firstProblem = name + " resolves to no address";
        for (InetAddress address : addresses) {
            Optional<String> problem = addressProblem(address, port);
            if (problem.isEmpty()) {
                return new Allowed(new InetSocketAddress(address, port), allowText.get(rule));
            }
            if (address == addresses[0]) {
                firstProblem = name + " resolves to " + problem.get();
            }
        }
        return new Refused(firstProblem);
    }

    private Decision literal(InetAddress address, int port) {
        String shown = address instanceof Inet6Address ? "[" + address.getHostAddress() + "]" : address.getHostAddress();
        if (deny.stream().anyMatch(p -> p.matchesAddress(address, port))) {
            return new Refused(shown + ":" + port + " is denied by network.deny");
        }
        int rule = firstMatch(p -> p.matchesAddress(address, port));
        if (rule < 0) {
            return new Refused("the IP address " + shown + ":" + port + " is not listed in network.allow"
                    + " (addresses are reachable only when listed)");
        }
        Optional<String> problem = addressProblem(address, port);
        if (problem.isPresent()) {
            return new Refused(problem.get());
        }
        return new Allowed(new InetSocketAddress(address, port), allowText.get(rule));
    }

    /** Why {@code address} may not be reached at {@code port}; empty when it may. */
    private Optional<String> addressProblem(InetAddress address, int port) {
        String shown = address instanceof Inet6Address ? "[" + address.getHostAddress() + "]" : address.getHostAddress();
        if (deny.stream().anyMatch(p -> p.matchesAddress(address, port))) {
            return Optional.of(shown + ":" + port + ", which network.deny names");
        }
        Optional<String> special = specialKind(address);
        if (special.isPresent() && allow.stream().noneMatch(p -> p.listsExactly(address, port))) {
            return Optional.of("the " + special.get() + " address " + shown + ", reachable only when network.allow"
                    + " lists exactly " + shown + ":" + port);
        }
        return Optional.empty();
    }

    /** The kind of address sandboxes must not reach by default, or empty for an ordinary public one. */
    static Optional<String> specialKind(InetAddress address) {
        if (address.isLoopbackAddress()) {
            return Optional.of("loopback");
        }
        if (address.isLinkLocalAddress()) {
            return Optional.of("link-local");
        }
        if (address.isSiteLocalAddress()) {
            return Optional.of("private");
        }
        if (address.isMulticastAddress()) {
            return Optional.of("multicast");
        }
        if (address.isAnyLocalAddress()) {
            return Optional.of("unspecified");
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            int first = b[0] & 0xFF;
            int second = b[1] & 0xFF;
            if (first == 0) {
                return Optional.of("\"this network\" (0.0.0.0/8)");
            }
            if (first == 100 && second >= 64 && second < 128) {
                return Optional.of("shared (100.64.0.0/10)");
            }
            if (first >= 240) {
                return Optional.of("reserved (240.0.0.0/4)");
            }
            if (first == 192 && second == 0 && (b[2] & 0xFF) == 0) {
                return Optional.of("IETF protocol (192.0.0.0/24)");
            }
            if (first == 198 && (second == 18 || second == 19)) {
                return Optional.of("benchmarking (198.18.0.0/15)");
            }
        } else if ((b[0] & 0xFE) == 0xFC) {
            return Optional.of("unique local (fc00::/7)");
        } else if (isEmbeddedV4(b)) {
            return Optional.of("IPv4-embedding (NAT64, 6to4 or compatible)");
        }
        return Optional.empty();
    }

    /** 64:ff9b::/96, 2002::/16 and ::/96 carry an IPv4 address a gateway may forward to anywhere, private ones too. */
    private static boolean isEmbeddedV4(byte[] b) {
        boolean nat64 = (b[0] & 0xFF) == 0x00 && (b[1] & 0xFF) == 0x64 && (b[2] & 0xFF) == 0xFF && (b[3] & 0xFF) == 0x9B;
        boolean sixToFour = (b[0] & 0xFF) == 0x20 && (b[1] & 0xFF) == 0x02;
        boolean compatible = true;
        for (int i = 0; i < 12; i++) {
            compatible &= b[i] == 0;
        }
        return nat64 || sixToFour || compatible;
    }

    private int firstMatch(java.util.function.Predicate<HostPattern> test) {
        for (int i = 0; i < allow.size(); i++) {
            if (test.test(allow.get(i))) {
                return i;
            }
        }
        return -1;
    }
}
