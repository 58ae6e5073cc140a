package dev.mcpsandbox.sandbox.network;

import dev.mcpsandbox.tools.bridge.UnixListener;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The proxy of one execution: an HTTP proxy listening on a Unix socket in that sandbox's bridge directory (the
 * sandbox's relay forwards its loopback port here), so every connection is the execution's own and counts
 * against its caps. It answers {@code CONNECT host:port} with a tunnel and forwards absolute-form {@code http://}
 * requests; each is decided by {@link EgressPolicy} before any connection is made, and a refusal is an HTTP
 * answer the code sees (403 with the reason). Bytes are counted both ways; the call's cap, when reached, cuts
 * every connection of the call. Blocking I/O on two threads per connection; the connection cap bounds them.
 */
public final class EgressSession implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EgressSession.class);
    private static final int CONNECT_TIMEOUT_MS = 10_000;
    private static final int BUFFER = 32 * 1024;
    static final String REFUSAL_HEADER = "X-Mcp-Sandbox-Refusal";

    private final String executionId;
    private final Path socketPath;
    private final ServerSocketChannel server;
    private final EgressPolicy policy;
    private final long maxBytes;
    private final int maxConnections;
    private final ExecutorService threads;
    private final List<Connection> connections = new CopyOnWriteArrayList<>();
    private final AtomicLong totalBytes = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger opened = new java.util.concurrent.atomic.AtomicInteger();
    private final AtomicBoolean capHit = new AtomicBoolean();
    private volatile boolean closed;

    private EgressSession(String executionId, Path socketPath, ServerSocketChannel server, EgressPolicy policy,
                          long maxBytes, int maxConnections) {
        this.executionId = executionId;
        this.socketPath = socketPath;
        this.server = server;
        this.policy = policy;
        this.maxBytes = maxBytes;
        this.maxConnections = maxConnections;
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "egress-" + executionId);
            t.setDaemon(true);
            return t;
        });
    }

    /** Listens at {@code socketPath} (inside the sandbox's bridge directory) until {@link #close()}. */
    public static EgressSession open(String executionId, Path socketPath, EgressPolicy policy, long maxBytes,
                                     int maxConnections) throws IOException {
        Files.deleteIfExists(socketPath);
        ServerSocketChannel server = UnixListener.bind(socketPath, PosixFilePermissions.fromString("rw-rw-rw-"));
        // (only the sandbox's uid can reach the directory)
        EgressSession session = new EgressSession(executionId, socketPath, server, policy, maxBytes, maxConnections);
        session.threads.execute(session::acceptLoop);
        return session;
    }

    /** Every connection asked for so far, in order, with what flowed through it. */
    public List<NetworkRecord> connections() {
        return connections.stream().map(Connection::record).toList();
    }

    /** True once the call's byte or connection cap was reached. */
    public boolean capHit() {
        return capHit.get();
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            try {
                threads.execute(() -> serve(client));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                closeQuietly(client);
            }
        }
    }

    private void serve(SocketChannel client) {
        byte[] buffer = new byte[ProxyRequest.MAX_HEAD_BYTES];
        int length = 0;
        int end = -1;
        try {
            while (end < 0) {
                if (length == buffer.length) {
                    answer(client, 431, "the request head is longer than " + buffer.length + " bytes");
                    return;
                }
                int n = client.read(ByteBuffer.wrap(buffer, length, buffer.length - length));
                if (n < 0) {
                    closeQuietly(client);
                    return;
                }
                length += n;
                end = ProxyRequest.headEnd(buffer, length);
            }
            ProxyRequest request;
            try {
                request = ProxyRequest.parse(Arrays.copyOf(buffer, end));
            } catch (IllegalArgumentException e) {
                answer(client, 400, e.getMessage());
                return;
            }
            byte[] early = Arrays.copyOfRange(buffer, end, length);
            handle(client, request, early);
        } catch (IOException e) {
            log.debug("{}: proxy connection ended: {}", executionId, e.getMessage());
            closeQuietly(client);
        }
    }

    private void handle(SocketChannel client, ProxyRequest request, byte[] early) throws IOException {
        Connection connection = new Connection(request.host(), request.port(), client, request.connect());
        String refusal = null;
        if (opened.incrementAndGet() > maxConnections) {
            refusal = "this call already opened " + maxConnections + " connections (network.maxConnectionsPerCall)";
            capHit.set(true);
        } else if (capHit.get()) {
            refusal = "this call reached its network cap";
        }
        EgressPolicy.Decision decision = refusal == null ? policy.decide(request.host(), request.port())
                : new EgressPolicy.Refused(refusal);
        connections.add(connection);
        if (decision instanceof EgressPolicy.Refused refused) {
            connection.refuse(refused.reason());
            log.debug("{}: refused {}:{}: {}", executionId, request.host(), request.port(), refused.reason());
            answer(client, 403, refused.reason());
            return;
        }
        EgressPolicy.Allowed allowed = (EgressPolicy.Allowed) decision;
        connection.allow("allowed by \"" + allowed.rule() + "\"");
        SocketChannel upstream = SocketChannel.open();
        connection.upstream = upstream;
        try {
            upstream.socket().connect(allowed.target(), CONNECT_TIMEOUT_MS);
        } catch (IOException e) {
            connection.reason = "cannot connect to " + address(allowed.target()) + ": " + e.getMessage();
            closeQuietly(upstream);
            answer(client, 502, connection.reason);
            return;
        }
        if (closed) {
            connection.closeBoth();
            return;
        }
        if (request.connect()) {
            byte[] ok = "HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            writeAll(client, ByteBuffer.wrap(ok));
        } else if (!send(connection, upstream, request.forwardHead().orElseThrow(), true)) {
            return;
        }
        threads.execute(() -> pump(connection, upstream, client, false));
        byte[] first = request.connect() ? firstRecord(client, early) : early;
        if (request.connect()) {
            Optional<String> problem = serverNameProblem(connection, first);
            if (problem.isPresent()) {
                connection.allowed = false;
                connection.reason = problem.get();
                log.debug("{}: cut {}:{}: {}", executionId, connection.host, connection.port, problem.get());
                connection.closeBoth();
                return;
            }
        }
        if (first.length > 0 && !send(connection, upstream, first, true)) {
            return;
        }
        pump(connection, client, upstream, true);
    }

    /** What the client sent first in a tunnel, read until its first TLS record is whole (when it is TLS). */
    private static byte[] firstRecord(SocketChannel client, byte[] early) throws IOException {
        byte[] buffer = Arrays.copyOf(early, Math.max(early.length, ClientHello.MAX_RECORD));
        int length = early.length;
        while (length == 0 || ClientHello.incomplete(buffer, length) && length < buffer.length) {
            int n = client.read(ByteBuffer.wrap(buffer, length, buffer.length - length));
            if (n < 0) {
                break;
            }
            length += n;
        }
        return Arrays.copyOf(buffer, length);
    }

    /** A TLS client that names another server than the tunnel was opened for (SNI) is cut before any byte goes out. */
    private static Optional<String> serverNameProblem(Connection connection, byte[] first) {
        String host = connection.host.replaceAll("^\\[|]$", "").toLowerCase(java.util.Locale.ROOT);
        return ClientHello.serverName(first, first.length)
                .filter(name -> !name.equals(host) && !name.equals(host + "."))
                .map(name -> "the TLS server name \"" + name + "\" is not the host the tunnel was opened for ("
                        + connection.host + ")");
    }

    /** Copies {@code from} to {@code to} until either ends, counting against the call's cap. */
    private void pump(Connection connection, SocketChannel from, SocketChannel to, boolean outbound) {
        ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
        try {
            while (true) {
                buffer.clear();
                int n = from.read(buffer);
                if (n < 0) {
                    break;
                }
                buffer.flip();
                byte[] chunk = new byte[n];
                buffer.get(chunk);
                if (!send(connection, to, chunk, outbound)) {
                    return;
                }
            }
            to.shutdownOutput();
        } catch (IOException e) {
            log.debug("{}: {} {}:{} ended: {}", executionId, outbound ? "to" : "from", connection.host,
                    connection.port, e.getMessage());
            connection.closeBoth();
        } finally {
            if (connection.finished.incrementAndGet() == 2) {
                connection.closeBoth();
            }
        }
    }

    /** Writes {@code bytes} unless that would pass the call's cap, which cuts every connection instead. */
    private boolean send(Connection connection, SocketChannel to, byte[] bytes, boolean outbound) throws IOException {
        if (totalBytes.addAndGet(bytes.length) > maxBytes) {
            totalBytes.addAndGet(-bytes.length);
            cutAll();
            return false;
        }
        writeAll(to, ByteBuffer.wrap(bytes));
        (outbound ? connection.bytesOut : connection.bytesIn).addAndGet(bytes.length);
        return true;
    }

    private void cutAll() {
        if (capHit.compareAndSet(false, true)) {
            log.debug("{}: network cap of {} bytes reached; cutting every connection", executionId, maxBytes);
        }
        for (Connection c : connections) {
            if (c.open()) {
                c.reason = "cut: the call reached network.maxBytesPerCall (" + maxBytes + " bytes)";
                c.closeBoth();
            }
        }
    }

    private void answer(SocketChannel client, int status, String reason) {
        String phrase = switch (status) {
            case 400 -> "Bad Request";
            case 403 -> "Forbidden";
            case 431 -> "Request Header Fields Too Large";
            default -> "Bad Gateway";
        };
        String body = "mcp-sandbox network proxy: " + reason + "\n";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " " + phrase + "\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: " + bytes.length + "\r\nConnection: close\r\n"
                + REFUSAL_HEADER + ": " + reason.replaceAll("[\\r\\n]", " ").replaceAll("[^\\x20-\\x7e]", "?") + "\r\n\r\n";
        try {
            writeAll(client, ByteBuffer.wrap(head.getBytes(StandardCharsets.ISO_8859_1)));
            writeAll(client, ByteBuffer.wrap(bytes));
            client.shutdownOutput();
        } catch (IOException e) {
            log.debug("{}: could not answer {}: {}", executionId, status, e.getMessage());
        }
        closeQuietly(client);
    }

    private static void writeAll(SocketChannel to, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            to.write(buffer);
        }
    }

    private static String address(InetSocketAddress target) {
        return target.getAddress().getHostAddress() + ":" + target.getPort();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            log.debug("{}: proxy socket close: {}", executionId, e.getMessage());
        }
        for (Connection c : connections) {
            c.closeBoth();
        }
        threads.shutdownNow();
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException e) {
            log.debug("{}: cannot remove {}: {}", executionId, socketPath, e.getMessage());
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // already gone
        }
    }

    /** One connection's state while it runs; {@link #record()} is its snapshot. */
    private static final class Connection {
        final String host;
        final int port;
        final SocketChannel client;
        final AtomicLong bytesOut = new AtomicLong();
        final AtomicLong bytesIn = new AtomicLong();
        final AtomicLong finished = new AtomicLong();
        volatile SocketChannel upstream;
        volatile boolean allowed;
        volatile String reason = "";

        final boolean tunnel;

        Connection(String host, int port, SocketChannel client, boolean tunnel) {
            this.host = host;
            this.port = port;
            this.client = client;
            this.tunnel = tunnel;
        }

        void refuse(String why) {
            reason = why;
        }

        void allow(String why) {
            allowed = true;
            reason = why;
        }

        boolean open() {
            return client.isOpen() || Optional.ofNullable(upstream).map(SocketChannel::isOpen).orElse(false);
        }

        void closeBoth() {
            closeQuietly(client);
            Optional.ofNullable(upstream).ifPresent(EgressSession::closeQuietly);
        }

        NetworkRecord record() {
            return new NetworkRecord(host, port, allowed, bytesOut.get(), bytesIn.get(), reason);
        }
    }
}
