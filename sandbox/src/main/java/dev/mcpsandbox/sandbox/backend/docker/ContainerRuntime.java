package dev.mcpsandbox.sandbox.backend.docker;

import dev.mcpsandbox.config.DockerConfig;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The OCI runtime a container backend runs its sandboxes under, and everything that differs with it: the name
 * the engine is given, what the engine must offer, the pids cap, the seccomp profile, and what the start-up probe
 * can read back from inside. The rest of a sandbox (identity, network, filesystem, caps) is the same under both.
 */
public enum ContainerRuntime {
    /** The engine's default runtime: namespaces and cgroups of the host kernel, Docker's default seccomp profile. */
    RUNC("docker") {
        @Override
        Optional<String> engineRuntime(DockerConfig config) {
            return Optional.empty();
        }

        @Override
        Optional<String> missingFrom(Set<String> engineRuntimes, DockerConfig config) {
            return Optional.empty();
        }

        @Override
        long hostPids(int processes) {
            return processes;
        }

        @Override
        boolean processCapByRlimit() {
            return false;
        }

        @Override
        Optional<String> seccompProfile() {
            // Docker's default profile stays on: we never pass seccomp=unconfined.
            return Optional.empty();
        }

        @Override
        List<ProbeExpectation> probeExpectations(int uid) {
            return List.of(ProbeExpectation.uid(uid), ProbeExpectation.NO_CAPABILITIES, ProbeExpectation.NO_BOUNDING_SET,
                    new ProbeExpectation("Seccomp", "2", "seccomp filter (Docker's default profile)"),
                    new ProbeExpectation("NoNewPrivs", "1", "no-new-privileges"));
        }

        @Override
        List<String> promises(DockerConfig config) {
            return List.of();
        }
    },

    /** gVisor's runsc: a user-space kernel between the code and the host, with the same container around it. */
    GVISOR("gvisor") {
        /** Host tasks gVisor's sentry, gofer and ptrace stubs need besides the code's own (measured: ~3 per process). */
        private static final long PIDS_PER_PROCESS = 4;
        private static final long PIDS_BASE = 128;

        /**
         * runsc (20221219) applies a container's seccomp profile itself but ignores its errnoRet, so Docker's
         * default profile turns clone3's ENOSYS into EPERM and glibc cannot start a thread (Python and Node fail).
         * gVisor's sentry is the boundary here and is itself filtered on the host; inside it, this profile still
         * refuses what DESIGN.md names as the riskiest calls.
         */
        private static final String SECCOMP = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":["
                + "\"ptrace\",\"mount\",\"umount2\",\"unshare\",\"setns\",\"bpf\",\"keyctl\",\"add_key\",\"request_key\","
                + "\"perf_event_open\",\"io_uring_setup\",\"io_uring_enter\",\"io_uring_register\",\"pivot_root\","
                + "\"chroot\",\"init_module\",\"finit_module\",\"delete_module\",\"kexec_load\",\"reboot\",\"swapon\","
                + "\"swapoff\",\"userfaultfd\",\"personality\"],\"action\":\"SCMP_ACT_ERRNO\"}]}";

        @Override
        Optional<String> engineRuntime(DockerConfig config) {
            return Optional.of(config.gvisorRuntime());
        }

        @Override
        Optional<String> missingFrom(Set<String> engineRuntimes, DockerConfig config) {
            if (engineRuntimes.contains(config.gvisorRuntime())) {
                return Optional.empty();
            }
            return Optional.of("the engine at " + config.host() + " has no runtime \"" + config.gvisorRuntime()
                    + "\" (it has " + engineRuntimes + "): install runsc (apt-get install runsc), add"
                    + " {\"runtimes\": {\"" + config.gvisorRuntime() + "\": {\"path\": \"/usr/bin/runsc\","
                    + " \"runtimeArgs\": [\"--network=none\", \"--oci-seccomp\", \"--host-uds=open\"]}}} to its"
                    + " daemon.json and restart dockerd (bin/docker-engine does this), or set docker.gvisorRuntime");
        }

        @Override
        long hostPids(int processes) {
            // gVisor's own processes share the container's pids cgroup, so that cap gets headroom.
            return PIDS_BASE + PIDS_PER_PROCESS * processes;
        }

        @Override
        boolean processCapByRlimit() {
            // The code's processes are counted exactly by RLIMIT_NPROC inside gVisor's kernel, where uid 65534
            // is this sandbox only.
            return true;
        }

        @Override
        Optional<String> seccompProfile() {
            return Optional.of(SECCOMP);
        }

        @Override
        List<ProbeExpectation> probeExpectations(int uid) {
            // gVisor's /proc does not show NoNewPrivs; runsc applies it from the OCI spec all the same.
            return List.of(ProbeExpectation.uid(uid), ProbeExpectation.NO_CAPABILITIES, ProbeExpectation.NO_BOUNDING_SET,
                    new ProbeExpectation("Seccomp", "2", "seccomp filter inside gVisor (ptrace, mount, unshare, bpf,"
                            + " keyctl, perf_event_open, io_uring refused)"));
        }

        @Override
        List<String> promises(DockerConfig config) {
            return List.of("gVisor user-space kernel (" + config.gvisorRuntime() + ") between the code and the host");
        }
    };

    /**
     * One line of {@code /proc/self/status} as a probe container must show it.
     *
     * @param promise what the line proves, as the self-check reports it
     */
    record ProbeExpectation(String field, String value, String promise) {
        static final ProbeExpectation NO_CAPABILITIES = new ProbeExpectation("CapEff", "0000000000000000",
                "no capabilities");
        static final ProbeExpectation NO_BOUNDING_SET = new ProbeExpectation("CapBnd", "0000000000000000",
                "empty capability bounding set");

        static ProbeExpectation uid(int uid) {
            return new ProbeExpectation("Uid", uid + "\t" + uid + "\t" + uid + "\t" + uid, "unprivileged uid " + uid);
        }
    }

    private final String backendName;

    ContainerRuntime(String backendName) {
        this.backendName = backendName;
    }

    /** The backend's name as {@code list_languages}, labels and logs show it. */
    String backendName() {
        return backendName;
    }

    /** The runtime the engine is asked for ({@code HostConfig.runtime}); empty: the engine's default. */
    abstract Optional<String> engineRuntime(DockerConfig config);

    /** What the operator must do when the engine, offering {@code engineRuntimes}, cannot run this runtime. */
    abstract Optional<String> missingFrom(Set<String> engineRuntimes, DockerConfig config);

    /** The pids cgroup cap for a sandbox whose code may start {@code processes} processes. */
    abstract long hostPids(int processes);

    /** Whether RLIMIT_NPROC, not the pids cgroup, is what caps the code's processes exactly. */
    abstract boolean processCapByRlimit();

    /** A seccomp profile (JSON) to use in place of the engine's default one; empty: the default. */
    abstract Optional<String> seccompProfile();

    /** What the start-up probe must read in its own {@code /proc/self/status}. */
    abstract List<ProbeExpectation> probeExpectations(int uid);

    /** What this runtime enforces beyond the lines a probe can read. */
    abstract List<String> promises(DockerConfig config);

    /** How logs name the runtime a container ran under. */
    String describe(DockerConfig config) {
        return engineRuntime(config).orElse("default");
    }
}
