package dev.mcpsandbox.sandbox.pool;

import dev.mcpsandbox.sandbox.backend.SandboxSpec;

import java.util.List;
import java.util.Map;

/**
 * What must be equal for a pre-started sandbox to serve a request: everything fixed when a sandbox is
 * created. Time, output, file size and tool calls are applied per run (host clock, output capture, the
 * go line's rlimits, the bridge), so they may differ.
 */
record PoolKey(List<String> command, List<String> readOnlyPaths, Map<String, String> environment, int memoryMb,
               int processes, int diskMb, long addressSpaceMb, boolean commandReadsGoLine) {

    static PoolKey of(SandboxSpec spec) {
        return new PoolKey(spec.command(), spec.readOnlyPaths(), spec.environment(), spec.limits().memoryMb(),
                spec.limits().processes(), spec.limits().diskMb(), spec.addressSpaceMb(), spec.commandReadsGoLine());
    }
}
