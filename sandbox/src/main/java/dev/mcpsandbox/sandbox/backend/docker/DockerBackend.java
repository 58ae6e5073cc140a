package dev.mcpsandbox.sandbox.backend.docker;

import dev.mcpsandbox.config.DockerConfig;
import dev.mcpsandbox.sandbox.backend.BackendHealth;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxBackend;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import dev.mcpsandbox.sandbox.backend.scratch.GuestDirectory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The docker and gvisor backends: each sandbox is one container, created and started ahead of the go line
 * like a bubblewrap sandbox, so the warm pool and every language work unchanged. Hardening (see
 * {@link ContainerSpecs}): no network, read-only root, non-root user, no capabilities, no-new-privileges,
 * a seccomp profile, memory/pids/CPU caps, ulimits; the work directory, /tmp and the bridge directory are host
 * directories on the sandbox's size-capped scratch filesystem, bound in. What differs between runc and gVisor's
 * runsc, a user-space kernel between the code and the host, is the {@link ContainerRuntime}'s.
 *
 * <p>One class per step of a backend's life: {@link EngineConnection} reaches the engine, {@link StartupProbe}
 * checks it before the server serves, {@link ContainerFactory} creates the containers and removes what is left
 * of them at shutdown.
 *
 * <p>Every container carries this server's {@link Session} label; containers of servers that died are
 * removed when a server starts and every {@link #SWEEP_PERIOD} after ({@link OrphanSweeper}: a request a dying
 * server had in flight can still create or leave a container after the next server's first sweep), and this
 * server removes its own as each run ends.
 */
public final class DockerBackend implements SandboxBackend {
    private static final Duration SWEEP_PERIOD = Duration.ofSeconds(15);

    private final EngineConnection engine;
    private final ContainerRuntime runtime;
    private final HostLayout layout;
    private final StartupProbe probe;
    private final ContainerFactory containers;
    private final ScheduledExecutorService sweeper;

    private DockerBackend(EngineConnection engine, DockerConfig config, ContainerRuntime runtime, HostLayout layout) {
        this.engine = engine;
        this.runtime = runtime;
        this.layout = layout;
        Session session = Session.current(engine.host());
        this.containers = new ContainerFactory(engine, config, runtime, session, layout);
        this.probe = new StartupProbe(engine, config, runtime, layout, session, containers);
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "docker-orphan-sweep");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(() -> OrphanSweeper.sweep(engine.client(), engine.host()),
                SWEEP_PERIOD.toMillis(), SWEEP_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Connects to the engine (lazily: an unreachable engine is reported by {@link #selfCheck}), removes what dead
     * servers left behind, and prepares this server's run directory.
     *
     * @param runtime what runs the containers: the engine's default (runc) or gVisor ({@code config.gvisorRuntime()})
     */
    public static DockerBackend start(DockerConfig config, ContainerRuntime runtime, Optional<Path> workRoot)
            throws SandboxException {
        EngineConnection engine = EngineConnection.open(config.host());
        OrphanSweeper.sweep(engine.client(), engine.host());
        HostLayout layout;
        try {
            layout = HostLayout.prepare(workRoot);
        } catch (SandboxException e) {
            engine.close();
            throw e;
        }
        return new DockerBackend(engine, config, runtime, layout);
    }

    @Override
    public String name() {
        return runtime.backendName();
    }

    /**
     * Containers have network mode none: only their own loopback, where the relay listens and which the engine's
     * seccomp profile already lets TCP sockets reach; the proxy socket arrives through the bridge directory.
     */
    @Override
    public boolean supportsNetworkRelay() {
        return true;
    }

    @Override
    public boolean processCapByRlimit() {
        return runtime.processCapByRlimit();
    }

    @Override
    public BackendHealth selfCheck() {
        return probe.selfCheck();
    }

    /** Checks each language's image for its binary, and from then on runs that binary in that image. */
    @Override
    public Map<String, String> cannotRun(Map<String, String> binaryByLanguage) {
        StartupProbe.ImageCheck check = probe.images(binaryByLanguage);
        containers.admit(check.imageByBinary());
        return check.reasons();
    }

    @Override
    public void installGuestFile(String relativePath, String content, boolean executable) throws SandboxException {
        GuestDirectory.install(layout.guestDir(), relativePath, content, executable);
    }

    @Override
    public Sandbox create(SandboxSpec spec) throws SandboxException {
        return containers.create(spec);
    }

    /**
     * Waits for creations in flight, then destroys every sandbox still alive (shutdown with executions in
     * flight), then the run directory.
     */
    @Override
    public void close() {
        sweeper.shutdownNow();
        containers.close();
        layout.delete();
        engine.close();
    }
}
