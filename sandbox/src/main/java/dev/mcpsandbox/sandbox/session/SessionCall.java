package dev.mcpsandbox.sandbox.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpsandbox.sandbox.backend.Launcher;
import dev.mcpsandbox.sandbox.backend.RunLimits;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.language.SessionKernel;
import dev.mcpsandbox.sandbox.output.Harvest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One call in a session's live sandbox, seen by the run as the single-use sandbox it would otherwise get: files go
 * in and out through the agent, output arrives from its frames, and {@link #kill()} stops this call, not the
 * sandbox. A kernel is interrupted first (its state kept) and killed only when it does not stop within a grace; an
 * agent that does not answer at all costs the session its sandbox.
 */
final class SessionCall implements Sandbox {
    /** How long a kernel gets to stop after its interrupt before it is killed with its state. */
    static final Duration INTERRUPT_GRACE = Duration.ofSeconds(2);
    /** How long a killed kernel gets to be reported gone before the whole sandbox is. */
    private static final Duration KILL_GRACE = Duration.ofSeconds(3);
    private static final Duration FILE_WORK = Duration.ofSeconds(30);

    private final LiveSession session;
    private final Sandbox sandbox;
    private final AgentChannel agent;
    private final CallSink sink;
    private final Optional<SessionKernel> kernel;
    private final List<String> processCommand;
    private final ScheduledExecutorService timers;
    private final AtomicBoolean stopping = new AtomicBoolean();

    /**
     * @param kernel         the kernel that runs the call, or empty for a new process per call
     * @param processCommand the process's command, launcher included (read when {@code kernel} is empty)
     */
    SessionCall(LiveSession session, Sandbox sandbox, AgentChannel agent, long call, Optional<SessionKernel> kernel,
                List<String> processCommand, ScheduledExecutorService timers) {
        this.session = session;
        this.sandbox = sandbox;
        this.agent = agent;
        this.sink = new CallSink(call);
        this.kernel = kernel;
        this.processCommand = List.copyOf(processCommand);
        this.timers = timers;
    }

    Optional<SessionKernel> kernel() {
        return kernel;
    }

    /** How the call ended, once it has. */
    Optional<CallSink.End> end() {
        return sink.end().isDone() ? Optional.of(sink.end().join()) : Optional.empty();
    }

    @Override
    public Path workDir() {
        return sandbox.workDir();
    }

    @Override
    public Path bridgeDir() {
        return sandbox.bridgeDir();
    }

    @Override
    public void writeFile(String relativePath, byte[] content, boolean executable) throws IOException {
        ObjectNode op = op("write").put("path", relativePath).put("data", Base64.getEncoder().encodeToString(content))
                .put("exec", executable);
        ask(op, 0);
    }

    @Override
    public void createDirectory(String relativePath) throws IOException {
        ask(op("mkdir").put("path", relativePath), 0);
    }

    @Override
    public Harvest.Result harvest(Harvest harvest) throws IOException {
        long budget = harvest.inlineBytesTotal() + 4096L * harvest.maxFiles();
        JsonNode answer;
        byte[] payload;
        try {
            AgentChannel.Answer got = agent.ask(op("harvest").put("dir", harvest.directory())
                    .put("maxFiles", harvest.maxFiles()).put("each", harvest.inlineBytesEach())
                    .put("total", harvest.inlineBytesTotal()), budget, FILE_WORK);
            answer = got.header();
            payload = got.payload();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while collecting " + harvest.directory() + "/", e);
        }
        List<Harvest.Listed> listed = new ArrayList<>();
        int offset = 0;
        for (JsonNode f : answer.path("files")) {
            int n = f.path("n").asInt(-1);
            if (n < 0 || offset + n > payload.length) {
                throw new IOException("the agent's list of " + harvest.directory() + "/ does not match its bytes");
            }
            byte[] bytes = java.util.Arrays.copyOfRange(payload, offset, offset + n);
            offset += n;
            listed.add(new Harvest.Listed(f.path("path").asText(""), f.path("size").asLong(-1),
                    f.path("exec").asBoolean(false), bytes, f.path("whole").asBoolean(false)));
        }
        return harvest.fromListing(listed, answer.path("omitted").asInt(0));
    }

    private void ask(ObjectNode op, long payloadLimit) throws IOException {
        try {
            agent.ask(op, payloadLimit, FILE_WORK);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the session's agent worked on a file", e);
        }
    }

    private static ObjectNode op(String name) {
        return JsonNodeFactory.instance.objectNode().put("op", name);
    }

    @Override
    public void begin(RunLimits limits, byte[] stdin) throws IOException {
        agent.attach(sink);
        ObjectNode run = op("run").put("call", sink.call());
        if (kernel.isPresent()) {
            run.put("mode", "kernel").put("key", kernel.get().key()).put("file", kernel.get().file())
                    .put("stdin", Base64.getEncoder().encodeToString(stdin));
            kernel.get().argv().forEach(run.putArray("argv")::add);
        } else {
            ByteArrayOutputStream input = new ByteArrayOutputStream();
            input.writeBytes(Launcher.goLine(limits).getBytes(StandardCharsets.US_ASCII));
            input.writeBytes(stdin);
            run.put("mode", "process").put("input", Base64.getEncoder().encodeToString(input.toByteArray()));
            processCommand.forEach(run.putArray("argv")::add);
        }
        agent.send(run);
    }

    @Override
    public OutputStream beginSession(RunLimits limits) throws IOException {
        throw new IOException("a session's call cannot hold a session of its own");
    }

    @Override
    public InputStream stdout() {
        return sink.stdout();
    }

    @Override
    public InputStream stderr() {
        return sink.stderr();
    }

    @Override
    public Optional<Integer> awaitExit(Duration timeout) throws InterruptedException {
        try {
            return sink.end().get(timeout.toNanos(), TimeUnit.NANOSECONDS).exitStatus();
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            return Optional.empty();
        }
    }

    /** The call's output ends with its end frame, after the agent forwarded everything printed before it. */
    @Override
    public boolean awaitGone(Duration limit) throws InterruptedException {
        try {
            sink.end().get(limit.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return false;
        }
    }

    @Override
    public boolean alive() {
        return !sink.end().isDone();
    }

    /**
     * Stops this call: a kernel gets SIGINT and {@link #INTERRUPT_GRACE} to stop with its state; then it is killed
     * (its state lost, said on the next call); an agent that still reports nothing loses the session its sandbox.
     */
    @Override
    public void kill() {
        if (sink.end().isDone() || !stopping.compareAndSet(false, true)) {
            return;
        }
        command("interrupt");
        if (kernel.isEmpty()) {
            later(this::giveUpOnAgent, KILL_GRACE);
            return;
        }
        later(() -> {
            if (!sink.end().isDone()) {
                session.kernelLost(kernel.get().key(), "the " + kernel.get().key() + " interpreter did not stop within "
                        + INTERRUPT_GRACE.toSeconds() + " s of its interrupt and was killed");
                command("kill");
                later(this::giveUpOnAgent, KILL_GRACE);
            }
        }, INTERRUPT_GRACE);
    }

    /** The server is stopping when the timers are gone: then the sandbox goes at once. */
    private void later(Runnable step, Duration delay) {
        try {
            timers.schedule(step, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            sandbox.kill();
            sink.lost("the server is stopping");
        }
    }

    private void giveUpOnAgent() {
        if (!sink.end().isDone()) {
            sandbox.kill();
            sink.lost("the session's agent did not stop the call");
        }
    }

    private void command(String what) {
        try {
            agent.send(op(what).put("call", sink.call()));
        } catch (IOException e) {
            sandbox.kill();
            sink.lost("the session's agent stopped reading (" + e.getMessage() + ")");
        }
    }

    @Override
    public EndSignals endSignals() {
        return sandbox.endSignals();
    }

    /** The run is done with this call; the turn that made it does the session's bookkeeping (see Turn). */
    @Override
    public void close() {
        kill();
    }

    @Override
    public String toString() {
        return session.key.name() + "#" + sink.call();
    }
}
