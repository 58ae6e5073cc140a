package dev.mcpsandbox.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpsandbox.sandbox.backend.scratch.ScratchSpace;
import dev.mcpsandbox.server.distribution.StdioSmoke.Answer;
import dev.mcpsandbox.server.distribution.StdioSmoke;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server's container image (bin/build-server-image, built here from the jar under test) started the way an MCP
 * client starts it, {@code docker run -i --rm}, by the Java SDK's client: in mode (a) with bubblewrap inside the
 * container and only the options README lists, each shown to be needed; in mode (b) with the docker and gvisor
 * backends through the engine's socket mounted in. Runs in the docker-backend execution (it needs the engine).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServerImageIT {
    private static final List<String> MODE_A = ServerImage.MODE_A;

    private ServerImage image;
    private String host;
    private Path workRoot;

    @BeforeAll
    void buildImage() throws Exception {
        image = ServerImage.build("mcp-sandbox/server-it");
        host = image.dockerHost();
        workRoot = Files.createTempDirectory(Path.of("/var/tmp"), "mcp-sandbox-image-it");
    }

    @AfterAll
    void removeWorkRoot() {
        if (workRoot != null) {
            ScratchSpace.deleteTree(workRoot);
        }
    }

    @Test
    void modeA_bubblewrapInsideTheContainer_answers42() throws Exception {
        Answer answer = StdioSmoke.fortyTwo(dockerRun(MODE_A, List.of()), env());
        assertThat(answer.isError()).as(answer.stderr().toString()).isFalse();
        assertThat(answer.stdout()).isEqualTo("42\n");
        assertThat(answer.serverVersion()).isEqualTo(System.getProperty("mcpSandbox.version"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"seccomp=unconfined", "systempaths=unconfined"})
    void modeA_eachExtraOptionIsNeeded(String option) throws Exception {
        List<String> without = new ArrayList<>(MODE_A);
        int at = without.indexOf(option);
        without.remove(at);
        without.remove(at - 1);
        // The self-check's probe sandbox fails: the server refuses to start, says bwrap's own error and what to add.
        ProcessBuilder run = new ProcessBuilder(dockerRun(without, List.of())).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        run.environment().putAll(env());
        Process server = run.start();
        server.getOutputStream().close();  // a server that started anyway ends at EOF, with 0
        String said = new String(server.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(server.waitFor(120, TimeUnit.SECONDS)).as("the server ends by itself").isTrue();
        assertThat(server.exitValue()).as(said).isNotZero();
        assertThat(said).contains("cannot isolate code here").contains("a probe sandbox").contains("bwrap:")
                .contains("--security-opt seccomp=unconfined");
    }

    @ParameterizedTest
    @ValueSource(strings = {"docker", "gvisor"})
    void modeB_containerBackendThroughTheMountedSocket_answers42(String backend) throws Exception {
        String socket = host.substring("unix://".length());
        List<String> options = List.of("--network", "none", "--user", "0",
                "-v", socket + ":/var/run/docker.sock", "-v", workRoot + ":" + workRoot,
                "-e", "MCP_SANDBOX_BACKEND=" + backend, "-e", "MCP_SANDBOX_WORK_ROOT=" + workRoot);
        Answer answer = StdioSmoke.fortyTwo(dockerRun(options, List.of()), env());
        assertThat(answer.isError()).as(answer.stderr().toString()).isFalse();
        assertThat(answer.stdout()).isEqualTo("42\n");
    }

    @Test
    @SuppressWarnings("unchecked")
    void modeA_overStreamableHttpWithAToken_answers42_andTheCodeCannotReachTheSharedLoopback() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        String token = "image-it-token-0123456789abcdef0123456";
        List<String> options = new ArrayList<>(MODE_A);
        // The project's engine has no bridge network to publish a port from (-p): the host's network stands in.
        options.set(options.indexOf("none"), "host");
        options.addAll(List.of("-d", "-e", "MCP_SANDBOX_TOKEN=" + token));
        String container = docker(dockerRun(options, List.of("--http", "127.0.0.1:" + port))).strip();
        try {
            URI base = URI.create("http://127.0.0.1:" + port);
            HttpClient http = HttpClient.newHttpClient();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!healthy(http, base)) {
                assertThat(System.nanoTime()).as("the server in the container answers /healthz").isLessThan(deadline);
                Thread.sleep(200);
            }
            HttpResponse<String> refused = http.send(HttpRequest.newBuilder(base.resolve("/mcp"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).header("Content-Type", "application/json").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).as("no token").isEqualTo(401);
            McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder(base.toString())
                            .endpoint("/mcp").addHttpRequestCustomizer((request, method, uri, body, context) ->
                                    request.header("Authorization", "Bearer " + token)).build())
                    .requestTimeout(Duration.ofSeconds(120)).initializationTimeout(Duration.ofSeconds(60)).build();
            try {
                client.initialize();
                CallToolResult result = client.callTool(CallToolRequest.builder("execute_code")
                        .arguments(Map.of("language", "python", "code", "print(6*7)")).build());
                assertThat(((Map<String, Object>) result.structuredContent()).get("stdout")).isEqualTo("42\n");
                codeCannotReachTheHostLoopback(client);
            } finally {
                client.closeGracefully();
            }
        } finally {
            docker(List.of("docker", "rm", "-f", container));
        }
    }

    /**
     * On the host's network the server shares this host's loopback (the client reached it at 127.0.0.1); the code in
     * its sandbox must not: a listener on this host's 127.0.0.1 accepts nothing from it.
     */
    @SuppressWarnings("unchecked")
    private static void codeCannotReachTheHostLoopback(McpSyncClient client) throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            AtomicInteger accepted = new AtomicInteger();
            Thread acceptor = new Thread(() -> {
                while (!listener.isClosed()) {
                    try (Socket ignored = listener.accept()) {
                        accepted.incrementAndGet();
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "image-it-listener");
            acceptor.setDaemon(true);
            acceptor.start();
            try (Socket positiveControl = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (accepted.get() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
            }
            assertThat(accepted.get()).as("the listener accepts this host's connection (positive control)").isOne();
            accepted.set(0);
            CallToolResult probe = client.callTool(CallToolRequest.builder("execute_code").arguments(Map.of(
                    "language", "python", "code", "import socket\n"
                            + "try:\n"
                            + "    socket.create_connection(('127.0.0.1', " + listener.getLocalPort() + "), timeout=3)\n"
                            + "    print('CONNECTED')\n"
                            + "except OSError as e:\n"
                            + "    print('BLOCKED', type(e).__name__)\n")).build());
            Map<String, Object> r = (Map<String, Object>) probe.structuredContent();
            assertThat(String.valueOf(r.get("stdout"))).as("stderr: %s", r.get("stderr")).startsWith("BLOCKED");
            Thread.sleep(200);
            assertThat(accepted.get()).as("connections from the sandbox").isZero();
        }
    }

    private static boolean healthy(HttpClient http, URI base) {
        try {
            return http.send(HttpRequest.newBuilder(base.resolve("/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Runs a docker command against the engine under test; its output, or a failure with it. */
    private String docker(List<String> command) throws Exception {
        return image.docker(command);
    }

    @Test
    void imageLabels_nameTheRegistryEntryAndThePomVersion() throws Exception {
        ProcessBuilder inspect = new ProcessBuilder("docker", "image", "inspect", image.image(), "--format",
                "{{json .Config.Labels}}").redirectErrorStream(true);
        inspect.environment().putAll(env());
        Process p = inspect.start();
        JsonNode labels = new ObjectMapper().readTree(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        JsonNode serverJson = new ObjectMapper().readTree(Path.of(System.getProperty("mcpSandbox.root", ".."))
                .resolve("server.json").toFile());
        assertThat(labels.path("io.modelcontextprotocol.server.name").asText()).isEqualTo(serverJson.path("name").asText());
        assertThat(labels.path("org.opencontainers.image.version").asText())
                .isEqualTo(System.getProperty("mcpSandbox.version")).isEqualTo(serverJson.path("version").asText());
    }

    private List<String> dockerRun(List<String> options, List<String> serverArgs) {
        return image.run(options, serverArgs);
    }

    private Map<String, String> env() {
        return image.env();
    }
}
