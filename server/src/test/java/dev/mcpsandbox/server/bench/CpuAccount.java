package dev.mcpsandbox.server.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CPU time of a process and everything it starts, for "CPU per execution". Where a cgroup v1 cpuacct
 * hierarchy is writable (root here), the server and its descendants are moved into a cgroup of their own
 * and {@code cpuacct.usage} counts every process in it, live or gone, in nanoseconds; processes the server
 * starts later inherit it (the server moves sandboxes into memory and pids cgroups, which are other
 * hierarchies in v1, so they stay counted here). Elsewhere it falls back to {@code /proc/PID/stat}: the
 * process's own time plus its reaped children's (cutime, cstime), which misses sandboxes still running at
 * the end of a window, in clock ticks (10 ms), so windows must hold many executions either way.
 */
final class CpuAccount implements AutoCloseable {
    private static final Path CPUACCT = Path.of("/sys/fs/cgroup/cpuacct");
    private static final double TICK_NS = 1e9 / 100;
    private final long pid;
    private final Path cgroup;

    private CpuAccount(long pid, Path cgroup) {
        this.pid = pid;
        this.cgroup = cgroup;
    }

    /** Starts counting {@code pid} and the processes below it. */
    static CpuAccount of(long pid) {
        Path group = CPUACCT.resolve("mcp-bench-" + pid);
        try {
            if (!Files.isDirectory(CPUACCT) || !Files.isWritable(CPUACCT.resolve("cgroup.procs"))) {
                return new CpuAccount(pid, null);
            }
            Files.createDirectories(group);
            for (long p : tree(pid)) {
                try {
                    Files.writeString(group.resolve("cgroup.procs"), Long.toString(p));
                } catch (IOException gone) {
                    // exited between the listing and the move: its time is not in the window anyway
                }
            }
            return new CpuAccount(pid, group);
        } catch (IOException e) {
            return new CpuAccount(pid, null);
        }
    }

    String method() {
        return cgroup != null ? "cgroup v1 cpuacct.usage"
                : "/proc/PID/stat (own + reaped children; misses what bwrap's init does not reap, so it undercounts)";
    }

    /** Total CPU of the process and its descendants so far, in nanoseconds. */
    long totalNanos() throws IOException {
        if (cgroup != null) {
            return Long.parseLong(Files.readString(cgroup.resolve("cpuacct.usage")).strip());
        }
        long[] t = stat(pid);
        return Math.round((t[0] + t[1] + t[2] + t[3]) * TICK_NS);
    }

    /** CPU of the process's own threads (the JVM: JSON, schema, hand-offs, GC, JIT), in nanoseconds. */
    long ownNanos() throws IOException {
        long[] t = stat(pid);
        return Math.round((t[0] + t[1]) * TICK_NS);
    }

    /** CPU of the process's reaped children (those it started and waited for, e.g. mount and umount), in nanoseconds. */
    long reapedChildrenNanos() throws IOException {
        long[] t = stat(pid);
        return Math.round((t[2] + t[3]) * TICK_NS);
    }

    /** CPU of this JVM's reaped children (utime + stime of those waited for), in nanoseconds. */
    static long reapedChildrenOfSelfNanos() throws IOException {
        long[] t = stat(ProcessHandle.current().pid());
        return Math.round((t[2] + t[3]) * TICK_NS);
    }

    /** utime, stime, cutime, cstime in clock ticks. */
    private static long[] stat(long pid) throws IOException {
        String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        // fields after the command name start at field 3 (state): utime is field 14
        return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]), Long.parseLong(f[14])};
    }

    private static List<Long> tree(long root) {
        List<Long> pids = new ArrayList<>();
        ProcessHandle.of(root).ifPresent(h -> {
            pids.add(h.pid());
            h.descendants().forEach(d -> pids.add(d.pid()));
        });
        return pids;
    }

    /** Moves what is left back to the root cgroup and removes this one (a cgroup with processes cannot be removed). */
    @Override
    public void close() {
        if (cgroup == null) {
            return;
        }
        for (int i = 0; i < 50; i++) {
            try {
                for (String p : Files.readAllLines(cgroup.resolve("cgroup.procs"))) {
                    try {
                        Files.writeString(CPUACCT.resolve("cgroup.procs"), p);
                    } catch (IOException gone) {
                        // exited meanwhile
                    }
                }
                Files.deleteIfExists(cgroup);
                return;
            } catch (IOException busy) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        System.err.println("could not remove " + cgroup);
    }
}
