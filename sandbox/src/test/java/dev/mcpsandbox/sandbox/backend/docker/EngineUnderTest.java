package dev.mcpsandbox.sandbox.backend.docker;

import dev.mcpsandbox.config.DockerConfig;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The Docker engine the container backends' tests run against, found as server's {@code BackendUnderTest} finds it:
 * {@code -Dsandbox.docker.host}, else {@code MCP_SANDBOX_DOCKER_HOST}, else bin/docker-engine's socket. Without an
 * engine there the tests skip, saying so; with {@code -Dsandbox.docker.required=true} (CI) they fail instead.
 */
final class EngineUnderTest {
    static final String DEFAULT_HOST = "unix:///run/mcp-sandbox-docker.sock";

    private EngineUnderTest() {
    }

    /** The engine's configuration (the default image), or a skipped test. */
    static DockerConfig requireEngine(String suite) {
        String host = System.getProperty("sandbox.docker.host",
                Optional.ofNullable(System.getenv("MCP_SANDBOX_DOCKER_HOST")).orElse(DEFAULT_HOST));
        String reason = "no Docker engine answers at " + host + " for the " + suite + " suite (bin/docker-engine start,"
                + " bin/build-images; or set MCP_SANDBOX_DOCKER_HOST)";
        boolean reachable = reachable(host);
        if (!reachable && Boolean.getBoolean("sandbox.docker.required")) {
            throw new AssertionError("required for this test run: " + reason);
        }
        Assumptions.assumeTrue(reachable, reason);
        return new DockerConfig(host, DockerConfig.DEFAULTS.image(), Map.of(), DockerConfig.DEFAULTS.gvisorRuntime(),
                DockerConfig.DEFAULTS.cpus());
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
