package dev.mcpsandbox.sandbox.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpsandbox.sandbox.backend.RunLimits;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The host's end of a session agent's stdin and stdout (protocol: the header of session/agent.py). One reader
 * thread takes the agent's frames apart: output and ends go to the running call, answers to whoever asked. The
 * agent runs beside the code, so whatever it says is bounded and checked here: a line too long, a payload larger
 * than announced bounds, anything that is not the protocol breaks the channel, which ends the session's sandbox.
 */
final class AgentChannel implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AgentChannel.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_HEADER = 64 * 1024;
    private static final int MAX_OUTPUT_CHUNK = 1 << 20;
    private static final Duration READY_WITHIN = Duration.ofSeconds(30);

    private final String name;
    private final Sandbox sandbox;
    private final OutputStream commands;
    private final InputStream frames;
    private final Map<Long, CompletableFuture<Answer>> answers = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final CompletableFuture<String> broken = new CompletableFuture<>();
    private volatile Optional<CallSink> current = Optional.empty();
    private volatile long maxAnswerBytes = 64L << 20;

    /** An answer to a file operation: its header and its payload. */
    record Answer(JsonNode header, byte[] payload) {
    }

    private AgentChannel(String name, Sandbox sandbox, OutputStream commands) {
        this.name = name;
        this.sandbox = sandbox;
        this.commands = commands;
        this.frames = new BufferedInputStream(sandbox.stdout(), 1 << 16);
    }

    /** Sends the go line to a sandbox whose command is the agent, and waits until it says it is ready. */
    static AgentChannel open(String name, Sandbox sandbox, RunLimits limits) throws IOException, InterruptedException {
        AgentChannel channel = new AgentChannel(name, sandbox, sandbox.beginSession(limits));
        Thread reader = new Thread(channel::readFrames, "session-agent-" + name);
        reader.setDaemon(true);
        reader.start();
        Thread errors = new Thread(channel::logStderr, "session-agent-stderr-" + name);
        errors.setDaemon(true);
        errors.start();
        try {
            channel.ready.get(READY_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            channel.close();
            throw new IOException("the session's agent did not start: " + channel.brokenReason().orElse(
                    "no answer within " + READY_WITHIN.toSeconds() + " s"));
        }
        return channel;
    }

    /** Why the channel no longer works; empty while it does. */
    Optional<String> brokenReason() {
        return broken.isDone() ? Optional.of(broken.join()) : Optional.empty();
    }

    /** Output and the end of {@code sink}'s call go to it from now on. */
    void attach(CallSink sink) {
        current = Optional.of(sink);
        brokenReason().ifPresent(sink::lost);
    }

    void send(ObjectNode command) throws IOException {
        byte[] line = (JSON.writeValueAsString(command) + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (commands) {
            commands.write(line);
            commands.flush();
        }
    }

    /** Sends a file operation and waits for its answer; {@code payloadLimit} bounds what the answer may carry. */
    Answer ask(ObjectNode operation, long payloadLimit, Duration limit) throws IOException, InterruptedException {
        long id = ids.incrementAndGet();
        operation.put("id", id);
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        answers.put(id, answer);
        maxAnswerBytes = payloadLimit;
        try {
            send(operation);
            Answer got = answer.get(limit.toMillis(), TimeUnit.MILLISECONDS);
            if (got.header().hasNonNull("error")) {
                throw new IOException(got.header().get("error").asText());
            }
            return got;
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("the session's agent did not answer within " + limit.toSeconds() + " s");
        } finally {
            answers.remove(id);
        }
    }

    private void readFrames() {
        try {
            while (true) {
                Optional<String> line = readLine();
                if (line.isEmpty()) {
                    breakWith("the session's sandbox ended");
                    return;
                }
                frame(JSON.readTree(line.get()));
            }
        } catch (IOException | RuntimeException e) {
            breakWith("the session's agent broke its protocol (" + e.getMessage() + ")");
        }
    }

    private void frame(JsonNode header) throws IOException {
        if (header.has("out")) {
            int n = header.path("n").asInt(-1);
            if (n < 0 || n > MAX_OUTPUT_CHUNK) {
                throw new IOException("an output frame of " + n + " bytes");
            }
            byte[] data = frames.readNBytes(n);
            Optional<CallSink> sink = current.filter(s -> s.call() == header.path("out").asLong());
            sink.ifPresent(s -> s.output(header.path("fd").asInt(), data));
        } else if (header.has("exit")) {
            current.filter(s -> s.call() == header.path("exit").asLong()).ifPresent(s -> s.ended(header));
        } else if (header.has("ack")) {
            long n = header.path("n").asLong(0);
            if (n < 0 || n > maxAnswerBytes) {
                throw new IOException("an answer of " + n + " bytes");
            }
            byte[] payload = frames.readNBytes((int) n);
            CompletableFuture<Answer> waiting = answers.get(header.path("ack").asLong());
            if (waiting != null) {
                waiting.complete(new Answer(header, payload));
            }
        } else if (header.path("ready").asBoolean(false)) {
            ready.complete(null);
        } else {
            throw new IOException("an unknown frame");
        }
    }

    /** A line up to MAX_HEADER bytes, without its newline; empty at the end of the stream. */
    private Optional<String> readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(256);
        while (true) {
            int b = frames.read();
            if (b < 0) {
                return Optional.empty();
            }
            if (b == '\n') {
                return Optional.of(line.toString(StandardCharsets.UTF_8));
            }
            if (line.size() >= MAX_HEADER) {
                throw new IOException("a header line over " + MAX_HEADER + " bytes");
            }
            line.write(b);
        }
    }

    private void logStderr() {
        try (InputStream err = sandbox.stderr()) {
            byte[] buffer = new byte[8192];
            int n;
            while ((n = err.read(buffer)) > 0) {
                log.debug("{}: agent stderr: {}", name, new String(buffer, 0, n, StandardCharsets.UTF_8).strip());
            }
        } catch (IOException e) {
            // the sandbox ended
        }
    }

    private void breakWith(String reason) {
        if (broken.complete(reason)) {
            log.debug("{}: {}", name, reason);
        }
        ready.completeExceptionally(new IOException(reason));
        answers.values().forEach(a -> a.completeExceptionally(new IOException(reason)));
        current.ifPresent(s -> s.lost(broken.join()));
    }

    /** Ends the agent's input (it then stops its children and exits); the sandbox's close does the rest. */
    @Override
    public void close() {
        try {
            commands.close();
        } catch (IOException e) {
            // already gone
        }
        breakWith("the session ended");
    }
}
