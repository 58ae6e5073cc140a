package dev.mcpsandbox.sandbox.backend;

import dev.mcpsandbox.config.ResourceLimits;

import java.util.List;
import java.util.Map;

/**
 * The plan of one sandbox, as data: what runs, which host paths it sees, and its resource ceilings.
 *
 * @param executionId     names the sandbox in logs, cgroups and audit lines
 * @param command         the program and arguments to exec inside, once the go signal arrives
 * @param readOnlyPaths   host paths (besides the base runtime) bound read-only at the same place
 * @param environment     the only environment variables the code sees
 * @param limits          ceilings fixed at creation (cgroups, disk); a run may lower its rlimits further
 * @param addressSpaceMb  the per-process virtual memory cap; runtimes that reserve large virtual areas
 *                        (V8) need more than {@code limits.memoryMb()}, which the cgroup still enforces
 * @param goLine          who waits for the go line, so how much can be started ahead of demand
 * @param network         true when the code may create TCP sockets on the sandbox's own loopback (where the
 *                        network relay listens); the sandbox still has no route anywhere
 */
public record SandboxSpec(String executionId, List<String> command, List<String> readOnlyPaths,
                          Map<String, String> environment, ResourceLimits limits, long addressSpaceMb,
                          GoLine goLine, boolean network) {
    public SandboxSpec {
        command = List.copyOf(command);
        readOnlyPaths = List.copyOf(readOnlyPaths);
        environment = Map.copyOf(environment);
    }

    /** A sandbox without the network relay. */
    public SandboxSpec(String executionId, List<String> command, List<String> readOnlyPaths,
                       Map<String, String> environment, ResourceLimits limits, long addressSpaceMb, GoLine goLine) {
        this(executionId, command, readOnlyPaths, environment, limits, addressSpaceMb, goLine, false);
    }
}
