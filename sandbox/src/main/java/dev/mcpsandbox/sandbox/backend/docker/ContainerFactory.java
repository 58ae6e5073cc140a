package dev.mcpsandbox.sandbox.backend.docker;

import com.github.dockerjava.api.command.CreateContainerResponse;
import dev.mcpsandbox.config.DockerConfig;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import dev.mcpsandbox.sandbox.backend.scratch.ScratchSpace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Creates and starts this server's containers, one per sandbox, and keeps track of them until they are gone:
 * every creation in flight and every live sandbox, so that {@link #close} leaves none behind. What goes into a
 * container is {@link ContainerSpecs}'s; which image runs a language is learnt from the start-up image check.
 */
final class ContainerFactory implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ContainerFactory.class);
    private static final Duration ATTACH_TIMEOUT = Duration.ofSeconds(30);
    /** How long {@link #close} waits for creations in flight (a pool refilling as the server stops). */
    private static final Duration CREATIONS_LIMIT = Duration.ofSeconds(60);

    private final EngineConnection engine;
    private final DockerConfig config;
    private final ContainerRuntime runtime;
    private final Session session;
    private final HostLayout layout;
    private final ExecutorService io;
    private final AtomicLong sequence = new AtomicLong();
    private final Set<Sandbox> live = ConcurrentHashMap.newKeySet();
    /**
     * One party for the factory and one per {@link #create} in flight: {@link #close} waits until every creation
     * has returned, so none can leave a container after the server exits (seen under gVisor: a refill's
     * container created, or started and killed, while the JVM was already gone).
     */
    private final Phaser creations = new Phaser(1);
    private volatile boolean closed;
    /** Which image runs a binary: filled as languages are admitted, read on every create. */
    private final Map<String, String> imageByBinary = new ConcurrentHashMap<>();

    ContainerFactory(EngineConnection engine, DockerConfig config, ContainerRuntime runtime, Session session,
                     HostLayout layout) {
        this.engine = engine;
        this.config = config;
        this.runtime = runtime;
        this.session = session;
        this.layout = layout;
        this.io = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "docker-io");
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs {@code binary}, from now on, in {@code image} (one the image check found it in). */
    void admit(Map<String, String> imageByBinary) {
        this.imageByBinary.putAll(imageByBinary);
    }

    Sandbox create(SandboxSpec spec) throws SandboxException {
        // Registered before reading closed: close() sets closed first, so a creation it does not wait for sees it.
        boolean admitted = creations.register() >= 0;
        try {
            if (!admitted || closed) {
                throw new SandboxException("the backend is shutting down");
            }
            return createContainer(spec);
        } finally {
            if (admitted) {
                creations.arriveAndDeregister();
            }
        }
    }

    private Sandbox createContainer(SandboxSpec spec) throws SandboxException {
        String name = "mcp-sandbox-" + session.pid() + "-" + sequence.incrementAndGet();
        String image = spec.command().isEmpty() ? config.image()
                : imageByBinary.getOrDefault(spec.command().get(0), config.image());
        ScratchSpace scratch = null;
        String id = null;
        try {
            scratch = layout.scratchFor(name, spec.limits().diskMb());
            ContainerSpecs.Plan plan = new ContainerSpecs.Plan(name, image, scratch.workDir(), scratch.tmpDir(),
                    scratch.bridgeDir(), layout.guestDir(),
                    ContainerSpecs.labels(session, runtime.backendName(), spec.executionId()),
                    runtime.engineRuntime(config), runtime.seccompProfile(),
                    runtime.hostPids(spec.limits().processes()), config.cpus());
            CreateContainerResponse created = toTheEnd(() -> ContainerSpecs.apply(
                    engine.client().createContainerCmd(image), spec, plan, layout.sandboxUid()).exec());
            id = created.getId();
            DockerSandbox[] sandbox = new DockerSandbox[1];
            sandbox[0] = new DockerSandbox(engine.client(), name, id, scratch, () -> live.remove(sandbox[0]), io);
            live.add(sandbox[0]);
            if (closed || Thread.currentThread().isInterrupted()) {
                // close() ran, or the caller gave up, while this container was being created: remove it now.
                sandbox[0].close();
                throw new SandboxException(closed ? "the backend is shutting down" : "container creation was interrupted");
            }
            try {
                sandbox[0].start(engine.address(), ATTACH_TIMEOUT);
            } catch (SandboxException | RuntimeException e) {
                // The sandbox owns the container and the scratch space now; its close removes both.
                sandbox[0].close();
                throw e instanceof SandboxException se ? se
                        : new SandboxException("cannot start container " + name + ": " + e.getMessage(), e);
            }
            log.debug("{}: started container {} ({}, runtime {})", name, id.substring(0, 12), image,
                    runtime.describe(config));
            return sandbox[0];
        } catch (SandboxException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            boolean interrupted = Thread.interrupted();
            // By name: a create call that failed on this side (connection dropped) may still have made one.
            try {
                engine.client().removeContainerCmd(id != null ? id : name).withForce(true).exec();
            } catch (RuntimeException ignored) {
                // none was made, or the next sweep removes it
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (scratch != null) {
                scratch.close();
            }
            throw new SandboxException("cannot start a container from " + image + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs one engine call to its end on an I/O thread, even when this thread is interrupted (a pool refill that
     * shutdown cuts short). An interrupt would close the client's socket mid-call, yet the engine finishes what it
     * was sent: a container would appear after our clean-up had looked for it by name and found none.
     * The interrupt is kept for the caller.
     */
    private <T> T toTheEnd(Callable<T> call) {
        Future<T> running = io.submit(call);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return running.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Refuses new creations, waits for those in flight, then destroys every sandbox still alive. */
    @Override
    public void close() {
        closed = true;
        awaitCreations();
        List<Sandbox> all = List.copyOf(live);
        // Removing containers one by one costs a round trip each; do it side by side.
        all.parallelStream().forEach(Sandbox::close);
        io.shutdownNow();
    }

    private void awaitCreations() {
        int phase = creations.arriveAndDeregister();
        try {
            creations.awaitAdvanceInterruptibly(phase, CREATIONS_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("{} container creation(s) still running {} after shutdown began; the next server start"
                    + " removes what they leave", creations.getUnarrivedParties(), CREATIONS_LIMIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
