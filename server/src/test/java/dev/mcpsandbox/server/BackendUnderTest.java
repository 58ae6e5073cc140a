package dev.mcpsandbox.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;

/**
 * Which backend the end-to-end and containment suites run against: one suite, three backends. Failsafe runs the
 * suites once per backend (server/pom.xml: executions {@code docker-backend} and {@code gvisor-backend}) with
 * {@code -Dsandbox.backend=docker|gvisor}; {@link SandboxServer} then writes {@code "backend"} and the engine's
 * socket into every configuration it starts a server with. Without the property: bubblewrap, as configured.
 *
 * <p>The engine is {@code -Dsandbox.docker.host} or {@code MCP_SANDBOX_DOCKER_HOST} (bin/docker-engine's socket by
 * default). A developer machine without an engine skips the docker and gvisor runs; CI sets
 * {@code -Dsandbox.docker.required=true} so that they fail instead.
 */
record BackendUnderTest(String name, Optional<String> dockerHost) {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String DEFAULT_HOST = "unix:///run/mcp-sandbox-docker.sock";

    static BackendUnderTest current() {
        String name = System.getProperty("sandbox.backend", "bubblewrap");
        if (name.equals("bubblewrap")) {
            return new BackendUnderTest(name, Optional.empty());
        }
        String host = System.getProperty("sandbox.docker.host",
                Optional.ofNullable(System.getenv("MCP_SANDBOX_DOCKER_HOST")).orElse(DEFAULT_HOST));
        boolean reachable = reachable(host);
        String reason = "no Docker engine answers at " + host + " for the " + name + " suite (bin/docker-engine start,"
                + " bin/build-images; or set MCP_SANDBOX_DOCKER_HOST)";
        if (!reachable && Boolean.getBoolean("sandbox.docker.required")) {
            throw new AssertionError("required for this test run: " + reason);
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(reachable, reason);
        return new BackendUnderTest(name, Optional.of(host));
    }

    boolean isGvisor() {
        return name.equals("gvisor");
    }

    boolean isBubblewrap() {
        return name.equals("bubblewrap");
    }

    /** The configuration with this backend chosen; a configuration that names a backend itself is left alone. */
    String applyTo(String configJson) {
        if (isBubblewrap()) {
            return configJson;
        }
        try {
            ObjectNode config = configJson == null ? JSON.createObjectNode() : (ObjectNode) JSON.readTree(configJson);
            if (config.has("backend")) {
                return configJson;
            }
            config.put("backend", name);
            ObjectNode docker = config.has("docker") ? (ObjectNode) config.get("docker") : config.putObject("docker");
            if (!docker.has("host")) {
                docker.put("host", dockerHost.orElse(DEFAULT_HOST));
            }
            return JSON.writeValueAsString(config);
        } catch (IOException e) {
            throw new IllegalArgumentException("test configuration is not JSON: " + configJson, e);
        }
    }

    /** Containers (any state) the server process {@code pid} made, by their session label. */
    List<String> containersOf(long pid) {
        String host = dockerHost.orElseThrow();
        try (DockerClient docker = DockerClientImpl.getInstance(
                new DefaultDockerClientConfig.Builder().withDockerHost(host).build(),
                new ZerodepDockerHttpClient.Builder().dockerHost(java.net.URI.create(host)).build())) {
            return docker.listContainersCmd().withShowAll(true).withLabelFilter(List.of("dev.mcpsandbox.session")).exec()
                    .stream().filter(c -> c.getLabels().get("dev.mcpsandbox.session").contains("/" + pid + "/"))
                    .map(Container::getId).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean reachable(String host) {
        if (!host.startsWith("unix://")) {
            return true;
        }
        Path socket = Path.of(host.substring("unix://".length()));
        if (!Files.exists(socket)) {
            return false;
        }
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
