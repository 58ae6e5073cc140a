package dev.mcpsandbox.sandbox.backend.bubblewrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loads the generated filter into a real bubblewrap sandbox and probes it with Python. Every probe also
 * reports the task's seccomp mode, so each test fails if the filter were not installed.
 */
class SeccompFilterIT {

    private static final Path BWRAP = Path.of("/usr/bin/bwrap");
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final long TIMEOUT_SECONDS = 30;

    private static final List<String> PROFILE = List.of(
            "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534",
            "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--clearenv", "--setenv", "PATH", "/usr/bin:/bin",
            "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--symlink", "usr/bin", "/bin", "--ro-bind", "/etc/alternatives", "/etc/alternatives",
            "--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp");

    /** Prints key=value lines; "seccomp" is the filter mode from /proc/self/status (2 = filter). */
    private static final String PRELUDE = """
            import ctypes, os, socket, subprocess, sys, threading
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            libc.ptrace.restype = ctypes.c_long
            def report(key, value):
                print(f"{key}={value}", flush=True)
            def errno_of(call, *args):
                ctypes.set_errno(0)
                result = call(*[ctypes.c_long(a) for a in args])
                return ctypes.get_errno() if result == -1 else f"ok:{result}"
            with open("/proc/self/status") as status:
                report("seccomp", next(l.split()[1] for l in status if l.startswith("Seccomp:")))
            """;

    private static final String PTRACE_PROBE = PRELUDE + """
            PTRACE_TRACEME = 0
            report("ptrace", errno_of(libc.ptrace, PTRACE_TRACEME, 0, 0, 0))
            """;

    @TempDir
    Path tmp;

    // Per test rather than @BeforeAll: failsafe 3.5 counts a class aborted in @BeforeAll as a failure.
    @BeforeEach
    void requireRuntime() {
        requireThat(Files.isExecutable(BWRAP), BWRAP + " is not installed");
        requireThat(Files.isExecutable(PYTHON), PYTHON + " is not installed");
        requireThat(SeccompProgram.forCurrentArchitecture().isPresent(),
                "no seccomp program for os.arch=" + System.getProperty("os.arch"));
    }

    private static void requireThat(boolean condition, String reason) {
        if (!condition && Boolean.getBoolean("sandbox.it.required")) {
            fail(reason + " (and sandbox.it.required=true)");
        }
        Assumptions.assumeTrue(condition, reason);
    }

    @Test
    void blocksPtraceInsideSandbox() throws Exception {
        Probe probe = runFiltered(PTRACE_PROBE);
        probe.assertFiltered();
        assertThat(probe.value("ptrace")).as(probe.toString()).isEqualTo("1");
    }

    @Test
    void ptraceWorksWithoutTheFilter() throws Exception {
        Path yama = Path.of("/proc/sys/kernel/yama/ptrace_scope");
        Assumptions.assumeFalse(Files.exists(yama) && Files.readString(yama).trim().equals("3"),
                "Yama forbids all ptrace on this host, so the control proves nothing");
        Probe probe = run(Optional.empty(), PTRACE_PROBE);
        assertThat(probe.value("seccomp")).as(probe.toString()).isEqualTo("0");
        assertThat(probe.value("ptrace")).as(probe.toString()).isNotEqualTo("1");
    }

    @Test
    void blocksUnshareOfUserNamespace() throws Exception {
        Probe probe = runFiltered(PRELUDE + """
                CLONE_NEWUSER = 0x10000000
                report("unshare", errno_of(libc.unshare, CLONE_NEWUSER))
                """);
        probe.assertFiltered();
        assertThat(probe.value("unshare")).as(probe.toString()).isEqualTo("1");
    }

    @Test
    void blocksInetSockets() throws Exception {
        Probe probe = runFiltered(PRELUDE + """
                for name, family in (("inet", socket.AF_INET), ("inet6", socket.AF_INET6), ("netlink", socket.AF_NETLINK)):
                    try:
                        socket.socket(family, socket.SOCK_DGRAM).close()
                        report(name, "ok")
                    except OSError as e:
                        report(name, e.errno)
                """);
        probe.assertFiltered();
        assertThat(probe.value("inet")).as(probe.toString()).isEqualTo("97");
        assertThat(probe.value("inet6")).as(probe.toString()).isEqualTo("97");
        assertThat(probe.value("netlink")).as(probe.toString()).isEqualTo("97");
    }

