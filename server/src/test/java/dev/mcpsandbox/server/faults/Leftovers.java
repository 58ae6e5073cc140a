package dev.mcpsandbox.server.faults;

import dev.mcpsandbox.server.HostProcesses;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What one server's sandboxes may leave behind on the host, looked for from outside, where the backend puts it:
 * processes (the server's descendants as recorded while it lived, and any process whose command line names its
 * run directory {@code <workRoot>/<pid>}), sandbox directories {@code <pid>-<n>} in that run directory, tmpfs
 * mounts below that run directory, and cgroups {@code <pid>-<n>} under {@code mcp-sandbox} in the server's own
 * memory and pids cgroups (as {@code Cgroups} creates them, v1 or v2). A bwrap mount namespace lives only as
 * long as a process in it, so "no process" covers the namespaces too.
 */
final class Leftovers {
    private final long pid;
    private final Path workRoot;
    private final Map<ProcessHandle, String> descendants;
    private final List<Path> cgroupParents;

    Leftovers(long pid, Path workRoot, Map<ProcessHandle, String> descendants) {
        this.pid = pid;
        this.workRoot = workRoot;
        this.descendants = descendants;
        this.cgroupParents = cgroupParents(pid);
    }

    Path runDirectory() {
        return workRoot.resolve(Long.toString(pid));
    }

    /**
     * Everything left by sandboxes while the server keeps running: processes other than those {@code allowed}
     * (an upstream MCP server is the server's child by design), sandbox directories, mounts, cgroups.
     */
    List<String> ofSandboxes(Predicate<String> allowedProcess) throws IOException {
        return ofSandboxes(allowedProcess, true);
    }

    /**
     * @param serverRuns true while the server runs: its fork-server templates are its own, not leftovers (each a
     *                   bwrap process tree, a scratch directory and a cgroup named {@code <pid>-fork-<n>}, and the
     *                   {@code forks} mount of the run directory). Their children are leftovers like any sandbox.
     */
    private List<String> ofSandboxes(Predicate<String> allowedProcess, boolean serverRuns) throws IOException {
        List<String> left = new ArrayList<>();
        Predicate<String> template = name -> serverRuns && name.matches(pid + "-fork-\\d+");
        descendants.forEach((p, cmd) -> {
            if (p.isAlive() && !allowedProcess.test(cmd) && !(serverRuns && isTemplate(p, cmd))) {
                left.add("process " + p.pid() + ": " + cmd);
            }
        });
        String runDir = runDirectory() + "/";
        for (long other : HostProcesses.matching(c -> c.replace('\0', ' ').contains(runDir))) {
            left.add("process " + other + " naming " + runDir);
        }
        // Forked children's scratch spaces are under forks/, the others' right in the run directory.
        for (Path parent : List.of(runDirectory(), runDirectory().resolve("forks"))) {
            if (Files.isDirectory(parent)) {
                try (Stream<Path> dirs = Files.list(parent)) {
                    dirs.filter(d -> d.getFileName().toString().startsWith(pid + "-"))
                            .filter(d -> !template.test(d.getFileName().toString())).forEach(d -> left.add("directory " + d));
                }
            }
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String[] f = line.split(" ");
            // Every mount of a server is below its own run directory; another server's (a fork server's forks
            // mount lives as long as its server) is not this one's leftover.
            if (f.length > 1 && f[1].startsWith(runDirectory() + "/") && !(serverRuns && (f[1].equals(runDirectory()
                    + "/forks") || template.test(Path.of(f[1]).getParent().getFileName().toString())))) {
                left.add("mount " + f[1]);
            }
        }
        for (Path parent : cgroupParents) {
            if (Files.isDirectory(parent)) {
                try (Stream<Path> groups = Files.list(parent)) {
                    groups.filter(g -> g.getFileName().toString().startsWith(pid + "-"))
                            .filter(g -> !template.test(g.getFileName().toString())).forEach(g -> left.add("cgroup " + g));
                }
            }
        }
        return left;
    }

    /**
     * A fork-server template's process (its setpriv and bwrap, or the template interpreter right under bwrap), not
     * one of its children: those have the template's command line too, but a template interpreter as parent.
     */
    private static boolean isTemplate(ProcessHandle process, String recorded) {
        // The command line recorded when the process was first seen may be the host wrapper's, before its exec.
        String cmd = process.info().commandLine().orElse(recorded);
        if (!cmd.contains("/run/fork/fork_template.py")) {
            return false;
        }
        java.util.function.Predicate<String> launcher = c -> c.startsWith("/usr/bin/bwrap") || c.startsWith("/usr/bin/setpriv");
        return launcher.test(cmd) || process.parent().map(p -> launcher.test(p.info().commandLine().orElse(""))).orElse(false);
    }

    /** Everything left once the server itself is gone: also its upstreams, and its run directory. */
    List<String> ofServer() throws IOException {
        List<String> left = ofSandboxes(cmd -> false, false);
        if (Files.exists(runDirectory())) {
            left.add("run directory " + runDirectory());
        }
        return left;
    }

    /** Waits (the kill and the clean-up are asynchronous) until nothing is left of the sandboxes, or fails listing it. */
    void awaitNoSandbox(Duration limit, Predicate<String> allowedProcess) throws Exception {
        awaitEmpty(limit, () -> ofSandboxes(allowedProcess), "left by sandboxes while the server runs");
    }

    void awaitNoSandbox(Duration limit) throws Exception {
        awaitNoSandbox(limit, cmd -> false);
    }

    void awaitNothing(Duration limit) throws Exception {
        awaitEmpty(limit, this::ofServer, "left after the server exited");
    }

    private interface Probe {
        List<String> left() throws IOException;
    }

    private static void awaitEmpty(Duration limit, Probe probe, String what) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        List<String> left = probe.left();
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            left = probe.left();
        }
        assertThat(left).as("%s (waited %d s)", what, limit.toSeconds()).isEmpty();
    }

    /** {@code <server's cgroup>/mcp-sandbox} for the memory and pids controllers (one directory on cgroup v2). */
    private static List<Path> cgroupParents(long pid) {
        List<Path> parents = new ArrayList<>();
        Path root = Path.of("/sys/fs/cgroup");
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
                String[] parts = line.split(":", 3);
                if (parts.length < 3) {
                    continue;
                }
                Optional<Path> base = Optional.empty();
                if (parts[0].equals("0") && parts[1].isEmpty() && Files.exists(root.resolve("cgroup.controllers"))) {
                    base = Optional.of(root);
                } else if (List.of(parts[1].split(",")).contains("memory")) {
                    base = Optional.of(root.resolve("memory"));
                } else if (List.of(parts[1].split(",")).contains("pids")) {
                    base = Optional.of(root.resolve("pids"));
                }
                base.ifPresent(b -> parents.add(b.resolve(parts[2].substring(1)).resolve("mcp-sandbox")));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the server's cgroups", e);
        }
        return parents;
    }
}
