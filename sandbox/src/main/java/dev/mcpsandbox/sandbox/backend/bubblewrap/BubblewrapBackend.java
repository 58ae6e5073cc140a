package dev.mcpsandbox.sandbox.backend.bubblewrap;

import dev.mcpsandbox.sandbox.backend.scratch.GuestDirectory;
import dev.mcpsandbox.sandbox.backend.BackendHealth;
import dev.mcpsandbox.sandbox.backend.GoLine;
import dev.mcpsandbox.sandbox.backend.Launcher;
import dev.mcpsandbox.sandbox.backend.RunLimits;
import dev.mcpsandbox.sandbox.backend.scratch.RunDirectory;
import dev.mcpsandbox.sandbox.backend.scratch.ScratchSpace;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxBackend;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import dev.mcpsandbox.config.ForkServerConfig;
import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.backend.bubblewrap.fork.ForkServers;
import dev.mcpsandbox.sandbox.limits.Cgroups;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The default backend: each sandbox is a bwrap process tree with its own user, PID, network, IPC,
 * UTS, mount and cgroup namespaces, an unprivileged host uid, a seccomp filter, rlimits, cgroup caps
 * and a size-capped scratch filesystem. Everything that can be prepared once (seccomp program,
 * passwd file, guest directory) is prepared in the constructor.
 */
public final class BubblewrapBackend implements SandboxBackend {
    private static final Logger log = LoggerFactory.getLogger(BubblewrapBackend.class);
    static final Path BWRAP = Path.of("/usr/bin/bwrap");
    static final Path SETPRIV = Path.of("/usr/bin/setpriv");

    /**
     * Runs on the host, before bwrap: joins the sandbox's cgroups (so nothing inside ever runs outside
     * them), drops to the sandbox's uid when the server is root, and hands bwrap its seccomp program
     * (fd 3) and arguments (fd 4), which ProcessBuilder alone cannot pass.
     */
    static final String HOST_WRAPPER = hostWrapper("");

    /**
     * {@link #HOST_WRAPPER} that also gives bwrap its stdin and stdout again as fds 5 and 6: a fork-server template's
     * bwrap waits on 5 for the server to write its uid maps (--userns-block-fd) and reports its child's pid on 6
     * (--info-fd), see TemplateIdMaps.
     */
    static final String TEMPLATE_WRAPPER_WITH_HOST_MAPS = hostWrapper(" 5<&0 6>&1");

    private static String hostWrapper(String moreFds) {
        String fds = " 3<\"$b\" 4<\"$a\"" + moreFds;
        return "a=$1; b=$2; u=$3; groups=$4; shift 4\n"
                + "IFS=:; for f in $groups; do echo $$ > \"$f\" || exit 126; done; unset IFS\n"
                + "unset PWD OLDPWD\n"
                + "if [ -n \"$u\" ]; then exec " + SETPRIV + " --reuid=\"$u\" --regid=\"$u\" --clear-groups --inh-caps=-all"
                + " --bounding-set=-all -- " + BWRAP + " --seccomp 3 --args 4 \"$@\"" + fds + "; fi\n"
                + "exec " + BWRAP + " --seccomp 3 --args 4 \"$@\"" + fds + "\n";
    }

    /** The filter for sandboxes whose call has the network, beside the strict one (see SeccompProgram). */
    private static final String LOOPBACK_TCP_SECCOMP = "seccomp-loopback-tcp.bpf";
    /** A sandbox starts in milliseconds; this is for a host so loaded that its first start is slow. */
    private static final Duration PROBE_WITHIN = Duration.ofSeconds(20);

    private final Path runRoot;
    private final Path guestDir;
    private final Path passwd;
    private final Path group;
    private final Optional<Path> seccompFile;
    private final Cgroups cgroups;
    private final HostIdentity identity;
    private final boolean diskQuota;
    private final ExecutorService io;
    private final AtomicLong sequence = new AtomicLong();
    private final java.util.Set<Sandbox> live = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final String owner = Long.toString(ProcessHandle.current().pid());
    private Optional<ForkServers> forkServers = Optional.empty();
    /** What the probe sandbox found (a failure, or empty), started with the backend. */
    private CompletableFuture<Optional<String>> probe;

