package dev.mcpsandbox.sandbox.language.session;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpsandbox.sandbox.language.Language;
import dev.mcpsandbox.sandbox.language.LanguageCatalog;
import dev.mcpsandbox.sandbox.language.SessionKernel;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The real session agent (session/agent.py) and the real kernels, run with the host's python3 outside any sandbox:
 * the guest directory /opt/mcp-sandbox and the work directory /workspace are directories under {@code root}
 * (the agent's MCP_SESSION_WORKSPACE; the JavaScript kernel's MCP_SESSION_JS_GLOBALS), and the paths in the
 * kernels' commands are moved there. Speaks the agent's protocol (its header) frame by frame.
 */
final class AgentOutsideSandbox implements AutoCloseable {
    /** Generous: kernels start in about half a second, but the machine is shared and loaded. */
    static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final String GUEST = "/opt/mcp-sandbox/";
    private static final String WORKSPACE = "/workspace/";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path guest;
    private final Path workspace;
    private final Process agent;
    private final OutputStream commands;
    private final BlockingQueue<JsonNode> ends = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> printed = new LinkedBlockingQueue<>();
    private final Map<Long, ByteArrayOutputStream[]> output = new java.util.concurrent.ConcurrentHashMap<>();
    private final Thread reader;

    /** What the agent said when a call ended, with what the call printed. */
    record End(long call, Integer code, Integer signal, String kernel, boolean fresh, Optional<String> result,
               String stdout, String stderr, List<String> globals) {
    }

    AgentOutsideSandbox(Path root, Language... languages) throws IOException {
        this(root, List.of("python3", "-u"), languages);
    }

    /**
     * The agent started as {@code python3 -E -s -B -u}, the way a sandbox starts it and Python's kernel command reads,
     * so the agent forks itself into that kernel instead of starting a new interpreter (see the agent's header).
     */
    static AgentOutsideSandbox forkingPythonKernels(Path root, Language... languages) throws IOException {
        return new AgentOutsideSandbox(root, List.of("python3", "-E", "-s", "-B", "-u"), languages);
    }

    private AgentOutsideSandbox(Path root, List<String> interpreter, Language... languages) throws IOException {
        guest = Files.createDirectories(root.resolve("opt"));
        workspace = Files.createDirectories(root.resolve("workspace"));
        Path agentScript = root.resolve("agent.py");
        try (InputStream in = Language.class.getResourceAsStream("/dev/mcpsandbox/sandbox/session/agent.py")) {
            Files.write(agentScript, in.readAllBytes());
        }
        for (Language language : languages) {
            for (Map.Entry<String, String> file : language.guestFiles().entrySet()) {
                Path target = guest.resolve(file.getKey());
                Files.createDirectories(target.getParent());
                Files.writeString(target, file.getValue());
            }
        }
        List<String> command = new java.util.ArrayList<>(interpreter);
        command.add(agentScript.toString());
        ProcessBuilder builder = new ProcessBuilder(command).directory(workspace.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("MCP_SESSION_WORKSPACE", workspace.toString());
        builder.environment().put("MCP_SESSION_JS_GLOBALS", guest.resolve("js/globals.mjs").toString());
        agent = builder.start();
        commands = agent.getOutputStream();
        DataInputStream frames = new DataInputStream(agent.getInputStream());
        reader = new Thread(() -> readFrames(frames), "agent-frames");
        reader.setDaemon(true);
        reader.start();
    }

    static Language language(String id) {
        return LanguageCatalog.of(Map.of(id, "test"), "/usr/bin").find(id).orElseThrow().language();
    }

    Path workspace() {
        return workspace;
    }

    /** A path of the sandbox's view (/opt/mcp-sandbox/..., /workspace/...) as this host sees it. */
    String hostPath(String sandboxPath) {
        if (sandboxPath.startsWith(GUEST)) {
            return guest.resolve(sandboxPath.substring(GUEST.length())).toString();
        }
        if (sandboxPath.startsWith(WORKSPACE)) {
            return workspace.resolve(sandboxPath.substring(WORKSPACE.length())).toString();
        }
        return sandboxPath;
    }

    /** Writes the kernel's file with {@code code} and sends the run; the call goes on in the background. */
    void start(long call, SessionKernel kernel, String code, String stdin) throws IOException {
        Path file = Path.of(hostPath(kernel.file()));
        Files.createDirectories(file.getParent());
        Files.writeString(file, code);
        startWritten(call, kernel, stdin);
    }

    /** Sends the run of the kernel's file as it is (a compiler wrote it). */
    void startWritten(long call, SessionKernel kernel, String stdin) throws IOException {
        ObjectNode run = JSON.createObjectNode().put("op", "run").put("call", call).put("mode", "kernel")
                .put("key", kernel.key()).put("file", hostPath(kernel.file()))
                .put("stdin", Base64.getEncoder().encodeToString(stdin.getBytes(StandardCharsets.UTF_8)));
        kernel.argv().stream().map(this::hostPath).forEach(run.putArray("argv")::add);
        send(run);
    }

    /** Runs {@code argv} (paths moved) as a new process of the session, the way languages without a kernel run. */
    void startProcess(long call, List<String> argv, String stdin) throws IOException {
        ObjectNode run = JSON.createObjectNode().put("op", "run").put("call", call).put("mode", "process")
                .put("input", Base64.getEncoder().encodeToString(stdin.getBytes(StandardCharsets.UTF_8)));
        argv.stream().map(this::hostPath).forEach(run.putArray("argv")::add);
        send(run);
    }

    End run(long call, SessionKernel kernel, String code) throws Exception {
        return run(call, kernel, code, "");
    }

    End run(long call, SessionKernel kernel, String code, String stdin) throws Exception {
        start(call, kernel, code, stdin);
        return awaitEnd(call);
    }

    void interrupt(long call) throws IOException {
        send(JSON.createObjectNode().put("op", "interrupt").put("call", call));
    }

    void kill(long call) throws IOException {
        send(JSON.createObjectNode().put("op", "kill").put("call", call));
    }

    /** Waits until the running calls have printed {@code text} on stdout (so the code is running). */
    void awaitPrinted(String text) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        StringBuilder seen = new StringBuilder();
        while (!seen.toString().contains(text)) {
            String chunk = printed.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (chunk == null) {
                throw new AssertionError("not printed within " + DEADLINE + ": " + text + " (printed: " + seen + ")");
            }
            seen.append(chunk);
        }
    }

