package dev.mcpsandbox.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * One entry of {@code network.allow} or {@code network.deny}: a host name, {@code *.domain} (its subdomains, not
 * the domain itself) or an IP address, with an optional port; without one the pattern covers ports 80 and 443.
 *
 * @param host     lower-case name, the domain after {@code *.}, or the address in its canonical text form
 * @param wildcard true for {@code *.domain}
 * @param address  the address, for an IP pattern
 */
public record HostPattern(String host, boolean wildcard, Optional<InetAddress> address, OptionalInt port) {
    private static final Pattern LABEL = Pattern.compile("[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?");
    private static final Pattern DOTTED_QUAD = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    /** Reads a pattern as the operator wrote it; the message of the exception says what is wrong and how to write it. */
    public static HostPattern parse(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("is empty; write a host such as \"api.example.com\"");
        }
        if (text.contains("://") || text.contains("/")) {
            throw new IllegalArgumentException("\"" + text + "\" is a URL; write only the host (and :port), e.g. "
                    + "\"api.example.com\" or \"api.example.com:8443\"");
        }
        if (!text.equals(text.strip()) || text.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("\"" + text + "\" contains white space");
        }
        String hostPart = text;
        OptionalInt port = OptionalInt.empty();
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("\"" + text + "\" opens [ for an IPv6 address but never closes it");
            }
            hostPart = text.substring(1, close);
            String rest = text.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("\"" + text + "\": after ] only :port may follow");
                }
                port = OptionalInt.of(port(rest.substring(1), text));
            }
            InetAddress v6 = ipv6(hostPart).orElseThrow(() -> new IllegalArgumentException(
                    "\"" + text + "\" is not an IPv6 address in brackets"));
            return new HostPattern(v6.getHostAddress(), false, Optional.of(v6), port);
        }
        int colon = text.indexOf(':');
        if (colon >= 0) {
            if (text.indexOf(':', colon + 1) >= 0) {
                throw new IllegalArgumentException("\"" + text + "\": write an IPv6 address in brackets, e.g. \"[::1]:8080\"");
            }
            hostPart = text.substring(0, colon);
            port = OptionalInt.of(port(text.substring(colon + 1), text));
        }
        String host = hostPart.toLowerCase(Locale.ROOT);
        if (host.equals("*")) {
            throw new IllegalArgumentException("\"" + text + "\": \"*\" alone would allow every host; list hosts, or"
                    + " \"*.example.org\" for the subdomains of one domain");
        }
        boolean wildcard = host.startsWith("*.");
        String name = wildcard ? host.substring(2) : host;
        Optional<InetAddress> v4 = ipv4(name);
        if (v4.isPresent()) {
            if (wildcard) {
                throw new IllegalArgumentException("\"" + text + "\": a wildcard cannot stand before an address");
            }
            return new HostPattern(v4.get().getHostAddress(), false, v4, port);
        }
        checkName(name, text);
        return new HostPattern(name, wildcard, Optional.empty(), port);
    }

    private static void checkName(String name, String text) {
        if (name.contains("*")) {
            throw new IllegalArgumentException("\"" + text + "\": only a leading \"*.\" is a wildcard");
        }
        if (name.endsWith(".") || name.startsWith(".") || name.contains("..")) {
            throw new IllegalArgumentException("\"" + text + "\" has an empty label (a dot at the start or end, or two"
                    + " dots in a row)");
        }
        for (String label : name.split("\\.")) {
            if (!LABEL.matcher(label).matches()) {
                throw new IllegalArgumentException("\"" + text + "\": \"" + label + "\" is not a host name label"
                        + " (letters, digits, '-' and '_', at most 63, not starting or ending with '-')");
            }
        }
        if (name.chars().allMatch(c -> c == '.' || Character.isDigit(c))) {
            throw new IllegalArgumentException("\"" + text + "\" is neither a host name nor a dotted IPv4 address");
        }
    }

    private static int port(String text, String whole) {
        try {
            int port = Integer.parseInt(text);
            if (port >= 1 && port <= 65535 && text.equals(Integer.toString(port))) {
                return port;
            }
        } catch (NumberFormatException e) {
            // falls through to the message
        }
        throw new IllegalArgumentException("\"" + whole + "\": the port must be a number from 1 to 65535");
    }

    /** A strict dotted quad (no octal, hex or short forms, which resolvers read in surprising ways). */
    public static Optional<InetAddress> ipv4(String text) {
        if (!DOTTED_QUAD.matcher(text).matches()) {
            return Optional.empty();
        }
        byte[] bytes = new byte[4];
        String[] parts = text.split("\\.");
        for (int i = 0; i < 4; i++) {
            int v = Integer.parseInt(parts[i]);
            if (v > 255 || parts[i].length() > 1 && parts[i].startsWith("0")) {
                return Optional.empty();
            }
            bytes[i] = (byte) v;
        }
        try {
            return Optional.of(InetAddress.getByAddress(bytes));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /** An IPv6 literal without brackets; a literal is parsed, never looked up. */
    public static Optional<InetAddress> ipv6(String text) {
        if (!text.contains(":") || !text.matches("[0-9A-Fa-f:.]+")) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByName(text));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /** True when this pattern names {@code name} (lower case, no trailing dot) at {@code port}. */
    public boolean matchesName(String name, int port) {
        if (address.isPresent() || !portMatches(port)) {
            return false;
        }
        return wildcard ? name.endsWith("." + host) : name.equals(host);
    }

    /** True when this is an address pattern for {@code target} at {@code port}. */
    public boolean matchesAddress(InetAddress target, int port) {
        return address.isPresent() && address.get().equals(target) && portMatches(port);
    }

    /** True when this pattern lists exactly {@code target} and {@code port}, the only way to reach a special address. */
    public boolean listsExactly(InetAddress target, int port) {
        return address.isPresent() && address.get().equals(target) && this.port.isPresent()
                && this.port.getAsInt() == port;
    }

    private boolean portMatches(int candidate) {
        return port.isPresent() ? port.getAsInt() == candidate : candidate == 80 || candidate == 443;
    }
}
