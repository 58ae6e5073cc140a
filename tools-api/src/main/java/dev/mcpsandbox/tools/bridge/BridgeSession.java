package dev.mcpsandbox.tools.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpsandbox.tools.audit.AuditSink;
import dev.mcpsandbox.tools.budget.CallBudget;
import dev.mcpsandbox.tools.policy.ToolPolicy;
import dev.mcpsandbox.tools.registry.ToolRegistry;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One execution's bridge: a Unix socket inside that execution's sandbox only, speaking the line
 * protocol of docs/bridge-protocol.md. Whatever arrives is untrusted: every line is bounded,
 * parsed defensively and answered; a hostile client can at worst close its own connection.
 */
public final class BridgeSession implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BridgeSession.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int MAX_LINE_BYTES = 1 << 20;
    static final int MAX_CONNECTIONS = 4;
    static final int MAX_IN_FLIGHT = 16;
    static final int MAX_RESULT_BYTES = 1 << 20;

    private final String executionId;
    private final Path socketPath;
    private final ServerSocketChannel server;
    private final CallGate gate;
    private final ExecutorService calls;
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
    private final AtomicReference<JsonNode> result = new AtomicReference<>();
    private volatile boolean closed;

    private BridgeSession(String executionId, Path socketPath, ServerSocketChannel server, CallGate gate,
                          ExecutorService calls) {
        this.executionId = executionId;
        this.socketPath = socketPath;
        this.server = server;
        this.gate = gate;
        this.calls = calls;
    }

    /** Opens the bridge of one execution; every call through it passes a {@link CallGate} of its own. */
    public static BridgeSession open(String executionId, Path socketPath, ToolRegistry registry, ToolPolicy policy,
                                     CallBudget budget, Confirmer confirmer, JsonSchemaValidator schemas,
                                     AuditSink audit, Clock clock, ExecutorService calls) throws IOException {
        CallGate gate = new CallGate(executionId, registry, policy, budget, confirmer, schemas, audit, clock);
        Files.deleteIfExists(socketPath);
        ServerSocketChannel server = UnixListener.bind(socketPath, PosixFilePermissions.fromString("rw-rw-rw-"));
        // (only the sandbox's uid can reach the directory)
        BridgeSession session = new BridgeSession(executionId, socketPath, server, gate, calls);
        Thread acceptor = new Thread(session::acceptLoop, "bridge-" + executionId);
        acceptor.setDaemon(true);
        acceptor.start();
        return session;
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel connection;
            try {
                connection = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (connections.size() >= MAX_CONNECTIONS) {
                closeQuietly(connection);
                log.debug("{}: refused a connection beyond {}", executionId, MAX_CONNECTIONS);
                continue;
            }
            connections.add(connection);
            Thread reader = new Thread(() -> serve(connection), "bridge-" + executionId + "-conn");
            reader.setDaemon(true);
            reader.start();
        }
    }

    private void serve(SocketChannel connection) {
        Writer writer = new Writer(connection);
        // Not try-with-resources: closing this stream closes the channel, and answers may still be owed
        // (or a refusal of an oversized line queued); the writer closes the connection once they are out.
        InputStream in = Channels.newInputStream(connection);
        try {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            int n;
            while (!closed && (n = in.read(buffer)) > 0) {
                int start = 0;
                for (int i = 0; i < n; i++) {
                    if (buffer[i] == '\n') {
                        line.write(buffer, start, i - start);
                        handleLine(line.toByteArray(), writer);
                        line.reset();
                        start = i + 1;
                    }
                }
                line.write(buffer, start, n - start);
                if (line.size() > MAX_LINE_BYTES) {
                    send(writer, error(null, Refusal.INVALID_REQUEST,
                            "line longer than " + MAX_LINE_BYTES + " bytes; the connection is closed", ""), false);
                    return;
                }
            }
        } catch (IOException e) {
            log.debug("{}: bridge connection ended: {}", executionId, e.getMessage());
        } finally {
            connections.remove(connection);
            writer.readingEnded();
        }
    }

    /**
     * Writes one connection's answers on its own thread. Answers are produced on the shared call pool and
     * only queued here, never written there, so no pool thread ever waits on a client's socket. A client
     * that stops reading while its unread answers pile up past {@link #MAX_QUEUED_BYTES} is cut off. When
     * the client stops sending, the answers still owed are written before the connection closes.
     */
    private final class Writer {
        private static final long MAX_QUEUED_BYTES = 4L << 20;
        private final SocketChannel connection;
        private final java.util.concurrent.BlockingQueue<byte[]> queue = new java.util.concurrent.LinkedBlockingQueue<>();
        private final java.util.concurrent.atomic.AtomicLong queuedBytes = new java.util.concurrent.atomic.AtomicLong();
        private final java.util.concurrent.atomic.AtomicInteger owed = new java.util.concurrent.atomic.AtomicInteger();
        private volatile boolean readingEnded;

        Writer(SocketChannel connection) {
            this.connection = connection;
            Thread thread = new Thread(this::drain, "bridge-" + executionId + "-write");
            thread.setDaemon(true);
            thread.start();
        }

        void owe() {
            owed.incrementAndGet();
        }

        void enqueue(byte[] message, boolean settlesDebt) {
            if (queuedBytes.addAndGet(message.length) > MAX_QUEUED_BYTES) {
                log.debug("{}: a bridge client left {} bytes of answers unread; closing its connection", executionId,
                        queuedBytes.get());
                closeQuietly(connection);
            } else {
                queue.add(message);
            }
            if (settlesDebt) {
                owed.decrementAndGet();
            }
        }

        void readingEnded() {
            readingEnded = true;
        }

        private void drain() {
            try {
                while (connection.isOpen() && !(readingEnded && owed.get() == 0 && queue.isEmpty())) {
                    byte[] message = queue.poll(50, java.util.concurrent.TimeUnit.MILLISECONDS);
                    if (message != null) {
                        ByteBuffer buffer = ByteBuffer.wrap(message);
                        while (buffer.hasRemaining()) {
                            connection.write(buffer);
                        }
                        queuedBytes.addAndGet(-message.length);
                    }
                }
            } catch (IOException | InterruptedException e) {
                log.debug("{}: bridge answers stopped: {}", executionId, e.getMessage());
            } finally {
                closeQuietly(connection);
                queue.clear();
            }
        }
    }

    private void handleLine(byte[] bytes, Writer writer) {
        if (bytes.length > MAX_LINE_BYTES) {
            send(writer, error(null, Refusal.INVALID_REQUEST, "line longer than " + MAX_LINE_BYTES + " bytes", ""), false);
            return;
        }
        JsonNode request;
        try {
            request = JSON.readTree(bytes);
        } catch (IOException e) {
            send(writer, error(null, Refusal.PARSE_ERROR, "the line is not JSON", ""), false);
            return;
        }
        if (request == null || !request.isObject()) {
            send(writer, error(null, Refusal.INVALID_REQUEST, "a request is a JSON object", ""), false);
            return;
        }
        JsonNode id = request.get("id");
        if (id == null || !(id.isIntegralNumber() || id.isTextual()) || !request.path("method").isTextual()) {
            send(writer, error(id != null && (id.isIntegralNumber() || id.isTextual()) ? id : null,
                    Refusal.INVALID_REQUEST, "a request needs \"method\" and an \"id\" (number or string)", ""), false);
            return;
        }
        if (!inFlight.tryAcquire()) {
            send(writer, error(id, Refusal.INVALID_REQUEST,
                    "more than " + MAX_IN_FLIGHT + " requests in flight; wait for answers", ""), false);
            return;
        }
        writer.owe();
        try {
            calls.execute(() -> {
                ObjectNode answer;
                try {
                    answer = answer(id, request.path("method").asText(), request.get("params"), bytes.length);
                } finally {
                    // Free the slot before the answer can reach the client, so a client that waits for one
                    // answer before sending its next request is never refused.
                    inFlight.release();
                }
                send(writer, answer, true);
            });
        } catch (RejectedExecutionException e) {
            inFlight.release();
            send(writer, error(id, Refusal.UNAVAILABLE, "the server is shutting down", ""), true);
        }
    }

    private ObjectNode answer(JsonNode id, String method, JsonNode params, int requestBytes) {
        switch (method) {
            case "tools/call" -> {
                if (params == null || !params.path("name").isTextual()) {
                    return error(id, Refusal.INVALID_PARAMS, "tools/call needs params.name (\"server.tool\")", "");
                }
                JsonNode arguments = params.get("arguments");
                if (arguments != null && !arguments.isNull() && !arguments.isObject()) {
                    return error(id, Refusal.INVALID_PARAMS, "params.arguments must be an object", "");
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> args = arguments == null || arguments.isNull() ? Map.of()
                        : JSON.convertValue(arguments, Map.class);
                int argumentBytes = arguments == null ? 2 : arguments.toString().getBytes(StandardCharsets.UTF_8).length;
                GateAnswer answer = gate.call(params.path("name").asText(), args, argumentBytes);
                if (answer instanceof GateAnswer.Returned r) {
                    ObjectNode ok = envelope(id);
                    ObjectNode body = ok.putObject("result");
                    body.set("value", JSON.valueToTree(r.value()));
                    body.put("text", r.text());
                    return ok;
                }
                GateAnswer.Refused refused = (GateAnswer.Refused) answer;
                ObjectNode error = error(id, refused.refusal(), refused.message(), refused.detail());
                if (refused.refusal() == Refusal.INVALID_ARGUMENTS) {
                    ((ObjectNode) error.path("error").path("data")).putArray("errors").add(refused.message());
                }
                return error;
            }
            case "tools/list" -> {
                ObjectNode ok = envelope(id);
                var list = ok.putObject("result").putArray("tools");
                gate.callableTools().forEach(t -> {
                    ObjectNode entry = list.addObject();
                    entry.put("name", t.name().qualified());
                    entry.put("description", t.description());
                    entry.set("inputSchema", JSON.valueToTree(t.inputSchema()));
                });
                return ok;
            }
            case "result/set" -> {
                if (params == null || !params.has("value")) {
                    return error(id, Refusal.INVALID_PARAMS, "result/set needs params.value", "");
                }
                if (requestBytes > MAX_RESULT_BYTES) {
                    return error(id, Refusal.INVALID_PARAMS, "the result is larger than " + MAX_RESULT_BYTES
                            + " bytes; return less and print the rest", "");
                }
                result.set(params.get("value"));
                ObjectNode ok = envelope(id);
                ok.putObject("result");
                return ok;
            }
            default -> {
                return error(id, Refusal.UNKNOWN_METHOD, "unknown method \"" + method
                        + "\"; use tools/call, tools/list or result/set", "");
            }
        }
    }

    private static ObjectNode envelope(JsonNode id) {
        ObjectNode n = JSON.createObjectNode();
        n.put("jsonrpc", "2.0");
        if (id == null) {
            n.putNull("id");
        } else {
            n.set("id", id);
        }
        return n;
    }

    private static ObjectNode error(JsonNode id, Refusal refusal, String message, String detail) {
        ObjectNode n = envelope(id);
        ObjectNode error = n.putObject("error");
        error.put("code", refusal.code());
        error.put("message", message);
        ObjectNode data = error.putObject("data");
        data.put("reason", refusal.reason());
        if (!detail.isEmpty()) {
            data.put("text", detail);
        }
        return n;
    }

    private void send(Writer writer, ObjectNode message, boolean settlesDebt) {
        try {
            writer.enqueue((JSON.writeValueAsString(message) + "\n").getBytes(StandardCharsets.UTF_8), settlesDebt);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise a bridge answer", e);
        }
    }

    /** The value the code handed back with {@code result/set}, if any. */
    public Optional<JsonNode> result() {
        return Optional.ofNullable(result.get());
    }

    /** The calls made so far, in the order they finished; calls still running are listed as cut off. */
    public List<ToolCallRecord> toolCalls() {
        return gate.records();
    }

    /** True when the code ran out of tool calls (the {@code toolCalls} limit). */
    public boolean callLimitHit() {
        return gate.callLimitHit();
    }

    /**
     * Ends the bridge with its execution: no more connections, and calls still waiting for an upstream
     * server end at once and are cancelled there (their answers could reach no one).
     */
    @Override
    public void close() {
        closed = true;
        gate.executionEnded();
        try {
            server.close();
        } catch (IOException e) {
            log.debug("{}: closing bridge: {}", executionId, e.getMessage());
        }
        connections.forEach(BridgeSession::closeQuietly);
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException e) {
            log.debug("{}: cannot delete {}: {}", executionId, socketPath, e.getMessage());
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // already gone
        }
    }
}