    End awaitEnd(long call) throws InterruptedException {
        JsonNode end = ends.poll(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        if (end == null) {
            throw new AssertionError("call " + call + " did not end within " + DEADLINE);
        }
        if (end.get("exit").asLong() != call) {
            throw new AssertionError("expected the end of call " + call + ", got " + end);
        }
        ByteArrayOutputStream[] streams = output.remove(call);
        return new End(call, end.get("code").isNull() ? null : end.get("code").asInt(),
                end.get("signal").isNull() ? null : end.get("signal").asInt(), end.get("kernel").asText(),
                end.path("fresh").asBoolean(false),
                end.has("result") ? Optional.of(end.get("result").asText()) : Optional.empty(),
                streams == null ? "" : streams[0].toString(StandardCharsets.UTF_8),
                streams == null ? "" : streams[1].toString(StandardCharsets.UTF_8),
                end.has("globals") ? JSON.convertValue(end.get("globals"), new TypeReference<List<String>>() { })
                        : List.of());
    }

    private synchronized void send(JsonNode command) throws IOException {
        commands.write((JSON.writeValueAsString(command) + "\n").getBytes(StandardCharsets.UTF_8));
        commands.flush();
    }

    private void readFrames(DataInputStream in) {
        try {
            while (true) {
                String header = readLine(in);
                if (header == null) {
                    return;
                }
                JsonNode frame = JSON.readTree(header);
                byte[] payload = new byte[frame.path("n").asInt(0)];
                in.readFully(payload);
                if (frame.has("out")) {
                    ByteArrayOutputStream[] streams = output.computeIfAbsent(frame.get("out").asLong(),
                            k -> new ByteArrayOutputStream[] {new ByteArrayOutputStream(), new ByteArrayOutputStream()});
                    streams[frame.get("fd").asInt() - 1].write(payload);
                    if (frame.get("fd").asInt() == 1) {
                        printed.add(new String(payload, StandardCharsets.UTF_8));
                    }
                } else if (frame.has("exit")) {
                    ends.add(frame);
                }
            }
        } catch (IOException e) {
            // the agent ended: calls still waiting fail on their deadline
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                return null;
            }
            line.write(b);
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws Exception {
        commands.close(); // the agent kills its kernels and exits
        if (!agent.waitFor(10, TimeUnit.SECONDS)) {
            agent.destroyForcibly().waitFor();
        }
        reader.join(5000);
    }
}