    private BubblewrapBackend(Path runRoot, Optional<Path> seccompFile, Cgroups cgroups, HostIdentity identity,
                              boolean diskQuota, ExecutorService io) {
        this.runRoot = runRoot;
        this.guestDir = runRoot.resolve("guest");
        this.passwd = runRoot.resolve("passwd");
        this.group = runRoot.resolve("group");
        this.seccompFile = seccompFile;
        this.cgroups = cgroups;
        this.identity = identity;
        this.diskQuota = diskQuota;
        this.io = io;
    }

    /**
     * @param configuredWorkRoot parent of every server's private run directory (stale ones of dead servers are
     *                  removed); empty: {@code <tmp>/mcp-sandbox-<uid>}, one per user
     * @param uidBase   first uid handed to sandboxes when the server runs as root
     */
    public static BubblewrapBackend start(Optional<Path> configuredWorkRoot, int uidBase) throws SandboxException {
        return start(configuredWorkRoot, uidBase, ForkServerConfig.DEFAULTS);
    }

    /** @param forkServer whether Python runs fork from a template (see {@link ForkServers}), and its settings */
    public static BubblewrapBackend start(Optional<Path> configuredWorkRoot, int uidBase, ForkServerConfig forkServer)
            throws SandboxException {
        Path runRoot;
        try {
            runRoot = RunDirectory.prepare(configuredWorkRoot);
        } catch (IOException e) {
            throw new SandboxException(e.getMessage(), e);
        }
        if (HostIdentity.detect(uidBase).switchesUid()) {
            requireEnterableBySandboxUsers(runRoot, uidBase);
        }
        try {
            Optional<Path> seccomp = Optional.empty();
            Optional<SeccompProgram> program = SeccompProgram.forCurrentArchitecture();
            if (program.isPresent()) {
                Path bpf = runRoot.resolve("seccomp.bpf");
                Files.write(bpf, program.get().bytes());
                seccomp = Optional.of(bpf);
                Files.write(runRoot.resolve(LOOPBACK_TCP_SECCOMP),
                        SeccompProgram.withLoopbackTcpForCurrentArchitecture().orElseThrow().bytes());
                Files.write(runRoot.resolve(TemplateSandboxes.SECCOMP),
                        SeccompProgram.forForkTemplateForCurrentArchitecture().orElseThrow().bytes());
            }
            HostIdentity identity = HostIdentity.detect(uidBase);
            Cgroups cgroups = Cgroups.detect("mcp-sandbox");
            cgroups.sweepStale();
            ExecutorService io = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "sandbox-io");
                t.setDaemon(true);
                return t;
            });
            BubblewrapBackend backend = new BubblewrapBackend(runRoot, seccomp, cgroups, identity,
                    identity.switchesUid() && RunDirectory.canMountTmpfs(runRoot), io);
            backend.writeStaticFiles();
            // Runs while the server goes on starting (languages, tool definitions); selfCheck waits for it.
            backend.probe = CompletableFuture.supplyAsync(backend::probeSandbox, io);
            if (forkServer.enabled()) {
                backend.forkServers = Optional.of(TemplateSandboxes.prepare(backend.templateSandboxes(), forkServer));
            }
            return backend;
        } catch (IOException | RuntimeException e) {
            throw new SandboxException("cannot prepare the bubblewrap backend under " + runRoot + ": " + e.getMessage(), e);
        }
    }

    /**
     * A root server's sandboxes run as other uids, and bwrap finds the bind sources below the run directory
     * as that uid: a directory on the way that others cannot enter (e.g. a 0700 home) made every run fail
     * with "bwrap: Can't find source path ... Permission denied" while --check said OK.
     */
    private static void requireEnterableBySandboxUsers(Path runRoot, int uidBase) throws SandboxException {
        for (Path dir = runRoot.toAbsolutePath(); dir != null; dir = dir.getParent()) {
            java.util.Set<java.nio.file.attribute.PosixFilePermission> mode;
            try {
                mode = Files.getPosixFilePermissions(dir);
            } catch (IOException e) {
                throw new SandboxException("cannot read the permissions of " + dir + ": " + e.getMessage(), e);
            }
            if (!mode.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
                throw new SandboxException("the sandboxes (uids from " + uidBase + ") cannot enter " + dir + " (mode "
                        + PosixFilePermissions.toString(mode) + "), which lies on the way to the work directory "
                        + runRoot + ": every run would fail. Run `chmod o+x " + dir + "`, or set execution.workRoot to"
                        + " a directory whose parents others may enter (e.g. /var/lib/mcp-sandbox)");
            }
        }
    }

    private void writeStaticFiles() throws IOException {
        Files.createDirectories(guestDir);
        Files.setPosixFilePermissions(guestDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        int uid = BwrapArguments.SANDBOX_UID;
        Files.writeString(passwd, "sandbox:x:" + uid + ":" + uid + ":sandbox:" + BwrapArguments.WORKSPACE + ":/bin/sh\n");
        Files.writeString(group, "sandbox:x:" + uid + ":\n");
        for (Path p : List.of(passwd, group)) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    private TemplateSandboxes.Parts templateSandboxes() {
        return new TemplateSandboxes.Parts(runRoot, guestDir, passwd, group, seccompFile.orElseThrow(() ->
                new IllegalStateException("no seccomp program for this architecture")), cgroups, identity, diskQuota, io, owner);
    }

    @Override
    public void installGuestFile(String relativePath, String content, boolean executable) throws SandboxException {
        GuestDirectory.install(guestDir, relativePath, content, executable);
    }

    @Override
    public String name() {
        return "bubblewrap";
    }

    @Override
    public boolean supportsNetworkRelay() {
        return true;
    }

    @Override
    public BackendHealth selfCheck() {
        List<String> enforced = new ArrayList<>();
        List<String> weakened = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        if (!Files.isExecutable(BWRAP)) {
            failures.add("bubblewrap is not installed at " + BWRAP + " (Debian/Ubuntu: apt-get install bubblewrap)");
        }
        if (identity.switchesUid() && !Files.isExecutable(SETPRIV)) {
            failures.add("the server runs as root but " + SETPRIV + " is missing (apt-get install util-linux)");
        }
        if (seccompFile.isEmpty()) {
            failures.add("no seccomp program for architecture " + System.getProperty("os.arch"));
        } else {
            enforced.add("seccomp filter");
        }
        enforced.add(!identity.switchesUid() ? "the server's own unprivileged uid"
                : forkServers.isPresent() ? "own unprivileged host uid per sandbox (forked Python runs too)"
                : "own unprivileged host uid per sandbox");
        if (cgroups.available()) {
            enforced.add("memory and process caps (" + cgroups.describe() + ")");
        } else {
            weakened.add("no cgroups (" + cgroups.unavailableReason() + "): memory is capped per process by rlimit only,"
                    + " processes by RLIMIT_NPROC");
        }
        if (diskQuota) {
            enforced.add("disk quota per sandbox (tmpfs)");
        } else {
            weakened.add("no disk quota per sandbox (needs root to mount a tmpfs): only the per-file size limit applies");
        }
        if (failures.isEmpty()) {
            probe.join().ifPresent(failures::add);
        }
        return new BackendHealth(failures.isEmpty(), enforced, weakened, failures);
    }

    /**
     * Starts one sandbox with everything a run gets (uid switch, cgroups, quota, seccomp, namespaces) and runs
     * {@code /bin/true} in it: a host where bwrap is installed but cannot build a sandbox (a container without
     * seccomp=unconfined, user namespaces switched off) is refused at start instead of failing every call.
     */
    private Optional<String> probeSandbox() {
        ResourceLimits limits = new ResourceLimits(10, 64, 8, 4096, 1, 1, 0);
        SandboxSpec spec = new SandboxSpec("self-check", List.of("/bin/true"), List.of(), java.util.Map.of(), limits,
                256, GoLine.LAUNCHER);
        try (Sandbox sandbox = createCold(spec)) {
            try {
                sandbox.begin(new RunLimits(10, 1 << 20, 64, 256L << 20, 0), new byte[0]);
            } catch (IOException diedAlready) {
                // bwrap failed before it read its go line: its exit status and stderr below say why
            }
            Optional<Integer> exit = sandbox.awaitExit(PROBE_WITHIN);
            if (exit.isPresent() && exit.get() == 0) {
                return Optional.empty();
            }
            // Read before any kill: destroying a process closes its streams.
            String stderr = exit.isEmpty() ? ""
                    : new String(sandbox.stderr().readNBytes(2000), StandardCharsets.UTF_8).strip();
            return Optional.of("a probe sandbox running /bin/true " + exit.map(code -> "exited with " + code)
                    .orElse("did not end within " + PROBE_WITHIN.toSeconds() + " s") + (stderr.isEmpty() ? "" : ": " + stderr)
                    + " (in a container, run it with --security-opt seccomp=unconfined --security-opt"
                    + " systempaths=unconfined; on a host, unprivileged user namespaces must be enabled)");
        } catch (SandboxException | IOException e) {
            return Optional.of("cannot start a probe sandbox: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while a probe sandbox ran");
        }
    }

    @Override
    public Sandbox create(SandboxSpec spec) throws SandboxException {
        if (forkServers.isPresent()) {
            String name = owner + "-" + sequence.incrementAndGet();
            try {
                Optional<Sandbox> forked = forkServers.get().fork(spec, name);
                if (forked.isPresent()) {
                    return forked.get();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SandboxException("interrupted while forking a sandbox", e);
            }
        }
        return createCold(spec);
    }

    /** A sandbox of its own, started by bwrap. */
    private Sandbox createCold(SandboxSpec spec) throws SandboxException {
        String name = owner + "-" + sequence.incrementAndGet();
        int uid = identity.lease();
        ScratchSpace scratch = null;
        Optional<Cgroups.Group> groups = Optional.empty();
        try {
            long diskBytes = spec.limits().diskMb() * 1024L * 1024L;
            scratch = ScratchSpace.create(runRoot.resolve(name), uid, diskBytes, diskQuota);
            groups = cgroups.create(name, spec.limits());
            BwrapArguments.Layout layout = new BwrapArguments.Layout(scratch.workDir(), scratch.tmpDir(),
                    scratch.bridgeDir(), guestDir, passwd, group);
            List<String> options = BwrapArguments.options(layout, spec.readOnlyPaths(), spec.environment());
            Path argsFile = scratch.root().resolve("bwrap.args");
            Files.write(argsFile, (String.join("\0", options) + "\0").getBytes(StandardCharsets.UTF_8));

            String cgroupFiles = groups.map(g -> g.procsFiles().stream().map(Path::toString)
                    .collect(java.util.stream.Collectors.joining(":"))).orElse("");
            List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", HOST_WRAPPER, "wrapper", argsFile.toString(),
                    seccompFile.map(f -> spec.network() ? f.resolveSibling(LOOPBACK_TCP_SECCOMP) : f)
                            .orElseThrow(() -> new SandboxException("no seccomp program for this architecture")).toString(),
                    identity.switchesUid() ? Integer.toString(uid) : "", cgroupFiles));
            command.addAll(BwrapArguments.command(spec.command(), spec.goLine(), Launcher.creationLimits(spec)));
            ProcessBuilder pb = new ProcessBuilder(command).directory(Path.of("/").toFile());
            // bwrap's own process (the sandbox's PID 1) keeps the environment it was started with, and the
            // code can read it from /proc/1/environ: start it with nothing.
            pb.environment().clear();
            Process process = pb.start();
            ScratchSpace owned = scratch;
            Optional<Cgroups.Group> ownedGroups = groups;
            log.debug("{}: started bwrap pid {} as uid {}", name, process.pid(), uid);
            BubblewrapSandbox[] created = new BubblewrapSandbox[1];
            created[0] = new BubblewrapSandbox(name, process, owned, ownedGroups, () -> {
                live.remove(created[0]);
                identity.release(uid);
            }, io);
            live.add(created[0]);
            return created[0];
        } catch (IOException | RuntimeException e) {
            groups.ifPresent(Cgroups.Group::close);
            if (scratch != null) {
                scratch.close();
            }
            identity.release(uid);
            throw new SandboxException("cannot start a sandbox: " + e.getMessage(), e);
        }
    }

    /** Destroys every sandbox still alive (shutdown with executions in flight), then the run directory. */
    @Override
    public void close() {
        forkServers.ifPresent(ForkServers::close);
        for (Sandbox sandbox : List.copyOf(live)) {
            sandbox.close();
        }
        io.shutdownNow();
        forkServers.ifPresent(f -> TemplateSandboxes.unshare(runRoot));
        ScratchSpace.deleteTree(runRoot);
    }
}
