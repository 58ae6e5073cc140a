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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The built server jar, started as a real process and driven by the MCP Java SDK's stdio client, exactly as Claude
 * Desktop would start it: the one way integration tests (and the benchmark) start a server. {@link #builder()} sets
 * the configuration, environment, arguments, JVM options, the host user and the client; {@link Builder#start()}
 * gives a connected server, {@link Builder#processBuilder()} the same command for tests that speak raw stdio or HTTP.
 * Under a container backend's test execution the configuration names that backend ({@link BackendUnderTest}).
 */
public final class SandboxServer implements AutoCloseable {
    private final McpSyncClient client;
    /** The server processes this harness started (a container backend's teardown outlasts the client's close). */
    private List<ProcessHandle> processes = List.of();
    private final List<String> stderr = Collections.synchronizedList(new ArrayList<>());

    private SandboxServer(McpSyncClient client) {
        this.client = client;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts the server with no configuration file (the embedded defaults). */
    public static SandboxServer start() {
        return builder().start();
    }

    /**
     * @param configJson configuration file content, or null for none
     * @param env        extra environment variables for the server process
     */
    public static SandboxServer start(String configJson, Map<String, String> env) {
        return builder().config(configJson).env(env).start();
    }

    /** Starts the server as another host user (the test runs as root): the way most people run it. */
    public static SandboxServer startAsUser(int uid, String configJson) {
        return builder().asUser(uid).config(configJson).start();
    }

    /** The jar under test ({@code -DmcpSandbox.jar}); skips when it is not built or bubblewrap is missing. */
    public static Path jar() {
        String property = System.getProperty("mcpSandbox.jar", "target/mcp-sandbox.jar");
        Path jar = Path.of(property).toAbsolutePath();
        requireOrSkip(Files.exists(jar), "the server jar is not built at " + jar + " (run mvn package)");
        requireOrSkip(Files.isExecutable(Path.of("/usr/bin/bwrap")), "bubblewrap is not installed");
        return jar;
    }

    /** Skips when a prerequisite is missing, unless CI demands the test runs ({@code -Dsandbox.it.required=true}). */
    public static void requireOrSkip(boolean present, String reason) {
        if (!present && Boolean.getBoolean("sandbox.it.required")) {
            throw new AssertionError("required for this test run: " + reason);
        }
        Assumptions.assumeTrue(present, reason);
    }

    public McpSyncClient client() {
        return client;
    }

    /** The server's JVM (for tests that look at its descendants, its environment, or kill it). */
    public ProcessHandle process() {
        if (processes.size() != 1) {
            throw new AssertionError("expected one server process started by this harness, found " + processes);
        }
        return processes.get(0);
    }

    public long pid() {
        return process().pid();
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

    /** This JVM's children whose command line contains {@code marker}. */
    private static List<ProcessHandle> serverProcesses(String marker) {
        return ProcessHandle.current().children()
                .filter(p -> p.info().commandLine().orElse("").contains(marker)).toList();
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

    /** How to start one server; each setter returns the builder. */
    public static final class Builder {
        private String configJson;
        private final Map<String, String> env = new LinkedHashMap<>();
        private final List<String> unsetEnv = new ArrayList<>();
        private final List<String> args = new ArrayList<>();
        private final List<String> jvmArgs = new ArrayList<>();
        private Optional<Integer> uid = Optional.empty();
        private Optional<Path> jar = Optional.empty();
        private List<String> launcher = List.of();
        private boolean applyBackend = true;
        private String clientName = "mcp-sandbox-it";
        private Duration requestTimeout = Duration.ofSeconds(120);
        private Consumer<McpClient.SyncSpec> clientCustomizer = spec -> { };

        private Builder() {
        }

        /** The configuration file's content; null (the default) starts the server without {@code --config}. */
        public Builder config(String json) {
            this.configJson = json;
            return this;
        }

        /** Extra environment variables for the server process (added to this JVM's). */
        public Builder env(Map<String, String> variables) {
            env.putAll(variables);
            return this;
        }

        /** Variables of this JVM's environment the server must not inherit ({@link #env} may set them again). */
        public Builder unsetEnv(String... names) {
            unsetEnv.addAll(List.of(names));
            return this;
        }

        /** Command-line arguments after the jar (and the configuration), e.g. {@code --http 127.0.0.1:0}. */
        public Builder args(String... arguments) {
            args.addAll(List.of(arguments));
            return this;
        }

        /** Options for the server's JVM, before {@code -jar}. */
        public Builder jvmArgs(String... options) {
            jvmArgs.addAll(List.of(options));
            return this;
        }

        /**
         * Runs the server as this host user (through setpriv, from a copy of the jar that user can read), with HOME at
         * /tmp unless {@link #env} says otherwise: the test's own home is root's.
         */
        public Builder asUser(int hostUid) {
            this.uid = Optional.of(hostUid);
            env.putIfAbsent("HOME", "/tmp");
            return this;
        }

        /** Another jar than {@link SandboxServer#jar()} (the benchmark, run from the repository's root). */
        public Builder jar(Path path) {
            this.jar = Optional.of(path);
            return this;
        }

        /** Leaves the configuration as given under a container backend's test execution too. */
        /**
         * Starts the server with this command instead of {@code java -jar} (the server's container image:
         * {@code docker run -i ...}). The command carries all the server needs: a configuration, arguments, JVM
         * options or a user set here as well are refused.
         */
        public Builder launcher(List<String> command) {
            this.launcher = List.copyOf(command);
            return this;
        }

        public Builder withoutBackendUnderTest() {
            this.applyBackend = false;
            return this;
        }

        public Builder clientName(String name) {
            this.clientName = name;
            return this;
        }

        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = timeout;
            return this;
        }

        /** Adds to the SDK client's specification (capabilities, an elicitation handler) before it is built. */
        public Builder client(Consumer<McpClient.SyncSpec> customizer) {
            this.clientCustomizer = customizer;
            return this;
        }

        /** The full command line: setpriv (when another user), java, JVM options, the jar, the configuration, args. */
        public List<String> command() {
            if (!launcher.isEmpty()) {
                if (configJson != null || !args.isEmpty() || !jvmArgs.isEmpty() || uid.isPresent() || jar.isPresent()) {
                    throw new IllegalStateException("a launcher command carries the configuration, arguments, JVM"
                            + " options, user and jar itself");
                }
                return launcher;
            }
            List<String> command = new ArrayList<>();
            uid.ifPresent(u -> {
                requireOrSkip(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv is not installed");
                command.addAll(List.of("/usr/bin/setpriv", "--reuid=" + u, "--regid=" + u, "--clear-groups", "--"));
            });
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmArgs);
            Path theJar = jar.orElseGet(SandboxServer::jar);
            command.addAll(List.of("-jar", (uid.isPresent() ? readableByEveryone(theJar) : theJar).toString()));
            String config = applyBackend ? BackendUnderTest.current().applyTo(configJson) : configJson;
            if (config != null) {
                command.addAll(List.of("--config", configFile(config).toString()));
            }
            command.addAll(args);
            return List.copyOf(command);
        }

        /** The server's process, for a test to redirect and start itself (raw JSON-RPC over stdio, HTTP mode). */
        public ProcessBuilder processBuilder() {
            ProcessBuilder builder = new ProcessBuilder(command());
            unsetEnv.forEach(builder.environment()::remove);
            builder.environment().putAll(env);
            return builder;
        }

        /** Starts the server and connects the SDK's stdio client to it (initialized). */
        public SandboxServer start() {
            if (!unsetEnv.isEmpty()) {
                throw new IllegalStateException("unsetEnv needs processBuilder(): the SDK's stdio transport inherits"
                        + " this JVM's environment");
            }
            List<String> command = command();
            ServerParameters params = ServerParameters.builder(command.get(0)).args(command.subList(1, command.size()))
                    .env(env).build();
            StdioClientTransport transport = new StdioClientTransport(params, McpJsonDefaults.getMapper());
            SandboxServer[] self = new SandboxServer[1];
            List<String> early = Collections.synchronizedList(new ArrayList<>());
            transport.setStdErrorHandler(line -> {
                if (self[0] != null) {
                    self[0].stderr.add(line);
                } else {
                    early.add(line);
                }
            });
            McpClient.SyncSpec spec = McpClient.sync(transport)
                    .clientInfo(new Implementation(clientName, "1"))
                    .requestTimeout(requestTimeout)
                    .initializationTimeout(Duration.ofSeconds(60));
            clientCustomizer.accept(spec);
            McpSyncClient client = spec.build();
            SandboxServer server = new SandboxServer(client);
            self[0] = server;
            server.stderr.addAll(early);
            // The launcher's process is found by its arguments (its executable may be resolved to another path).
            String marker = launcher.isEmpty() ? "mcp-sandbox.jar" : String.join(" ", launcher.subList(1, launcher.size()));
            List<Long> before = serverProcesses(marker).stream().map(ProcessHandle::pid).toList();
            client.initialize();
            server.processes = serverProcesses(marker).stream().filter(p -> !before.contains(p.pid())).toList();
            return server;
        }

        private static Path configFile(String json) {
            try {
                Path config = Files.createTempFile("mcp-sandbox-config", ".json");
                Files.writeString(config, json);
                Files.setPosixFilePermissions(config, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
                config.toFile().deleteOnExit();
                return config;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
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
    }
}
