package dev.mcpsandbox.sandbox.backend;

import java.util.ArrayList;
import java.util.List;

/**
 * The in-sandbox side of the go-line protocol, shared by every backend so a language runs unchanged on
 * each: what runs first inside the sandbox (a shell launcher, or the runtime itself), and the go line
 * the host sends when the code is in place.
 */
public final class Launcher {
    /**
     * Runs inside the sandbox before the code: waits for the go line, applies the run's rlimits (which can
     * only go down from the creation ceilings), then execs the code. Reading with {@code read} on a pipe
     * consumes exactly one line, so whatever follows on stdin is the code's own stdin.
     */
    public static final String LAUNCHER = "IFS=' ' read -r t f n v p || exit 125\n"
            + "ulimit -c 0 && ulimit -t \"$t\" && ulimit -f \"$f\" && ulimit -n \"$n\" && ulimit -v \"$v\" || exit 125\n"
            + "if [ \"$p\" != - ]; then ulimit -p \"$p\" || exit 125; fi\n"
            + "exec \"$@\"\n";

    /** For runtimes that wait for the go line but cannot set rlimits: apply the creation-time ones, then exec. */
    public static final String CREATION_LIMITS = "ulimit -c 0 && ulimit -t \"$1\" && ulimit -f \"$2\" && ulimit -n \"$3\""
            + " && ulimit -v \"$4\" || exit 125\nshift 4\nexec \"$@\"\n";

    /**
     * The launcher's work in Python, for runtimes that read their go line themselves: a function {@code _go} (the
     * caller imports {@code os} and {@code resource}) that reads the line a byte at a time, so what follows on stdin
     * stays the code's, and sets the five rlimits, hard and soft, as {@code ulimit} would.
     */
    public static final String PYTHON_GO_LINE = """
            def _go():
                line = b''
                while not line.endswith(b'\\n'):
                    byte = os.read(0, 1)
                    if not byte:
                        os._exit(125)
                    line += byte
                t, f, n, v, p = line.split()
                R = resource
                for kind, value in ((R.RLIMIT_CORE, 0), (R.RLIMIT_CPU, int(t)), (R.RLIMIT_FSIZE, int(f) * 512),
                                    (R.RLIMIT_NOFILE, int(n)), (R.RLIMIT_AS, int(v) * 1024)):
                    R.setrlimit(kind, (value, value))
                if p != b'-':
                    R.setrlimit(R.RLIMIT_NPROC, (int(p), int(p)))
            """;

    private Launcher() {
    }

    /**
     * The launcher, then the code's own command, which it execs once the go line arrives; or the command
     * alone when it reads the go line itself.
     */
    public static List<String> command(List<String> command, GoLine goLine, RunLimits creationLimits) {
        List<String> all = new ArrayList<>();
        switch (goLine) {
            case LAUNCHER -> all.addAll(List.of("/bin/sh", "-c", LAUNCHER, "launcher"));
            case RUNTIME -> { }
            case RUNTIME_WITH_CREATION_LIMITS -> all.addAll(List.of("/bin/sh", "-c", CREATION_LIMITS, "launcher",
                    Long.toString(creationLimits.cpuSeconds()), Long.toString(Math.max(1, creationLimits.fileSizeBytes() / 512)),
                    Long.toString(creationLimits.openFiles()), Long.toString(Math.max(1, creationLimits.addressSpaceBytes() / 1024))));
        }
        all.addAll(command);
        return List.copyOf(all);
    }

    /** The rlimits a sandbox starts with, for runtimes that cannot lower their own at the go line. */
    public static RunLimits creationLimits(SandboxSpec spec) {
        return new RunLimits(spec.limits().timeoutSeconds() + 1L, spec.limits().fileSizeMb() * 1024L * 1024L, 256,
                spec.addressSpaceMb() * 1024L * 1024L, 0);
    }

    /** The go line: the five rlimits in ulimit's units (CPU s, 512-byte blocks, files, KiB, processes or "-"). */
    public static String goLine(RunLimits limits) {
        return limits.cpuSeconds() + " " + Math.max(1, limits.fileSizeBytes() / 512) + " " + limits.openFiles() + " "
                + Math.max(1, limits.addressSpaceBytes() / 1024) + " "
                + (limits.processes() > 0 ? Long.toString(limits.processes()) : "-") + "\n";
    }
}
