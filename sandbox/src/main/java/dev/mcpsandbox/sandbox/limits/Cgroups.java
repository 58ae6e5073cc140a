package dev.mcpsandbox.sandbox.limits;

import dev.mcpsandbox.config.ResourceLimits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Memory and pids cgroups for sandboxes, on cgroup v1 (separate memory and pids hierarchies, as on
 * the CI machines) or v2 (one unified hierarchy, as on most user machines). Groups are nested under
 * the server's own cgroup, so whatever limits the server itself runs under still apply.
 * Detection happens once; when the server may not create groups, {@link #available()} is false and
 * the sandbox relies on rlimits alone (reported by the backend's self-check).
 */
public final class Cgroups {
    private static final Logger log = LoggerFactory.getLogger(Cgroups.class);

    private final Optional<Layout> layout;
    private final String unavailableReason;

    private Cgroups(Optional<Layout> layout, String unavailableReason) {
        this.layout = layout;
        this.unavailableReason = unavailableReason;
    }

    /** Where the memory and pids controllers are, for this process; v2 has both in one directory. */
    private record Layout(boolean v2, Path memoryParent, Path pidsParent) {
    }

    public static Cgroups detect(String serverScope) {
        try {
            List<String> self = Files.readAllLines(Path.of("/proc/self/cgroup"));
            Path root = Path.of("/sys/fs/cgroup");
            Optional<Path> v1Memory = v1Path(self, root, "memory");
            Optional<Path> v1Pids = v1Path(self, root, "pids");
            if (v1Memory.isPresent() && v1Pids.isPresent()) {
                return tryCreate(new Layout(false, v1Memory.get().resolve(serverScope), v1Pids.get().resolve(serverScope)));
            }
            Path controllers = root.resolve("cgroup.controllers");
            if (Files.exists(controllers)) {
                String ctl = Files.readString(controllers);
                if (ctl.contains("memory") && ctl.contains("pids")) {
                    String own = self.stream().filter(l -> l.startsWith("0::")).map(l -> l.substring(3))
                            .findFirst().orElse("/");
                    Path parent = root.resolve(own.substring(1)).resolve(serverScope);
                    return tryCreate(new Layout(true, parent, parent));
                }
            }
            return new Cgroups(Optional.empty(), "no memory and pids cgroup controllers are mounted");
        } catch (IOException | RuntimeException e) {
            return new Cgroups(Optional.empty(), "cannot read /proc/self/cgroup: " + e.getMessage());
        }
    }

    private static Optional<Path> v1Path(List<String> self, Path root, String controller) {
        for (String line : self) {
            String[] parts = line.split(":", 3);
            if (parts.length == 3 && List.of(parts[1].split(",")).contains(controller)) {
                Path mount = root.resolve(controller);
                if (Files.isDirectory(mount) && Files.exists(mount.resolve("cgroup.procs"))) {
                    return Optional.of(mount.resolve(parts[2].substring(1)));
                }
            }
        }
        return Optional.empty();
    }

    private static Cgroups tryCreate(Layout layout) {
        try {
            Files.createDirectories(layout.memoryParent());
            Files.createDirectories(layout.pidsParent());
            if (layout.v2()) {
                // Children of a v2 group get controllers only when the parent delegates them.
                Files.writeString(layout.memoryParent().resolve("cgroup.subtree_control"), "+memory +pids");
            }
            // The parent may exist already (made by another user, e.g. root); only making a child proves we may.
            for (Path parent : List.of(layout.memoryParent(), layout.pidsParent())) {
                Path probe = parent.resolve("probe-" + ProcessHandle.current().pid());
                Files.createDirectory(probe);
                Files.delete(probe);
            }
            return new Cgroups(Optional.of(layout), "");
        } catch (IOException | RuntimeException e) {
            log.debug("cgroups not usable", e);
            return new Cgroups(Optional.empty(), "cannot create cgroups under " + layout.memoryParent() + ": " + e.getMessage()
                    + " (run the server as root, or delegate a cgroup subtree to its user)");
        }
    }

    public boolean available() {
        return layout.isPresent();
    }

    public String unavailableReason() {
        return unavailableReason;
    }

    public String describe() {
        return layout.map(l -> (l.v2() ? "cgroup v2 at " : "cgroup v1 at ") + l.memoryParent()).orElse("none: " + unavailableReason);
    }

    /** Creates the groups of one sandbox with its memory and process caps. */
    public Optional<Group> create(String name, ResourceLimits limits) throws IOException {
        if (layout.isEmpty()) {
            return Optional.empty();
        }
        Layout l = layout.get();
        Path memory = l.memoryParent().resolve(name);
        Path pids = l.pidsParent().resolve(name);
        Files.createDirectory(memory);
        if (!l.v2()) {
            Files.createDirectory(pids);
        }
        Group group = new Group(l.v2(), memory, pids);
        try {
            group.apply(limits);
        } catch (IOException | RuntimeException e) {
            group.close();
            throw e;
        }
        return Optional.of(group);
    }

    /**
     * Removes groups that a server which died without cleaning up left behind. Group names start with
     * the owning server's pid ({@code <pid>-<n>}); groups of live servers are left alone.
     */
    public void sweepStale() {
        layout.ifPresent(l -> {
            for (Path parent : l.v2() ? List.of(l.memoryParent()) : List.of(l.memoryParent(), l.pidsParent())) {
                try (var children = Files.list(parent)) {
                    children.filter(Files::isDirectory).filter(Cgroups::ownerIsGone)
                            .forEach(dir -> new Group(l.v2(), dir, dir).removeQuietly(dir));
                } catch (IOException e) {
                    log.debug("sweep of {} failed", parent, e);
                }
            }
        });
    }

    private static boolean ownerIsGone(Path group) {
        String name = group.getFileName().toString();
        int dash = name.indexOf('-');
        try {
            long pid = Long.parseLong(dash > 0 ? name.substring(0, dash) : name);
            return ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The cgroups of one sandbox. */
    public static final class Group implements AutoCloseable {
        private final boolean v2;
        private final Path memory;
        private final Path pids;

        private Group(boolean v2, Path memory, Path pids) {
            this.v2 = v2;
            this.memory = memory;
            this.pids = pids;
        }

        void apply(ResourceLimits limits) throws IOException {
            long bytes = limits.memoryMb() * 1024L * 1024L;
            if (v2) {
                Files.writeString(memory.resolve("memory.max"), Long.toString(bytes));
                writeIfPresent(memory.resolve("memory.swap.max"), "0");
                Files.writeString(memory.resolve("pids.max"), Integer.toString(limits.processes()));
            } else {
                Files.writeString(memory.resolve("memory.limit_in_bytes"), Long.toString(bytes));
                // Without this the cgroup swaps instead of failing, and a memory bomb becomes a timeout.
                writeIfPresent(memory.resolve("memory.memsw.limit_in_bytes"), Long.toString(bytes));
                Files.writeString(pids.resolve("pids.max"), Integer.toString(limits.processes()));
            }
        }

        private static void writeIfPresent(Path file, String value) {
            try {
                if (Files.exists(file)) {
                    Files.writeString(file, value);
                }
            } catch (IOException e) {
                log.debug("cannot write {}", file, e);
            }
        }

        /** Files a launcher writes its own pid into, so everything it starts is inside before any code runs. */
        public List<Path> procsFiles() {
            return v2 ? List.of(memory.resolve("cgroup.procs")) : List.of(memory.resolve("cgroup.procs"), pids.resolve("cgroup.procs"));
        }

        /** Memory the group's processes use now (page cache included, as the cap counts it). */
        public Optional<Long> memoryInUse() {
            try {
                return Optional.of(Long.parseLong(Files.readString(memory.resolve(v2 ? "memory.current"
                        : "memory.usage_in_bytes")).trim()));
            } catch (IOException | NumberFormatException e) {
                return Optional.empty();
            }
        }

        public boolean memoryExhausted() {
            return v2 ? counter(memory.resolve("memory.events"), "oom_kill") > 0
                    : counter(memory.resolve("memory.oom_control"), "oom_kill") > 0;
        }

        public boolean processCapHit() {
            return counter((v2 ? memory : pids).resolve("pids.events"), "max") > 0;
        }

        private static long counter(Path file, String key) {
            try {
                for (String line : Files.readAllLines(file)) {
                    if (line.startsWith(key + " ")) {
                        return Long.parseLong(line.substring(key.length() + 1).trim());
                    }
                }
            } catch (IOException | NumberFormatException e) {
                return 0;
            }
            return 0;
        }

        /** SIGKILLs every process still in the group (the sandbox's PID namespace normally took them already). */
        public void killAll() {
            for (Path procs : procsFiles()) {
                try {
                    for (String pid : Files.readAllLines(procs)) {
                        if (!pid.isBlank()) {
                            ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
                        }
                    }
                } catch (IOException | NumberFormatException e) {
                    log.debug("cannot list {}", procs, e);
                }
            }
        }

        @Override
        public void close() {
            killAll();
            removeQuietly(memory);
            if (!v2) {
                removeQuietly(pids);
            }
        }

        private void removeQuietly(Path dir) {
            // A group can be removed only once its last process has been reaped; that takes a moment after SIGKILL.
            for (int attempt = 0; attempt < 50; attempt++) {
                try {
                    Files.deleteIfExists(dir);
                    return;
                } catch (IOException e) {
                    if (attempt == 0) {
                        killAll();
                    }
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
            log.warn("could not remove cgroup {}", dir);
        }
    }
}
