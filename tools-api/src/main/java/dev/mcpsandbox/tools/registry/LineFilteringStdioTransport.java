package dev.mcpsandbox.tools.registry;

import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * MCP stdio client transport that tolerates servers which print other things on stdout.
 *
 * <p>The SDK's own {@code StdioClientTransport} stops reading at the first stdout line that is not
 * JSON (java-sdk #611), so a banner kills the session. This one starts the server process itself
 * ({@link UpstreamProcess}: only PATH and HOME of this process plus the configured environment, never
 * the whole parent environment), reads stdout through {@link JsonRpcLineFilter} (JSON-RPC messages go
 * to the MCP session, other lines are logged and skipped) and writes outbound messages here, on one
 * thread of their own.
 *
 * <p>When the process ends (or closes stdout) the {@code onTerminated} callback gets a reason such as
 * {@code exited with status 1: <last stderr line>}; it is not called for a close we asked for.
 * {@link #close()} closes stdin, then sends SIGTERM to the process and its descendants, then SIGKILL
 * after the grace period.
 */
final class LineFilteringStdioTransport implements McpClientTransport {

    static final int DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

    private final String server;
    private final McpJsonMapper mapper;
    private final UpstreamProcess process;
    private final JsonRpcLineFilter inbound;
    private final ExecutorService writer;
    private final AtomicBoolean connected = new AtomicBoolean();
    private final Object writeLock = new Object();

    LineFilteringStdioTransport(String server, String command, List<String> args, Map<String, String> env,
                                McpJsonMapper mapper, int maxLineBytes, Duration killGrace) {
        this.server = server;
        this.mapper = mapper;
        this.process = new UpstreamProcess(server, command, args, env, killGrace);
        this.inbound = new JsonRpcLineFilter(server, mapper, maxLineBytes);
        this.writer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "mcp-upstream-" + server + "-stdin");
            t.setDaemon(true);
            return t;
        });
    }

    /** @see UpstreamProcess#onTerminated */
    void onTerminated(Consumer<String> callback) {
        process.onTerminated(callback);
    }

    /** Starts the process; reading begins with {@link #connect}. */
    void start() throws IOException {
        process.start();
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.alive();
    }

    int skippedLines() {
        return inbound.skippedLines();
    }

    @Override
    public Mono<Void> connect(Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
        return Mono.fromRunnable(() -> {
            if (!connected.compareAndSet(false, true)) {
                throw new IllegalStateException("transport for " + server + " is already connected");
            }
            if (!process.started()) {
                try {
                    process.start();
                } catch (IOException e) {
                    throw new IllegalStateException("cannot start " + process.program() + ": " + e.getMessage(), e);
                }
            }
            var stdout = process.stdout();
            Thread out = new Thread(() -> {
                inbound.pump(stdout, handler, process::closing);
                process.stdoutEnded();
            }, "mcp-upstream-" + server + "-stdout");
            out.setDaemon(true);
            out.start();
        });
    }

    @Override
    public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
        return Mono.create(sink -> {
            final byte[] bytes;
            try {
                bytes = (mapper.writeValueAsString(message) + "\n").getBytes(StandardCharsets.UTF_8);
            } catch (IOException e) {
                sink.error(e);
                return;
            }
            try {
                // Writes go through one thread: a full pipe must never block the thread that reads
                // stdout (that would deadlock with a server blocked writing to us).
                writer.execute(() -> {
                    try {
                        OutputStream os = process.stdin();
                        if (os == null || process.closing()) {
                            throw new IOException("stdin of " + server + " is closed");
                        }
                        synchronized (writeLock) {
                            os.write(bytes);
                            os.flush();
                        }
                        sink.success();
                    } catch (IOException e) {
                        sink.error(new IOException(server + ": cannot write to the server process: " + e.getMessage(), e));
                    }
                });
            } catch (RejectedExecutionException e) {
                sink.error(new IOException("transport for " + server + " is closed"));
            }
        });
    }

    @Override
    public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
        return mapper.convertValue(data, typeRef);
    }

    @Override
    public Mono<Void> closeGracefully() {
        return Mono.fromRunnable(this::shutdown);
    }

    @Override
    public void close() {
        shutdown();
    }

    private void shutdown() {
        writer.shutdownNow();
        process.shutdown();
    }
}