    @Test
    void allowsUnixSocketPairs() throws Exception {
        Probe probe = runFiltered(PRELUDE + """
                a, b = socket.socketpair()
                a.sendall(b"ping")
                report("received", b.recv(4).decode())
                """);
        probe.assertFiltered();
        assertThat(probe.value("received")).as(probe.toString()).isEqualTo("ping");
    }

    @Test
    void blocksIoUringSetup() throws Exception {
        Probe probe = runFiltered(PRELUDE + """
                IO_URING_SETUP = 425  # same number on x86_64 and aarch64
                params = ctypes.create_string_buffer(120)
                report("io_uring", errno_of(libc.syscall, IO_URING_SETUP, 1, ctypes.addressof(params)))
                """);
        probe.assertFiltered();
        assertThat(probe.value("io_uring")).as(probe.toString()).isEqualTo("1");
    }

    @Test
    void ordinaryPythonStillRuns() throws Exception {
        Probe probe = runFiltered(PRELUDE + """
                results = []
                worker = threading.Thread(target=lambda: results.append("ran"))
                worker.start()
                worker.join()
                report("thread", results[0])
                report("subprocess", subprocess.run(["/usr/bin/true"]).returncode)
                pid = os.fork()
                if pid == 0:
                    os._exit(7)
                report("fork", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
                """);
        probe.assertFiltered();
        assertThat(probe.value("thread")).as(probe.toString()).isEqualTo("ran");
        assertThat(probe.value("subprocess")).as(probe.toString()).isEqualTo("0");
        assertThat(probe.value("fork")).as(probe.toString()).isEqualTo("7");
    }

    @Test
    void killsProcessesOfAForeignArchitecture() throws Exception {
        String foreign = SeccompProgram.forCurrentArchitecture().orElseThrow().architecture().equals("x86_64")
                ? "aarch64" : "x86_64";
        Probe probe = run(SeccompProgram.forArchitecture(foreign), PRELUDE);
        assertThat(probe.exitCode()).as(probe.toString()).isNotZero();
        assertThat(probe.stdout()).as(probe.toString()).isEmpty();
    }

    private Probe runFiltered(String python) throws IOException, InterruptedException {
        return run(SeccompProgram.forCurrentArchitecture(), python);
    }

    private Probe run(Optional<SeccompProgram> filter, String python) throws IOException, InterruptedException {
        // The BPF file travels as $0 and the probe as $1, so neither needs shell quoting.
        List<String> bwrap = new ArrayList<>(List.of("exec", BWRAP.toString()));
        filter.ifPresent(f -> bwrap.addAll(List.of("--seccomp", "3")));
        bwrap.addAll(PROFILE);
        bwrap.addAll(List.of(PYTHON.toString(), "-c", "\"$1\""));
        filter.ifPresent(f -> bwrap.add("3< \"$0\""));

        Path bpf = Files.write(tmp.resolve("filter.bpf"), filter.map(SeccompProgram::bytes).orElse(new byte[0]));
        Path stdout = tmp.resolve("stdout");
        Path stderr = tmp.resolve("stderr");
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", String.join(" ", bwrap), bpf.toString(), python)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile());
        pb.environment().clear();
        Process process = pb.start();
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            fail("sandbox did not finish within " + TIMEOUT_SECONDS + "s; stderr: " + Files.readString(stderr));
        }
        return new Probe(process.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
                Files.readString(stderr, StandardCharsets.UTF_8));
    }

    private record Probe(int exitCode, String stdout, String stderr) {

        Map<String, String> values() {
            Map<String, String> values = new LinkedHashMap<>();
            stdout.lines().map(line -> line.split("=", 2)).filter(kv -> kv.length == 2)
                    .forEach(kv -> values.put(kv[0], kv[1]));
            return values;
        }

        String value(String key) {
            assertThat(values()).as(toString()).containsKey(key);
            return values().get(key);
        }

        void assertFiltered() {
            assertThat(exitCode).as(toString()).isZero();
            assertThat(value("seccomp")).as("seccomp mode inside the sandbox; " + this).isEqualTo("2");
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }
}
