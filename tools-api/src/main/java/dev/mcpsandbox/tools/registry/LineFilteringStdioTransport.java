package dev.mcpsandbox.tools.registry;

import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * MCP stdio client transport that tolerates servers which print other things on stdout.
 *
 * <p>The SDK's own {@code StdioClientTransport} stops reading at the first stdout line that is not
 * JSON (java-sdk #611), so a banner kills the session. This one starts the server process itself,
 * reads stdout line by line, hands lines that parse as JSON-RPC messages to the MCP session and logs
 * and skips all others; lines longer than the bound are dropped whole. stderr goes to the log at
 * DEBUG (the last line is kept for the exit reason). The child gets only PATH and HOME of this
 * process plus the configured environment, never the whole parent environment.
 *
 * <p>When the process ends (or closes stdout) the {@code onTerminated} callback gets a reason such as
 * {@code exited with status 1: <last stderr line>}; it is not called for a close we asked for.
 * {@link #close()} closes stdin, then sends SIGTERM to the process and its descendants, then SIGKILL
 * after the grace period.
 */
final class LineFilteringStdioTransport implements McpClientTransport {

    private static final Logger log = LoggerFactory.getLogger(LineFilteringStdioTransport.class);

    static final int DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
    private static final int LOGGED_LINE_CHARS = 300;
    private static final int NOISY_LINES_AT_INFO = 20;
    private static final int RECENT_STDERR_LINES = 20;
    private static final Pattern TELLING = Pattern.compile(
            "(?i)\\b(error|exception|fatal|panic|failed|failure|cannot|can't|unable|denied|refused|not found|missing|invalid)\\b");

    private final String server;
    private final List<String> command;
    private final Map<String, String> environment;
    private final McpJsonMapper mapper;
    private final int maxLineBytes;
    private final Duration stdinCloseWait;
    private final Duration killGrace;

    private final ExecutorService writer;
    private final AtomicBoolean connected = new AtomicBoolean();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicBoolean terminatedFired = new AtomicBoolean();
    private final java.util.ArrayDeque<String> recentStderr = new java.util.ArrayDeque<>();
    private final AtomicInteger skippedLines = new AtomicInteger();
    private final Object writeLock = new Object();

    private volatile Consumer<String> onTerminated = reason -> { };
    private volatile String terminationReason;
    private volatile Process process;
    private volatile OutputStream stdin;
    private volatile Thread stdoutThread;
    private volatile Thread stderrThread;

    LineFilteringStdioTransport(String server, String command, List<String> args, Map<String, String> env,
                                McpJsonMapper mapper, int maxLineBytes, Duration killGrace) {
        this.server = server;
        List<String> cmd = new ArrayList<>(1 + args.size());
        cmd.add(command);
        cmd.addAll(args);
        this.command = List.copyOf(cmd);
        this.environment = childEnvironment(env);
        this.mapper = mapper;
        this.maxLineBytes = maxLineBytes;
        this.stdinCloseWait = Duration.ofMillis(Math.min(500, killGrace.toMillis()));
        this.killGrace = killGrace;
        this.writer = Executors.newSingleThreadExecutor(daemon("mcp-upstream-" + server + "-stdin"));
    }

    /** PATH and HOME of this process, then the configured variables on top. */
    static Map<String, String> childEnvironment(Map<String, String> configured) {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        for (String name : List.of("PATH", "HOME")) {
            String value = System.getenv(name);
            if (value != null) {
                env.put(name, value);
            }
        }
        env.putAll(configured);
        return env;
    }

    /**
     * Called once with a reason when the process goes away without us closing it; at once when that
     * already happened (a server can die before the caller gets here).
     */
    void onTerminated(Consumer<String> callback) {
        String already;
        synchronized (terminatedFired) {
            this.onTerminated = callback;
            already = terminationReason;
        }
        if (already != null) {
            callback.accept(already);
        }
    }

    /** Starts the process; reading begins with {@link #connect}. */
    synchronized void start() throws IOException {
        if (process != null) {
            throw new IllegalStateException("already started");
        }
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().clear();
        pb.environment().putAll(environment);
        Process p = pb.start();
        this.process = p;
        this.stdin = p.getOutputStream();
        log.debug("{}: started {} (pid {})", server, command, p.pid());
        Thread err = new Thread(() -> pumpStderr(p.getErrorStream()), "mcp-upstream-" + server + "-stderr");
        err.setDaemon(true);
        err.start();
        this.stderrThread = err;
        Thread watcher = new Thread(() -> watch(p), "mcp-upstream-" + server + "-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    long pid() {
        Process p = process;
        return p == null ? -1 : p.pid();
    }

    boolean alive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    int skippedLines() {
        return skippedLines.get();
    }

    @Override
    public Mono<Void> connect(Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
        return Mono.fromRunnable(() -> {
            if (!connected.compareAndSet(false, true)) {
                throw new IllegalStateException("transport for " + server + " is already connected");
            }
            if (process == null) {
                try {
                    start();
                } catch (IOException e) {
                    throw new IllegalStateException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
                }
            }
            Process p = process;
            Thread out = new Thread(() -> pumpStdout(p.getInputStream(), handler), "mcp-upstream-" + server + "-stdout");
            out.setDaemon(true);
            out.start();
            this.stdoutThread = out;
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
                        OutputStream os = stdin;
                        if (os == null || closing.get()) {
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

    /** Ends the process: stdin closed, SIGTERM to it and its descendants, SIGKILL after the grace period. */
    private void shutdown() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        writer.shutdownNow();
        Process p = process;
        if (p == null) {
            return;
        }
        List<ProcessHandle> descendants = p.descendants().toList();
        try {
            OutputStream os = stdin;
            if (os != null) {
                os.close();
            }
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (p.isAlive() && !p.waitFor(stdinCloseWait.toMillis(), TimeUnit.MILLISECONDS)) {
                descendants.forEach(ProcessHandle::destroy);
                p.destroy();
                if (!p.waitFor(killGrace.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.debug("{}: did not end within {} ms of SIGTERM, sending SIGKILL", server, killGrace.toMillis());
                    p.destroyForcibly();
                    p.waitFor(2, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        closeQuietly(p.getInputStream());
        closeQuietly(p.getErrorStream());
        log.debug("{}: process {} ended", server, p.pid());
    }

    private void watch(Process p) {
        int status;
        try {
            status = p.waitFor();
        } catch (InterruptedException e) {
            return;
        }
        // Give stderr a moment to drain so the reason carries the server's last words.
        join(stderrThread, 500);
        List<String> recent;
        synchronized (recentStderr) {
            recent = List.copyOf(recentStderr);
        }
        fireTerminated(describeExit(status, recent));
    }

    /**
     * "exited with status 1: Error: boom". The stderr line shown is the last one that looks like an
     * error message (node ends a crash with its version line, so the plain last line often says
     * nothing), else the last line; for a death by signal only a line that looks like an error.
     */
    static String describeExit(int status, List<String> recentStderr) {
        boolean signal = status > 128 && status < 128 + 65;
        StringBuilder b = new StringBuilder("exited with status ").append(status);
        if (signal) {
            b.append(" (signal ").append(status - 128).append(')');
        }
        String telling = null;
        String last = null;
        if (recentStderr != null) {
            for (String line : recentStderr) {
                if (line == null || line.isBlank()) {
                    continue;
                }
                last = line;
                if (TELLING.matcher(line).find()) {
                    telling = line;
                }
            }
        }
        String shown = telling != null ? telling : signal ? null : last;
        if (shown != null) {
            b.append(": ").append(shown);
        }
        return b.toString();
    }

    private void fireTerminated(String reason) {
        if (closing.get() || !terminatedFired.compareAndSet(false, true)) {
            return;
        }
        Consumer<String> callback;
        synchronized (terminatedFired) {
            terminationReason = reason;
            callback = onTerminated;
        }
        try {
            callback.accept(reason);
        } catch (RuntimeException e) {
            log.warn("{}: termination handler failed", server, e);
        }
    }

    private void pumpStdout(InputStream in, Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
        try (in) {
            LineReader reader = new LineReader(in, maxLineBytes);
            String line;
            while ((line = reader.next()) != null) {
                if (reader.lastLineTooLong()) {
                    log.warn("{}: dropped a stdout line longer than {} bytes", server, maxLineBytes);
                    skippedLines.incrementAndGet();
                    continue;
                }
                if (line.isBlank()) {
                    continue;
                }
                McpSchema.JSONRPCMessage message;
                try {
                    message = McpSchema.deserializeJsonRpcMessage(mapper, line);
                } catch (Exception e) {
                    int n = skippedLines.incrementAndGet();
                    if (n <= NOISY_LINES_AT_INFO) {
                        log.info("{}: skipped a stdout line that is not a JSON-RPC message: {}{}", server,
                                abbreviate(line), n == NOISY_LINES_AT_INFO ? " (further ones at DEBUG)" : "");
                    } else {
                        log.debug("{}: skipped non-JSON-RPC stdout line: {}", server, abbreviate(line));
                    }
                    continue;
                }
                try {
                    handler.apply(Mono.just(message)).subscribe(ignored -> { },
                            e -> log.warn("{}: handling a message failed: {}", server, e.toString()));
                } catch (RuntimeException e) {
                    log.warn("{}: handling a message failed", server, e);
                }
            }
        } catch (IOException e) {
            if (!closing.get()) {
                log.debug("{}: reading stdout failed: {}", server, e.toString());
            }
        }
        if (closing.get()) {
            return;
        }
        // stdout is gone. Normally the process has exited and the watcher reports its status; if it
        // lingers without stdout it is of no use to us.
        Process p = process;
        try {
            if (p != null && p.waitFor(2, TimeUnit.SECONDS)) {
                return; // the watcher reports the exit
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        fireTerminated("closed its stdout but kept running");
        if (p != null) {
            p.destroyForcibly();
        }
    }

    private void pumpStderr(InputStream err) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(err, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank()) {
                    synchronized (recentStderr) {
                        if (recentStderr.size() == RECENT_STDERR_LINES) {
                            recentStderr.removeFirst();
                        }
                        recentStderr.addLast(abbreviate(line.strip()));
                    }
                    log.debug("{}: stderr: {}", server, line);
                }
            }
        } catch (IOException e) {
            // process gone or we closed the stream
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= LOGGED_LINE_CHARS ? s : s.substring(0, LOGGED_LINE_CHARS) + "…";
    }

    private static void join(Thread t, long millis) {
        if (t == null) {
            return;
        }
        try {
            t.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Splits a byte stream at '\n' (dropping a trailing '\r'), decoding UTF-8. A line longer than the
     * bound is read to its end and discarded; {@link #lastLineTooLong()} then says so.
     */
    static final class LineReader {
        private final InputStream in;
        private final int maxLineBytes;
        private final byte[] chunk = new byte[64 * 1024];
        private int chunkPos;
        private int chunkLen;
        private byte[] line = new byte[8 * 1024];
        private int lineLen;
        private boolean tooLong;

        LineReader(InputStream in, int maxLineBytes) {
            this.in = in;
            this.maxLineBytes = maxLineBytes;
        }

        boolean lastLineTooLong() {
            return tooLong;
        }

        /** The next line, or null at end of stream (a last line without '\n' is still returned). */
        String next() throws IOException {
            lineLen = 0;
            tooLong = false;
            boolean any = false;
            while (true) {
                if (chunkPos == chunkLen) {
                    chunkLen = in.read(chunk);
                    chunkPos = 0;
                    if (chunkLen <= 0) {
                        chunkLen = 0;
                        return any ? finish() : null;
                    }
                }
                any = true;
                int start = chunkPos;
                int nl = -1;
                for (int i = chunkPos; i < chunkLen; i++) {
                    if (chunk[i] == '\n') {
                        nl = i;
                        break;
                    }
                }
                int end = nl < 0 ? chunkLen : nl;
                append(start, end - start);
                chunkPos = nl < 0 ? chunkLen : nl + 1;
                if (nl >= 0) {
                    return finish();
                }
            }
        }

        private void append(int from, int n) {
            if (tooLong || n == 0) {
                return;
            }
            if (lineLen + n > maxLineBytes) {
                tooLong = true;
                lineLen = 0;
                if (line.length > 8 * 1024) {
                    line = new byte[8 * 1024];
                }
                return;
            }
            if (lineLen + n > line.length) {
                line = Arrays.copyOf(line, Math.min(maxLineBytes, Math.max(line.length * 2, lineLen + n)));
            }
            System.arraycopy(chunk, from, line, lineLen, n);
            lineLen += n;
        }

        private String finish() {
            if (tooLong) {
                return "";
            }
            int n = lineLen;
            if (n > 0 && line[n - 1] == '\r') {
                n--;
            }
            String s = new String(line, 0, n, StandardCharsets.UTF_8);
            if (line.length > 1024 * 1024) {
                line = new byte[8 * 1024]; // don't keep a huge buffer around after one big message
            }
            return s;
        }
    }
}
