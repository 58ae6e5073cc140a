package dev.mcpsandbox.sandbox.backend.docker;

import dev.mcpsandbox.sandbox.backend.scratch.GuestDirectory;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.RuntimeInfo;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import dev.mcpsandbox.config.DockerConfig;
import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.backend.BackendHealth;
import dev.mcpsandbox.sandbox.backend.GoLine;
import dev.mcpsandbox.sandbox.backend.RunLimits;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxBackend;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import dev.mcpsandbox.sandbox.backend.scratch.RunDirectory;
import dev.mcpsandbox.sandbox.backend.scratch.ScratchSpace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Phaser;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The docker and gvisor backends: each sandbox is one container, created and started ahead of the go line
 * like a bubblewrap sandbox, so the warm pool and every language work unchanged. Hardening (see
 * {@link ContainerSpecs}): no network, read-only root, non-root user, no capabilities, no-new-privileges,
 * Docker's default seccomp profile, memory/pids/CPU caps, ulimits; the work directory, /tmp and the bridge
 * directory are host directories on the sandbox's size-capped scratch filesystem, bound in. With
 * {@code gvisor}, the same container runs under runsc, a user-space kernel between the code and the host.
 *
 * <p>Every container carries this server's {@link Session} label; containers of servers that died are
 * removed when a server starts and every {@link #SWEEP_PERIOD} after ({@link OrphanSweeper}: a request a dying
 * server had in flight can still create or leave a container after the next server's first sweep), and this
 * server removes its own as each run ends.
 */
public final class DockerBackend implements SandboxBackend {
    private static final Logger log = LoggerFactory.getLogger(DockerBackend.class);
    private static final Duration ATTACH_TIMEOUT = Duration.ofSeconds(30);
    /** Host tasks gVisor's sentry, gofer and ptrace stubs need besides the code's own (measured: ~3 per process). */
    private static final long GVISOR_PIDS_PER_PROCESS = 4;
    private static final long GVISOR_PIDS_BASE = 128;
    private static final Duration SWEEP_PERIOD = Duration.ofSeconds(15);
    /** How long {@link #close} waits for creations in flight (a pool refilling as the server stops). */
    private static final Duration CREATIONS_LIMIT = Duration.ofSeconds(60);

    private final DockerClient docker;
    private final java.net.URI engine;
    private final DockerConfig config;
    private final boolean gvisor;
    private final String host;
    private final Session session;
    private final Path runRoot;
    private final Path guestDir;
    private final boolean diskQuota;
    private final int sandboxUid;
    private final ExecutorService io;
    private final ScheduledExecutorService sweeper;
    private final AtomicLong sequence = new AtomicLong();
    private final Set<Sandbox> live = ConcurrentHashMap.newKeySet();
    /**
     * One party for the backend and one per {@link #create} in flight: {@link #close} waits until every creation
     * has returned, so none can leave a container after the server exits (seen under gVisor: a refill's
     * container created, or started and killed, while the JVM was already gone).
     */
    private final Phaser creations = new Phaser(1);
    private volatile boolean closed;
    /** Which image runs a binary: filled as languages are admitted, read on every create. */
    private final Map<String, String> imageByBinary = new ConcurrentHashMap<>();

    private DockerBackend(DockerClient docker, DockerConfig config, boolean gvisor, String host, Path runRoot,
                          boolean diskQuota, int sandboxUid, ExecutorService io) {
        this.docker = docker;
        this.engine = java.net.URI.create(config.host());
        this.config = config;
        this.gvisor = gvisor;
        this.host = host;
        this.session = Session.current(host);
        this.runRoot = runRoot;
        this.guestDir = runRoot.resolve("guest");
        this.diskQuota = diskQuota;
        this.sandboxUid = sandboxUid;
        this.io = io;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "docker-orphan-sweep");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(() -> OrphanSweeper.sweep(docker, host), SWEEP_PERIOD.toMillis(),
                SWEEP_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Connects to the engine (lazily: an unreachable engine is reported by {@link #selfCheck}), removes what dead
     * servers left behind, and prepares this server's run directory.
     *
     * @param gvisor run containers under {@code config.gvisorRuntime()} (runsc) instead of the engine's default
     */
    public static DockerBackend start(DockerConfig config, boolean gvisor, Optional<Path> workRoot) throws SandboxException {
        DockerClient docker;
        try {
            URI uri = URI.create(config.host());
            DefaultDockerClientConfig clientConfig = new DefaultDockerClientConfig.Builder()
                    .withDockerHost(config.host()).withDockerTlsVerify(false).build();
            ZerodepDockerHttpClient http = new ZerodepDockerHttpClient.Builder().dockerHost(uri)
                    .maxConnections(1024).connectionTimeout(Duration.ofSeconds(5)).build();
            docker = DockerClientImpl.getInstance(clientConfig, http);
        } catch (RuntimeException e) {
            throw new SandboxException("cannot use docker.host \"" + config.host() + "\": " + e.getMessage(), e);
        }
        String host = hostName();
        OrphanSweeper.sweep(docker, host);
        Path runRoot;
        try {
            runRoot = RunDirectory.prepare(workRoot);
            Path guest = runRoot.resolve("guest");
            Files.createDirectories(guest);
            Files.setPosixFilePermissions(guest, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new SandboxException(e.getMessage(), e);
        }
        int ownUid = RunDirectory.effectiveUid();
        // A root server hands the sandbox's files to an unprivileged uid; an unprivileged server runs its
        // containers as itself, so they can use the directories it made.
        int sandboxUid = ownUid == 0 ? ContainerSpecs.SANDBOX_UID : ownUid;
        ExecutorService io = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "docker-io");
            t.setDaemon(true);
            return t;
        });
        return new DockerBackend(docker, config, gvisor, host, runRoot,
                ownUid == 0 && RunDirectory.canMountTmpfs(runRoot), sandboxUid, io);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    @Override
    public String name() {
        return gvisor ? "gvisor" : "docker";
    }

    @Override
    public boolean processCapByRlimit() {
        // gVisor's own processes share the container's pids cgroup, so that cap has headroom; the code's
        // processes are counted exactly by RLIMIT_NPROC inside gVisor's kernel, where uid 65534 is this sandbox only.
        return gvisor;
    }

    @Override
    public BackendHealth selfCheck() {
        List<String> enforced = new ArrayList<>();
        List<String> weakened = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        try {
            docker.pingCmd().exec();
        } catch (RuntimeException e) {
            failures.add("cannot reach the Docker engine at " + config.host() + " (" + e.getMessage() + "): start it"
                    + " (bin/docker-engine start starts a private one) or point docker.host at its socket");
            return new BackendHealth(false, enforced, weakened, failures);
        }
        if (gvisor) {
            Map<String, RuntimeInfo> runtimes = Optional.ofNullable(docker.infoCmd().exec().getRuntimes()).orElse(Map.of());
            if (!runtimes.containsKey(config.gvisorRuntime())) {
                failures.add("the engine at " + config.host() + " has no runtime \"" + config.gvisorRuntime()
                        + "\" (it has " + runtimes.keySet() + "): install runsc (apt-get install runsc), add"
                        + " {\"runtimes\": {\"" + config.gvisorRuntime() + "\": {\"path\": \"/usr/bin/runsc\","
                        + " \"runtimeArgs\": [\"--network=none\", \"--oci-seccomp\", \"--host-uds=open\"]}}} to its"
                        + " daemon.json and restart dockerd (bin/docker-engine does this), or set docker.gvisorRuntime");
            }
        }
        if (!imagePresent(config.image())) {
            failures.add("image " + config.image() + " is not in the engine at " + config.host() + ": build it with"
                    + " bin/build-images (offline, from this host's runtimes), or set docker.image");
        }
        if (!failures.isEmpty()) {
            return new BackendHealth(false, enforced, weakened, failures);
        }
        probe(enforced, failures);
        if (diskQuota) {
            enforced.add("disk quota per sandbox (tmpfs)");
        } else {
            weakened.add("no disk quota per sandbox (needs a root server to mount a tmpfs): only the per-file size"
                    + " limit applies");
        }
        return new BackendHealth(failures.isEmpty(), enforced, weakened, failures);
    }

    /**
     * Runs one real sandbox and reads its own view of itself, so a daemon configuration that silently drops a
     * promise (a runtime without seccomp, a user override) stops the server instead of weakening every run.
     */
    private void probe(List<String> enforced, List<String> failures) {
        ResourceLimits limits = new ResourceLimits(30, 128, 16, 65_536, 1, 16, 0);
        SandboxSpec spec = new SandboxSpec("probe", List.of("/bin/cat", "/proc/self/status"), List.of(),
                Map.of("PATH", "/usr/bin:/bin"), limits, 128, GoLine.LAUNCHER);
        String status;
        try (Sandbox sandbox = create(spec)) {
            sandbox.begin(new RunLimits(10, 1024 * 1024, 64, 128L * 1024 * 1024, 0), new byte[0]);
            byte[] out = sandbox.stdout().readNBytes(64 * 1024);
            Optional<Integer> exit = sandbox.awaitExit(Duration.ofSeconds(30));
            status = new String(out, StandardCharsets.UTF_8);
            if (exit.isEmpty() || exit.get() != 0) {
                failures.add("a probe container (image " + config.image() + ", runtime " + runtimeName()
                        + ") did not run: exit " + exit.map(String::valueOf).orElse("none") + ", stderr: "
                        + new String(sandbox.stderr().readNBytes(2048), StandardCharsets.UTF_8).strip());
                return;
            }
        } catch (SandboxException | IOException e) {
            failures.add("a probe container (image " + config.image() + ", runtime " + runtimeName()
                    + ") could not start: " + e.getMessage());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failures.add("interrupted while probing the engine");
            return;
        }
        expect(status, "Uid", sandboxUid + "\t" + sandboxUid + "\t" + sandboxUid + "\t" + sandboxUid,
                "unprivileged uid " + sandboxUid, enforced, failures);
        expect(status, "CapEff", "0000000000000000", "no capabilities", enforced, failures);
        expect(status, "CapBnd", "0000000000000000", "empty capability bounding set", enforced, failures);
        expect(status, "Seccomp", "2", gvisor ? "seccomp filter inside gVisor (ptrace, mount, unshare, bpf, keyctl,"
                + " perf_event_open, io_uring refused)" : "seccomp filter (Docker's default profile)", enforced, failures);
        if (!gvisor) {
            // gVisor's /proc does not show the flag; runsc applies it from the OCI spec all the same.
            expect(status, "NoNewPrivs", "1", "no-new-privileges", enforced, failures);
        } else {
            enforced.add("gVisor user-space kernel (" + config.gvisorRuntime() + ") between the code and the host");
        }
        enforced.add("no network (network mode none), read-only root filesystem, own PID/IPC/UTS/mount namespaces");
        enforced.add("memory, process and CPU caps (cgroups set by the engine)");
    }

    private static void expect(String status, String field, String value, String promise, List<String> enforced,
                               List<String> failures) {
        String actual = status.lines().filter(l -> l.startsWith(field + ":")).map(l -> l.substring(field.length() + 1).strip())
                .findFirst().orElse("(missing)");
        if (actual.equals(value)) {
            enforced.add(promise);
        } else {
            failures.add("a probe container shows " + field + " " + actual + " instead of " + value + ": the engine"
                    + " does not enforce " + promise);
        }
    }

    private String runtimeName() {
        return gvisor ? config.gvisorRuntime() : "default";
    }

    private boolean imagePresent(String image) {
        try {
            docker.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    /**
     * Checks that each language's image is in the engine and holds its binary, and remembers which image runs
     * which binary. One short container per image answers for all of that image's binaries ({@link ImageContents}).
     */
    @Override
    public Map<String, String> cannotRun(Map<String, String> binaryByLanguage) {
        Map<String, Map<String, String>> byImage = new LinkedHashMap<>();
        binaryByLanguage.forEach((language, binary) ->
                byImage.computeIfAbsent(config.imageFor(language), image -> new LinkedHashMap<>()).put(language, binary));
        Map<String, String> reasons = new LinkedHashMap<>();
        byImage.forEach((image, binaries) -> {
            if (!imagePresent(image)) {
                binaries.keySet().forEach(language -> reasons.put(language, "image " + image + " is not in the Docker"
                        + " engine: build it with bin/build-images"
                        + (config.images().containsKey(language) ? "" : " or set docker.images." + language)));
                return;
            }
            Set<String> missing;
            try {
                missing = ImageContents.missing(docker, image, new LinkedHashSet<>(binaries.values()), sandboxUid,
                        ContainerSpecs.labels(session, name(), "image-check"));
            } catch (SandboxException e) {
                binaries.keySet().forEach(language -> reasons.put(language, "cannot look into image " + image + ": "
                        + e.getMessage()));
                return;
            }
            binaries.forEach((language, binary) -> {
                if (missing.contains(binary)) {
                    reasons.put(language, "image " + image + " has no " + binary + " (the runtime found on this host):"
                            + " rebuild it with bin/build-images after installing the runtime, or set docker.images."
                            + language);
                } else {
                    imageByBinary.put(binary, image);
                }
            });
        });
        return reasons;
    }

    @Override
    public void installGuestFile(String relativePath, String content, boolean executable) throws SandboxException {
        GuestDirectory.install(guestDir, relativePath, content, executable);
    }

    @Override
    public Sandbox create(SandboxSpec spec) throws SandboxException {
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
            scratch = ScratchSpace.create(runRoot.resolve(name), sandboxUid, spec.limits().diskMb() * 1024L * 1024L,
                    diskQuota);
            long pids = gvisor ? GVISOR_PIDS_BASE + GVISOR_PIDS_PER_PROCESS * spec.limits().processes()
                    : spec.limits().processes();
            ContainerSpecs.Plan plan = new ContainerSpecs.Plan(name, image, scratch.workDir(), scratch.tmpDir(),
                    scratch.bridgeDir(), guestDir, ContainerSpecs.labels(session, name(), spec.executionId()),
                    gvisor ? Optional.of(config.gvisorRuntime()) : Optional.empty(), pids, config.cpus());
            CreateContainerResponse created = toTheEnd(
                    () -> ContainerSpecs.apply(docker.createContainerCmd(image), spec, plan, sandboxUid).exec());
            id = created.getId();
            ScratchSpace owned = scratch;
            DockerSandbox[] sandbox = new DockerSandbox[1];
            sandbox[0] = new DockerSandbox(docker, name, id, owned, () -> live.remove(sandbox[0]), io);
            live.add(sandbox[0]);
            if (closed || Thread.currentThread().isInterrupted()) {
                // close() ran, or the caller gave up, while this container was being created: remove it now.
                sandbox[0].close();
                throw new SandboxException(closed ? "the backend is shutting down" : "container creation was interrupted");
            }
            try {
                sandbox[0].start(engine, ATTACH_TIMEOUT);
            } catch (SandboxException | RuntimeException e) {
                // The sandbox owns the container and the scratch space now; its close removes both.
                sandbox[0].close();
                throw e instanceof SandboxException se ? se
                        : new SandboxException("cannot start container " + name + ": " + e.getMessage(), e);
            }
            log.debug("{}: started container {} ({}{})", name, id.substring(0, 12), image,
                    gvisor ? ", " + config.gvisorRuntime() : "");
            return sandbox[0];
        } catch (SandboxException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            boolean interrupted = Thread.interrupted();
            // By name: a create call that failed on this side (connection dropped) may still have made one.
            try {
                docker.removeContainerCmd(id != null ? id : name).withForce(true).exec();
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

    /**
     * Waits for creations in flight, then destroys every sandbox still alive (shutdown with executions in
     * flight), then the run directory.
     */
    @Override
    public void close() {
        closed = true;
        sweeper.shutdownNow();
        awaitCreations();
        List<Sandbox> all = List.copyOf(live);
        // Removing containers one by one costs a round trip each; do it side by side.
        all.parallelStream().forEach(Sandbox::close);
        io.shutdownNow();
        ScratchSpace.deleteTree(runRoot);
        try {
            docker.close();
        } catch (IOException e) {
            log.debug("closing the engine client: {}", e.getMessage());
        }
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
