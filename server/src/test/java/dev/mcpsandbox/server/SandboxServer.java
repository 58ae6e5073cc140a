package dev.mcpsandbox.server;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.Implementation;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The built server jar, started as a real process and driven by the MCP Java SDK's stdio client,
 * exactly as Claude Desktop would start it. Integration tests share this harness.
 */
public final class SandboxServer implements AutoCloseable {
    private final McpSyncClient client;
    /** The server processes this harness started (a container backend's teardown outlasts the client's close). */
    private List<ProcessHandle> processes = List.of();
    private final List<String> stderr = java.util.Collections.synchronizedList(new ArrayList<>());

    private SandboxServer(McpSyncClient client) {
        this.client = client;
    }

    /** Starts the server with no configuration file (the embedded defaults). */
    public static SandboxServer start() {
        return start(null, Map.of());
    }

    /**
     * @param configJson configuration file content, or null for none
     * @param env        extra environment variables for the server process
     */
    public static SandboxServer start(String configJson, Map<String, String> env) {
        return start(configJson, env, List.of());
    }

    /** Starts the server as another host user (the test runs as root): the way most people run it. */
    public static SandboxServer startAsUser(int uid, String configJson) {
        requireOrSkip(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv is not installed");
        return start(configJson, Map.of("HOME", "/tmp"), List.of("/usr/bin/setpriv", "--reuid=" + uid, "--regid=" + uid,
                "--clear-groups", "--"));
    }

    private static SandboxServer start(String configJson, Map<String, String> env, List<String> prefix) {
        Path jar = prefix.isEmpty() ? jar() : readableByEveryone(jar());
        configJson = BackendUnderTest.current().applyTo(configJson);
        List<String> args = new ArrayList<>(prefix.isEmpty() ? List.of() : prefix.subList(1, prefix.size()));
        if (!prefix.isEmpty()) {
            args.add(javaBinary());
        }
        args.addAll(List.of("-jar", jar.toString()));
        if (configJson != null) {
            try {
                Path config = Files.createTempFile("mcp-sandbox-config", ".json");
                Files.writeString(config, configJson);
                Files.setPosixFilePermissions(config, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
                config.toFile().deleteOnExit();
                args.add("--config");
                args.add(config.toString());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        String command = prefix.isEmpty() ? javaBinary() : prefix.get(0);
        ServerParameters params = ServerParameters.builder(command).args(args).env(env).build();
        StdioClientTransport transport = new StdioClientTransport(params, McpJsonDefaults.getMapper());
        SandboxServer[] self = new SandboxServer[1];
        List<String> early = java.util.Collections.synchronizedList(new ArrayList<>());
        transport.setStdErrorHandler(line -> {
            if (self[0] != null) {
                self[0].stderr.add(line);
            } else {
                early.add(line);
            }
        });
        McpSyncClient client = McpClient.sync(transport)
                .clientInfo(new Implementation("mcp-sandbox-it", "1"))
                .requestTimeout(Duration.ofSeconds(120))
                .initializationTimeout(Duration.ofSeconds(60))
                .build();
        SandboxServer server = new SandboxServer(client);
        self[0] = server;
        server.stderr.addAll(early);
        List<Long> before = serverProcesses().stream().map(ProcessHandle::pid).toList();
        client.initialize();
        server.processes = serverProcesses().stream().filter(p -> !before.contains(p.pid())).toList();
        return server;
    }

    static Path jar() {
        String property = System.getProperty("mcpSandbox.jar", "target/mcp-sandbox.jar");
        Path jar = Path.of(property).toAbsolutePath();
        requireOrSkip(Files.exists(jar), "the server jar is not built at " + jar + " (run mvn package)");
        requireOrSkip(Files.isExecutable(Path.of("/usr/bin/bwrap")), "bubblewrap is not installed");
        return jar;
    }

    /** A copy another user can read wherever the checkout lives (CI may clone under a private home). */
    private static Path readableByEveryone(Path jar) {
        try {
            Path dir = Files.createTempDirectory("mcp-sandbox-jar");
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Path copy = Files.copy(jar, dir.resolve("mcp-sandbox.jar"));
            Files.setPosixFilePermissions(copy, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            copy.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            return copy;
        } catch (IOException e) {
            throw new IllegalStateException("cannot copy the server jar for another user", e);
        }
    }

    /** Skips when a prerequisite is missing, unless CI demands the test runs ({@code -Dsandbox.it.required=true}). */
    public static void requireOrSkip(boolean present, String reason) {
        if (!present && Boolean.getBoolean("sandbox.it.required")) {
            throw new AssertionError("required for this test run: " + reason);
        }
        Assumptions.assumeTrue(present, reason);
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    public McpSyncClient client() {
        return client;
    }

    public CallToolResult call(String tool, Map<String, Object> arguments) {
        return client.callTool(CallToolRequest.builder(tool).arguments(arguments).build());
    }

    /** Runs code and returns the structured result. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> execute(Map<String, Object> arguments) {
        CallToolResult result = call("execute_code", arguments);
        return (Map<String, Object>) result.structuredContent();
    }

    public Map<String, Object> execute(String language, String code) {
        return execute(Map.of("language", language, "code", code));
    }

    public static String text(CallToolResult result) {
        return result.content().stream().filter(c -> c instanceof TextContent).map(c -> ((TextContent) c).text())
                .reduce("", String::concat);
    }

    public List<String> stderrLines() {
        return List.copyOf(stderr);
    }

    private static List<ProcessHandle> serverProcesses() {
        return ProcessHandle.current().children()
                .filter(p -> p.info().commandLine().orElse("").contains("mcp-sandbox.jar")).toList();
    }

    /** Closes the client and waits (up to 60 s) until the server process has exited, so tests never see two. */
    @Override
    public void close() {
        client.closeGracefully();
        for (ProcessHandle p : processes) {
            try {
                p.onExit().get(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                // still tearing down: the next test's own checks will say so
            }
        }
    }
}
