package dev.mcpsandbox.sandbox.backend.docker;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import dev.mcpsandbox.sandbox.backend.Launcher;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Writes one sandbox's container, in named steps and always in this order: image and command, identity,
 * environment, labels, network, filesystem, privileges, resources, runtime. The one place that turns a
 * {@link SandboxSpec} into docker-java's create command, so every hardening choice is readable here.
 */
final class ContainerSpecs {
    static final String WORKSPACE = "/workspace";
    static final String BRIDGE = "/run/mcp";
    static final String GUEST = "/opt/mcp-sandbox";
    /** The sandbox user of a root server: the image's "sandbox" entry, and the owner of the files the host places. */
    static final int SANDBOX_UID = 65534;

    /**
     * Where the host directories of one sandbox are, and what this container is.
     *
     * @param runtime        empty: the engine's default (runc); else e.g. "runsc" ({@link ContainerRuntime})
     * @param seccompProfile empty: the engine's default profile; else the JSON of the runtime's own
     * @param hostPids       the pids cgroup cap; above {@code limits.processes()} for gVisor, whose own helper
     *                       processes and threads count against it (the code's processes are then capped by
     *                       RLIMIT_NPROC inside gVisor's kernel)
     */
    record Plan(String name, String image, Path workDir, Path tmpDir, Path bridgeDir, Path guestDir,
                Map<String, String> labels, Optional<String> runtime, Optional<String> seccompProfile, long hostPids,
                double cpus) {
    }

    private ContainerSpecs() {
    }

    static CreateContainerCmd apply(CreateContainerCmd cmd, SandboxSpec spec, Plan plan, int uid) {
        HostConfig host = HostConfig.newHostConfig();
        cmd.withName(plan.name())
                .withCmd(Launcher.command(spec.command(), spec.goLine(), Launcher.creationLimits(spec)))
                .withEntrypoint(List.of())
                .withWorkingDir(WORKSPACE)
                .withHostName("sandbox");
        identity(cmd, uid);
        environment(cmd, spec.environment());
        cmd.withLabels(plan.labels());
        network(cmd, host);
        filesystem(host, plan, spec.readOnlyPaths());
        privileges(host, plan.seccompProfile());
        resources(host, spec, plan);
        plan.runtime().ifPresent(host::withRuntime);
        // The go line and the code's stdin arrive on the attached stdin; closing it is the code's EOF.
        cmd.withAttachStdin(true).withAttachStdout(true).withAttachStderr(true)
                .withStdinOpen(true).withStdInOnce(true).withTty(false);
        return cmd.withHostConfig(host);
    }

    /**
     * A short container of the server's own (no user code, e.g. looking into an image): a sandbox's identity,
     * network and privileges, a read-only root, nothing bound in.
     */
    static CreateContainerCmd utility(CreateContainerCmd cmd, List<String> command, int uid, Map<String, String> labels) {
        HostConfig host = HostConfig.newHostConfig();
        cmd.withCmd(command).withEntrypoint(List.of()).withLabels(labels);
        identity(cmd, uid);
        network(cmd, host);
        privileges(host, Optional.empty());
        return cmd.withHostConfig(host.withReadonlyRootfs(true));
    }

    private static void identity(CreateContainerCmd cmd, int uid) {
        cmd.withUser(uid + ":" + uid);
    }

    private static void environment(CreateContainerCmd cmd, Map<String, String> environment) {
        // The image's ENV is replaced, not merged: the code sees exactly the spec's variables.
        List<String> env = new ArrayList<>();
        new TreeMap<>(environment).forEach((k, v) -> env.add(k + "=" + v));
        cmd.withEnv(env);
    }

    private static void network(CreateContainerCmd cmd, HostConfig host) {
        // No interface but loopback; the container's own loopback is not the host's.
        cmd.withNetworkDisabled(true);
        host.withNetworkMode("none");
    }

    private static void filesystem(HostConfig host, Plan plan, List<String> readOnlyPaths) {
        List<Bind> binds = new ArrayList<>();
        binds.add(new Bind(plan.workDir().toString(), new Volume(WORKSPACE), AccessMode.rw));
        binds.add(new Bind(plan.tmpDir().toString(), new Volume("/tmp"), AccessMode.rw));
        binds.add(new Bind(plan.bridgeDir().toString(), new Volume(BRIDGE), AccessMode.rw));
        binds.add(new Bind(plan.guestDir().toString(), new Volume(GUEST), AccessMode.ro));
        for (String path : readOnlyPaths) {
            binds.add(new Bind(path, new Volume(path), AccessMode.ro));
        }
        // Only the binds above are writable (and they sit on the sandbox's size-capped scratch filesystem).
        host.withReadonlyRootfs(true).withBinds(binds);
    }

    private static void privileges(HostConfig host, Optional<String> seccompProfile) {
        // The engine's default seccomp profile stays on unless the runtime needs its own (never unconfined).
        // No capabilities at all, and no way back to any through setuid binaries.
        List<String> options = new ArrayList<>(List.of("no-new-privileges"));
        seccompProfile.ifPresent(profile -> options.add("seccomp=" + profile));
        host.withCapDrop(Capability.ALL)
                .withSecurityOpts(options)
                .withPrivileged(false)
                .withIpcMode("private");
    }

    private static void resources(HostConfig host, SandboxSpec spec, Plan plan) {
        long memory = spec.limits().memoryMb() * 1024L * 1024L;
        host.withMemory(memory)
                .withMemorySwap(memory) // equal to memory: no swap on top
                .withPidsLimit(plan.hostPids())
                .withNanoCPUs((long) (plan.cpus() * 1_000_000_000L))
                .withShmSize(16L * 1024 * 1024)
                .withOomKillDisable(false)
                // Hard ceilings for what the launcher's go line may set; it can only lower them further.
                .withUlimits(List.of(new com.github.dockerjava.api.model.Ulimit("core", 0L, 0L),
                        new com.github.dockerjava.api.model.Ulimit("nofile", 1024L, 1024L)));
    }

    static Map<String, String> labels(Session session, String backend, String execution) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(Session.LABEL, session.label());
        labels.put(Session.BACKEND_LABEL, backend);
        labels.put(Session.EXECUTION_LABEL, execution);
        return labels;
    }
}
