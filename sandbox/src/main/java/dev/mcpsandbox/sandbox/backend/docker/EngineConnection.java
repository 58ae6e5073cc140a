package dev.mcpsandbox.sandbox.backend.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.RuntimeInfo;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * This server's client of one Docker engine, and the questions asked of the engine itself (is it there, which
 * runtimes and images it has). Opening it connects nothing: an engine that cannot be reached is reported by
 * {@link #unreachable()} at the self-check, with what to do about it.
 *
 * @param client  docker-java's client, for the classes that create, run and remove containers
 * @param address the engine's address, as the operator wrote it ({@code docker.host})
 * @param host    this machine's name, which the {@link Session} label of every container carries
 */
record EngineConnection(DockerClient client, URI address, String host) implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EngineConnection.class);
    /** Containers are created side by side (pool refills, parallel removal at shutdown): never queue on the client. */
    private static final int MAX_CONNECTIONS = 1024;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    static EngineConnection open(String dockerHost) throws SandboxException {
        try {
            URI uri = URI.create(dockerHost);
            DefaultDockerClientConfig clientConfig = new DefaultDockerClientConfig.Builder()
                    .withDockerHost(dockerHost).withDockerTlsVerify(false).build();
            ZerodepDockerHttpClient http = new ZerodepDockerHttpClient.Builder().dockerHost(uri)
                    .maxConnections(MAX_CONNECTIONS).connectionTimeout(CONNECT_TIMEOUT).build();
            return new EngineConnection(DockerClientImpl.getInstance(clientConfig, http), uri, hostName());
        } catch (RuntimeException e) {
            throw new SandboxException("cannot use docker.host \"" + dockerHost + "\": " + e.getMessage(), e);
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** Why the engine does not answer, or empty when it does. */
    Optional<String> unreachable() {
        try {
            client.pingCmd().exec();
            return Optional.empty();
        } catch (RuntimeException e) {
            return Optional.of("cannot reach the Docker engine at " + address + " (" + e.getMessage() + "): start it"
                    + " (bin/docker-engine start starts a private one) or point docker.host at its socket");
        }
    }

    /** The runtimes the engine knows by name (its daemon.json {@code runtimes}, plus runc). */
    Set<String> runtimes() {
        Map<String, RuntimeInfo> runtimes = client.infoCmd().exec().getRuntimes();
        return runtimes == null ? Set.of() : Set.copyOf(runtimes.keySet());
    }

    boolean hasImage(String image) {
        try {
            client.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    /** Never throws: a connection that cannot close cleanly is gone with the server anyway. */
    @Override
    public void close() {
        try {
            client.close();
        } catch (IOException e) {
            log.debug("closing the engine client: {}", e.getMessage());
        }
    }
}
