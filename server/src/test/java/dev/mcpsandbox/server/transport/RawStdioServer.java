package dev.mcpsandbox.server.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpsandbox.server.SandboxServer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The built server jar as a real process in stdio mode, driven line by line without the SDK client,
 * so a test can send what a client would never encode (batches, bursts of thousands) and see every line
 * the server writes.
 */
final class RawStdioServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final OutputStream stdin;
    private final BlockingQueue<JsonNode> received = new LinkedBlockingQueue<>();
    private final List<String> stderr = Collections.synchronizedList(new ArrayList<>());

    private RawStdioServer(Process process) {
        this.process = process;
        this.stdin = process.getOutputStream();
    }

    /** Starts the server and completes the initialize handshake. */
    static RawStdioServer start() throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("mcpSandbox.jar", "target/mcp-sandbox.jar")).toAbsolutePath();
        SandboxServer.requireOrSkip(Files.exists(jar), "the server jar is not built at " + jar + " (run mvn package)");
        SandboxServer.requireOrSkip(Files.isExecutable(Path.of("/usr/bin/bwrap")), "bubblewrap is not installed");
        // The transport does not depend on the backend: run once, in the bubblewrap pass (not again with -Dit.test
        // in the docker and gvisor executions).
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("sandbox.backend", "bubblewrap").equals("bubblewrap"),
                "stdio transport tests run in the bubblewrap pass");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString()).start();
        RawStdioServer server = new RawStdioServer(p);
        server.pump();
        server.send("{\"jsonrpc\":\"2.0\",\"id\":\"init\",\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                + "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}");
        server.awaitId("init", Duration.ofSeconds(60));
        server.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
        return server;
    }

    private void pump() {
        Thread out = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    received.add(JSON.readTree(line));
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "raw-stdout");
        Thread err = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    stderr.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "raw-stderr");
        out.setDaemon(true);
        err.setDaemon(true);
        out.start();
        err.start();
    }

    /** Writes one line (a newline is added) and flushes. */
    void send(String line) throws IOException {
        sendAll(List.of(line));
    }

    /** Writes the lines in one go, as a burst. */
    void sendAll(List<String> lines) throws IOException {
        StringBuilder all = new StringBuilder();
        lines.forEach(l -> all.append(l).append('\n'));
        stdin.write(all.toString().getBytes(StandardCharsets.UTF_8));
        stdin.flush();
    }

    /** The next message the server wrote, or null when none came within the time. */
    JsonNode next(Duration within) throws InterruptedException {
        return received.poll(within.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits for the response with this id (string ids), dropping other messages. */
    JsonNode awaitId(String id, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode m = received.poll(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
            if (m != null && id.equals(m.path("id").asText(null)) && (m.has("result") || m.has("error"))) {
                return m;
            }
        }
        throw new AssertionError("no response with id " + id + " within " + within + "; alive=" + process.isAlive()
                + "; stderr tail:\n" + String.join("\n", stderrTail(30)));
    }

    boolean alive() {
        return process.isAlive();
    }

    List<String> stderrTail(int n) {
        synchronized (stderr) {
            return new ArrayList<>(stderr.subList(Math.max(0, stderr.size() - n), stderr.size()));
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
