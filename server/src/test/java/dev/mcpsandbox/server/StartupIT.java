package dev.mcpsandbox.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server answers {@code initialize} before its code runner and upstream MCP servers have started (issue 17,
 * item 5), so these pin the other side of that: a tool call sent at once waits and runs, a runner that cannot
 * start makes every tool call say what failed, and a backend that cannot start still stops the server before it
 * answers anything. Raw JSON-RPC lines over stdio, written in one go as a hurried client writes them.
 */
class StartupIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
            + "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"startup-it\","
            + "\"version\":\"1\"}}}";
    private static final String INITIALIZED = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
    private static final String EXECUTE = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":"
            + "\"execute_code\",\"arguments\":{\"language\":\"python\",\"code\":\"print(6*7)\"}}}";

    @BeforeEach
    void bubblewrapPassOnly() {
        SandboxServer.requireOrSkip(Files.exists(SandboxServer.jar()), "the server jar is not built at " + SandboxServer.jar());
        SandboxServer.requireOrSkip(Files.isExecutable(Path.of("/usr/bin/bwrap")), "bubblewrap is not installed");
        // The order of start-up is the server's, not the backend's: once, in the bubblewrap pass.
        Assumptions.assumeTrue(System.getProperty("sandbox.backend", "bubblewrap").equals("bubblewrap"),
                "start-up order tests run in the bubblewrap pass");
    }

    @Test
    void toolCallSentRightAfterInitialize_waitsForTheUpstreamServersToStart_andGets42(@TempDir Path temp)
            throws Exception {
        // An upstream server that cannot start until the test says so, which it says only after initialize was
        // answered: the old start-up waited up to 20 s for it before answering.
        Path go = temp.resolve("go");
        Path started = temp.resolve("started");
        String upstream = "while [ ! -e " + go + " ]; do sleep 0.1; done; touch " + started;
        String config = JSON.writeValueAsString(java.util.Map.of("mcpServers", java.util.Map.of("gated",
                java.util.Map.of("command", "/bin/sh", "args", List.of("-c", upstream)))));
        try (Server server = Server.start(SandboxServer.builder().config(config).withoutBackendUnderTest())) {
            server.send(INITIALIZE, INITIALIZED, EXECUTE);

            JsonNode initialized = server.next();
            assertThat(initialized.path("id").asInt()).as(initialized.toString()).isEqualTo(1);
            assertThat(initialized.path("result").path("serverInfo").path("name").asText()).isEqualTo("mcp-sandbox");
            assertThat(started).as("the upstream server had not started when initialize was answered").doesNotExist();
            // The call waits for the upstream server's first start (the old start-up gave up on it after 20 s and
            // ran the call at once).
            assertThat(server.lines.poll(2, TimeUnit.SECONDS)).as("an answer while the upstream server starts").isNull();

            Files.createFile(go);
            JsonNode executed = server.next();
            assertThat(executed.path("id").asInt()).as(executed.toString()).isEqualTo(2);
            assertThat(executed.path("result").path("isError").asBoolean()).as(executed.toString()).isFalse();
            assertThat(executed.path("result").path("structuredContent").path("stdout").asText()).isEqualTo("42\n");
            assertThat(started).as("the call ran after the upstream server's first start").exists();
        }
    }

    @Test
    void toolCall_whenTheCodeRunnerCannotStart_answersAnErrorNamingWhatFailed(@TempDir Path temp) throws Exception {
        // The backend works (its work root is configured, and a root server's sandbox users may enter it); the
        // runner's build cache goes under java.io.tmpdir.
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwx--x--x"));
        Path missing = temp.resolve("no-such-dir");
        SandboxServer.Builder builder = SandboxServer.builder()
                .config("{\"execution\":{\"workRoot\":\"" + temp.resolve("work") + "\"}}").withoutBackendUnderTest()
                .jvmArgs("-Djava.io.tmpdir=" + missing);
        try (Server server = Server.start(builder)) {
            server.send(INITIALIZE, INITIALIZED, EXECUTE);

            assertThat(server.next().path("id").asInt()).isEqualTo(1);
            JsonNode executed = server.next();
            assertThat(executed.path("id").asInt()).as(executed.toString()).isEqualTo(2);
            assertThat(executed.path("result").path("isError").asBoolean()).as(executed.toString()).isTrue();
            assertThat(executed.path("result").path("content").path(0).path("text").asText())
                    .contains("could not start its code runner").contains("build cache").contains(missing.toString());
        }

        Process check = builder.args("--check").processBuilder().redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String stderr = new String(check.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(check.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(check.exitValue()).as(stderr).isEqualTo(3);
        assertThat(stderr).contains("could not start its code runner").contains("build cache")
                .doesNotContain("sandbox OK");
    }

    @Test
    void backendThatCannotStart_stopsTheServerBeforeItAnswersInitialize(@TempDir Path temp) throws Exception {
        Path notADirectory = Files.writeString(temp.resolve("a-file"), "not a directory");
        Process p = SandboxServer.builder().config("{\"execution\":{\"workRoot\":\"" + notADirectory + "\"}}")
                .withoutBackendUnderTest().processBuilder().start();
        try (OutputStream in = p.getOutputStream()) {
            in.write((INITIALIZE + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // the server may be gone already, which is what this test expects
        }
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(stderr).isEqualTo(3);
        assertThat(stderr).contains("mcp-sandbox cannot start").contains(notADirectory.toString());
        assertThat(stdout).as("no initialize answer from a server that cannot isolate code").isEmpty();
    }

    /** The server's process with its stdout read line by line as JSON. */
    private static final class Server implements AutoCloseable {
        private final Process process;
        private final BlockingQueue<JsonNode> lines = new LinkedBlockingQueue<>();

        private Server(Process process) {
            this.process = process;
        }

        static Server start(SandboxServer.Builder builder) throws IOException {
            Server server = new Server(builder.processBuilder().redirectError(ProcessBuilder.Redirect.INHERIT).start());
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(server.process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        JsonNode message = JSON.readTree(line);
                        if (message.has("id")) {
                            server.lines.add(message);
                        }
                    }
                } catch (IOException e) {
                    // the process ended
                }
            }, "startup-it-stdout");
            reader.setDaemon(true);
            reader.start();
            return server;
        }

        void send(String... messages) throws IOException {
            OutputStream in = process.getOutputStream();
            in.write((String.join("\n", messages) + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        }

        /** The next response; a loaded machine starts a JVM slowly, so the wait is long. */
        JsonNode next() throws InterruptedException {
            JsonNode message = lines.poll(120, TimeUnit.SECONDS);
            assertThat(message).as("a response within 120 s (server alive: " + process.isAlive() + ")").isNotNull();
            return message;
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }
}
