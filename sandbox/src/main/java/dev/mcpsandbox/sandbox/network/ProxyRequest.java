package dev.mcpsandbox.sandbox.network;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The head of one request a client sent to the proxy: {@code CONNECT host:port} (a tunnel, for TLS) or an
 * absolute-form {@code http://} request to forward. Untrusted input: anything else is a refusal with a reason.
 *
 * @param forwardHead for a forwarded request, the head to send upstream (origin-form target, hop-by-hop and
 *                    proxy headers dropped, {@code Connection: close}); empty for CONNECT
 */
record ProxyRequest(String host, int port, boolean connect, Optional<byte[]> forwardHead) {
    static final int MAX_HEAD_BYTES = 16 * 1024;

    /** The index just past the blank line that ends a head in {@code buffer[0..length)}, or -1. */
    static int headEnd(byte[] buffer, int length) {
        for (int i = 3; i < length; i++) {
            if (buffer[i] == '\n' && buffer[i - 1] == '\r' && buffer[i - 2] == '\n' && buffer[i - 3] == '\r') {
                return i + 1;
            }
        }
        return -1;
    }

    /** Reads a complete head; the exception's message is the reason the client is told. */
    static ProxyRequest parse(byte[] head) {
        String text = new String(head, StandardCharsets.ISO_8859_1);
        String[] lines = text.split("\r\n");
        String[] requestLine = lines[0].split(" ");
        if (requestLine.length != 3 || !requestLine[2].startsWith("HTTP/1.")) {
            throw new IllegalArgumentException("not an HTTP/1.x request line");
        }
        String method = requestLine[0];
        String target = requestLine[1];
        if (method.equals("CONNECT")) {
            HostPort hp = hostPort(target, -1);
            return new ProxyRequest(hp.host(), hp.port(), true, Optional.empty());
        }
        String lower = target.toLowerCase(Locale.ROOT);
        if (!lower.startsWith("http://")) {
            throw new IllegalArgumentException(lower.startsWith("https://")
                    ? "send https:// requests through CONNECT (a client with HTTPS_PROXY does)"
                    : "this is a forward proxy: the request target must be an absolute http:// URL");
        }
        String rest = target.substring("http://".length());
        int slash = indexOfAny(rest, "/?#");
        String authority = slash < 0 ? rest : rest.substring(0, slash);
        String path = slash < 0 ? "/" : rest.substring(slash);
        if (path.startsWith("?")) {
            path = "/" + path;
        }
        int hash = path.indexOf('#');
        if (hash >= 0) {
            path = path.substring(0, hash);
        }
        if (authority.contains("@")) {
            throw new IllegalArgumentException("user information in the URL is not forwarded");
        }
        HostPort hp = hostPort(authority, 80);
        StringBuilder out = new StringBuilder(method).append(' ').append(path).append(' ').append(requestLine[2]).append("\r\n");
        List<String> kept = new ArrayList<>();
        boolean hasHost = false;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("malformed header line");
            }
            String name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            if (name.startsWith("proxy-") || name.equals("connection") || name.equals("keep-alive")
                    || name.equals("upgrade") || name.equals("te")) {
                continue;
            }
            hasHost |= name.equals("host");
            kept.add(line);
        }
        if (!hasHost) {
            out.append("Host: ").append(authority).append("\r\n");
        }
        kept.forEach(l -> out.append(l).append("\r\n"));
        out.append("Connection: close\r\n\r\n");
        return new ProxyRequest(hp.host(), hp.port(), false, Optional.of(out.toString().getBytes(StandardCharsets.ISO_8859_1)));
    }

    private record HostPort(String host, int port) {
    }

    private static HostPort hostPort(String authority, int defaultPort) {
        String host;
        String port;
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("unclosed [ in \"" + authority + "\"");
            }
            host = authority.substring(0, close + 1);
            port = authority.substring(close + 1);
        } else {
            int colon = authority.lastIndexOf(':');
            host = colon < 0 ? authority : authority.substring(0, colon);
            port = colon < 0 ? "" : authority.substring(colon);
        }
        if (host.isEmpty() || host.equals("[]")) {
            throw new IllegalArgumentException("no host in \"" + authority + "\"");
        }
        if (port.isEmpty()) {
            if (defaultPort < 0) {
                throw new IllegalArgumentException("CONNECT needs host:port");
            }
            return new HostPort(host, defaultPort);
        }
        try {
            return new HostPort(host, Integer.parseInt(port.substring(1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in \"" + authority + "\"");
        }
    }

    private static int indexOfAny(String s, String chars) {
        for (int i = 0; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }
}
