package dev.mcpsandbox.sandbox.backend.docker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The counters of one container's cgroups, read from the host's cgroup filesystem (a file read, unlike an
 * API call, is cheap enough for the run's 25 ms watch loop). Covers the layouts of Docker's cgroupfs and
 * systemd drivers on cgroup v1 and v2; when none is found the counters read as zero and the backend falls
 * back to what the engine reports after exit (OOMKilled).
 */
final class ContainerCgroup {
    private static final Path ROOT = Path.of("/sys/fs/cgroup");

    private final Optional<Path> pidsEvents;
    private final Optional<Path> memoryEvents;
    private final Optional<Path> memoryUsage;

    private ContainerCgroup(Optional<Path> pidsEvents, Optional<Path> memoryEvents, Optional<Path> memoryUsage) {
        this.pidsEvents = pidsEvents;
        this.memoryEvents = memoryEvents;
        this.memoryUsage = memoryUsage;
    }

    static ContainerCgroup find(String containerId) {
        List<String> relative = List.of("docker/" + containerId, "system.slice/docker-" + containerId + ".scope");
        Optional<Path> pids = Optional.empty();
        Optional<Path> memory = Optional.empty();
        Optional<Path> usage = Optional.empty();
        for (String rel : relative) {
            Path v1Pids = ROOT.resolve("pids").resolve(rel).resolve("pids.events");
            Path v2 = ROOT.resolve(rel);
            if (pids.isEmpty() && Files.exists(v1Pids)) {
                pids = Optional.of(v1Pids);
            } else if (pids.isEmpty() && Files.exists(v2.resolve("pids.events"))) {
                pids = Optional.of(v2.resolve("pids.events"));
            }
            Path v1Memory = ROOT.resolve("memory").resolve(rel).resolve("memory.oom_control");
            if (memory.isEmpty() && Files.exists(v1Memory)) {
                memory = Optional.of(v1Memory);
                usage = Optional.of(v1Memory.resolveSibling("memory.usage_in_bytes"));
            } else if (memory.isEmpty() && Files.exists(v2.resolve("memory.events"))) {
                memory = Optional.of(v2.resolve("memory.events"));
                usage = Optional.of(v2.resolve("memory.current"));
            }
        }
        return new ContainerCgroup(pids, memory, usage);
    }

    /** The pids cap refused a fork at least once. */
    boolean processCapHit() {
        return pidsEvents.map(p -> counter(p, "max") > 0).orElse(false);
    }

    /** The kernel's OOM killer ran in this cgroup (v1 memory.oom_control and v2 memory.events both count oom_kill). */
    boolean oomKilled() {
        return memoryEvents.map(p -> counter(p, "oom_kill") > 0).orElse(false);
    }

    /** Memory the container's processes use now (page cache included, as the cap counts it). */
    Optional<Long> memoryInUse() {
        return memoryUsage.flatMap(p -> {
            try {
                return Optional.of(Long.parseLong(Files.readString(p).trim()));
            } catch (IOException | NumberFormatException e) {
                return Optional.empty(); // the container is gone
            }
        });
    }

    private static long counter(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                String[] f = line.trim().split("\\s+");
                if (f.length == 2 && f[0].equals(key)) {
                    return Long.parseLong(f[1]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }
}
