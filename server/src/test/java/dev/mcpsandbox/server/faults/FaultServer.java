package dev.mcpsandbox.server.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpsandbox.server.SandboxServer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The built jar as a real process for one fault, started the way a client starts it (stdio) or an operator
 * does (HTTP). It owns a fresh work root, turns pooling off (so any sandbox process, directory or cgroup seen
 * after a run belongs to a run that should be gone), records every descendant it ever had, and speaks raw
 * JSON-RPC lines on stdio where the SDK client cannot say what a fault needs (cancels, bursts, a vanishing client).
 */
final class FaultServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LISTENING = Pattern.compile("listening on (http://[^ ]+)");

    private final Process process;
    private final Path workRoot;
    private final Leftovers leftovers;
    private final List<String> stderr = Collections.synchronizedList(new ArrayList<>());
    private final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
    /** Every raw stdout line, so a test can check what went over the wire byte for byte. */
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Map<ProcessHandle, String> descendants = new ConcurrentHashMap<>();
    private final List<JsonNode> seen = Collections.synchronizedList(new ArrayList<>());
    private volatile URI uri;
    private volatile String wireProblem = "";

    private FaultServer(Process process, Path workRoot) {
        this.process = process;
        this.workRoot = workRoot;
        this.leftovers = new Leftovers(process.pid(), workRoot, descendants);
    }

    /**
     * Starts a stdio server with this configuration and initializes it. Its work root is {@code <dir>/work}
     * (a second server started with the same {@code dir} finds what the first one left); the configuration
     * file goes in {@code dir} too.
     */
    static FaultServer stdio(String configJson, Path dir) throws Exception {
        FaultServer server = launch(configJson, dir, List.of());
        server.send("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                + "\"capabilities\":{},\"clientInfo\":{\"name\":\"fault-suite\",\"version\":\"1\"}}}");
        long started = System.nanoTime();
        JsonNode init = server.awaitResponse(0, Duration.ofSeconds(60));
        System.out.printf("[FaultSuiteIT] stdio server %d initialized in %.1f s%n", server.pid(),
                (System.nanoTime() - started) / 1e9);
        if (!init.has("result")) {
            throw new AssertionError("initialize failed: " + init);
        }
        server.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
        return server;
    }

    /** Starts an HTTP server on a free loopback port with these extra options and waits until it listens. */
    static FaultServer http(String configJson, Path dir, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("--http", "127.0.0.1:0"));
        args.addAll(List.of(options));
        FaultServer server = launch(configJson, dir, args);
        long started = System.nanoTime();
        long deadline = started + TimeUnit.SECONDS.toNanos(60);
        while (server.uri == null) {
            if (!server.process.isAlive() || System.nanoTime() > deadline) {
                server.close();
                throw new AssertionError("the server did not listen:\n" + String.join("\n", server.stderrLines()));
            }
            Thread.sleep(50);
        }
        System.out.printf("[FaultSuiteIT] HTTP server %d listening in %.1f s%n", server.pid(),
                (System.nanoTime() - started) / 1e9);
        return server;
    }

    private static FaultServer launch(String configJson, Path dir, List<String> extraArgs) throws IOException {
        Path workRoot = dir.resolve("work");
        // A root server runs each sandbox as another uid, which must be able to pass through to its directory.
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        ObjectNode config = (ObjectNode) JSON.readTree(configJson);
        config.with("execution").put("workRoot", workRoot.toString());
        if (!config.has("pool")) {
            config.putObject("pool");
        }
        Path file = Files.createTempFile(dir, "config-", ".json");
        Files.writeString(file, JSON.writeValueAsString(config));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar().toString(), "--config", file.toString()));
        command.addAll(extraArgs);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().remove("MCP_SANDBOX_TOKEN");
        FaultServer server = new FaultServer(builder.start(), workRoot);
        server.startReaders();
        server.watchDescendants();
        return server;
    }

    private static Path jar() {
        // The suite is about this backend's clean-up; the pom's docker and gvisor executions would only repeat it.
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("sandbox.backend", "bubblewrap").equals("bubblewrap"),
                "the fault suite runs on bubblewrap only");
        Path jar = Path.of(System.getProperty("mcpSandbox.jar", "target/mcp-sandbox.jar")).toAbsolutePath();
        SandboxServer.requireOrSkip(Files.exists(jar), "the server jar is not built at " + jar + " (run mvn package)");
        SandboxServer.requireOrSkip(Files.isExecutable(Path.of("/usr/bin/bwrap")), "bubblewrap is not installed");
        return jar;
    }

    private void startReaders() {
        daemon("fault-server-stderr", () -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    stderr.add(line);
                    Matcher m = LISTENING.matcher(line);
                    if (uri == null && m.find()) {
                        uri = URI.create(m.group(1));
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        daemon("fault-server-stdout", () -> {
            // A strict decoder: a byte that is not UTF-8 on the protocol stream is a fault of its own.
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8.newDecoder()))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                    messages.add(JSON.readTree(line));
                }
            } catch (java.nio.charset.CharacterCodingException | com.fasterxml.jackson.core.JsonProcessingException e) {
                wireProblem = e.toString();
            } catch (IOException ignored) {
                // the process ended, or the test closed our end (a client that went away)
            }
        });
    }

    /** Records the server's descendants every 50 ms while it lives (a dead one drops out of the tree). */
    private void watchDescendants() {
        daemon("fault-server-descendants", () -> {
            while (process.isAlive()) {
                process.toHandle().descendants().forEach(p -> descendants.computeIfAbsent(p, FaultServer::commandLine));
                sleep(50);
            }
        });
    }

    private static void daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
    }

    static String commandLine(ProcessHandle p) {
        return p.info().command().orElse("?") + " " + String.join(" ", p.info().arguments().orElse(new String[0]));
    }

    long pid() {
        return process.pid();
    }

    Process process() {
        return process;
    }

    Path workRoot() {
        return workRoot;
    }

    Leftovers leftovers() {
        return leftovers;
    }

    /** Why reading the protocol stream stopped early (not UTF-8, not JSON), or empty. */
    String wireProblem() {
        return wireProblem;
    }

    /** The base address, {@code http://127.0.0.1:<port>}, without a trailing slash. */
    String base() {
        String s = uri.toString();
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    URI uri(String path) {
        return uri.resolve(path);
    }

    List<String> stderrLines() {
        return List.copyOf(stderr);
    }

    /** Every descendant seen so far, with its command line as it was then. */
    Map<ProcessHandle, String> seenDescendants() {
        return Map.copyOf(descendants);
    }

    void send(String line) throws IOException {
        OutputStream in = process.getOutputStream();
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    /** The answer to request {@code id}; notifications and other answers read meanwhile are kept. */
    JsonNode awaitResponse(int id, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        synchronized (seen) {
            for (JsonNode m : seen) {
                if (isAnswerTo(m, id)) {
                    seen.remove(m);
                    return m;
                }
            }
        }
        while (System.nanoTime() < deadline) {
            JsonNode m = messages.poll(50, TimeUnit.MILLISECONDS);
            if (m == null) {
                continue;
            }
            if (isAnswerTo(m, id)) {
                return m;
            }
            seen.add(m);
        }
        throw new AssertionError("no answer to request " + id + " within " + limit.toSeconds() + " s; server alive: "
                + process.isAlive() + "; stderr tail:\n" + tail());
    }

    /** Every message that arrives within {@code quiet} of the previous one (answers and notifications). */
    List<JsonNode> drain(Duration quiet) throws InterruptedException {
        List<JsonNode> out = new ArrayList<>(seen);
        seen.clear();
        for (JsonNode m; (m = messages.poll(quiet.toMillis(), TimeUnit.MILLISECONDS)) != null; ) {
            out.add(m);
        }
        return out;
    }

    /** The raw stdout lines read so far (the test's view of the wire). */
    List<String> rawLines() {
        List<String> out = new ArrayList<>();
        lines.drainTo(out);
        return out;
    }

    private static boolean isAnswerTo(JsonNode m, int id) {
        return m.path("id").isInt() && m.path("id").asInt() == id && (m.has("result") || m.has("error"));
    }

    String tail() {
        List<String> l = stderrLines();
        return String.join("\n", l.subList(Math.max(0, l.size() - 20), l.size()));
    }

    /** A tools/call of execute_code as one JSON-RPC line. */
    static String executeCode(int id, String language, String code) {
        return executeCode(id, language, code, Map.of());
    }

    static String executeCode(int id, String language, String code, Map<String, Object> extraArguments) {
        ObjectNode call = JSON.createObjectNode().put("jsonrpc", "2.0").put("id", id).put("method", "tools/call");
        ObjectNode params = call.putObject("params").put("name", "execute_code");
        ObjectNode arguments = params.putObject("arguments").put("language", language).put("code", code);
        extraArguments.forEach((k, v) -> arguments.set(k, JSON.valueToTree(v)));
        return call.toString();
    }

    static String cancel(int id) {
        return "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":" + id
                + ",\"reason\":\"fault suite\"}}";
    }

    /** The client vanishes: both ends of its pipes close, as when the client process is killed. */
    void loseClient() {
        try {
            process.getOutputStream().close();
            process.getInputStream().close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    void sigterm() {
        process.toHandle().destroy();
    }

    void sigkill() {
        process.toHandle().destroyForcibly();
    }

    boolean awaitExit(Duration limit) throws InterruptedException {
        return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Ends the server as its client would (stdin closes; SIGTERM in HTTP mode, where stdin is not its client),
     * then by force if it lingers; the work root stays for the checks.
     */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            long stopping = System.nanoTime();
            if (uri != null) {
                sigterm();
            } else {
                loseClient();
            }
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            System.out.printf("[FaultSuiteIT] server %d stopped in %.1f s%n", pid(), (System.nanoTime() - stopping) / 1e9);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
