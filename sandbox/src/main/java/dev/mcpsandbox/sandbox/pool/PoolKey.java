package dev.mcpsandbox.sandbox.pool;

import dev.mcpsandbox.sandbox.backend.GoLine;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;

import java.util.List;
import java.util.Map;

/**
 * What must be equal for a pre-started sandbox to serve a request: everything fixed when a sandbox is
 * created. Time, output, file size and tool calls are applied per run (host clock, output capture, the
 * go line's rlimits, the bridge), so they may differ.
 */
record PoolKey(List<String> command, List<String> readOnlyPaths, Map<String, String> environment, int memoryMb,
               int processes, int diskMb, long addressSpaceMb, GoLine goLine, int creationTimeoutSeconds,
               int creationFileSizeMb, boolean network) {

    /**
     * Whether a sandbox made for this key may run a request whose key is {@code request}: the same in everything
     * creation fixes, except that a runtime holding its creation-time CPU limit may take a shorter timeout. The
     * host's clock ends that run at its own timeout; the CPU limit is only a backstop behind the clock, so a looser
     * one changes nothing a run can do (a file-size limit is no backstop, and must match).
     */
    boolean serves(PoolKey request) {
        return equals(request) || (request.creationTimeoutSeconds < creationTimeoutSeconds
                && equals(request.withCreationTimeout(creationTimeoutSeconds)));
    }

    private PoolKey withCreationTimeout(int seconds) {
        return new PoolKey(command, readOnlyPaths, environment, memoryMb, processes, diskMb, addressSpaceMb, goLine,
                seconds, creationFileSizeMb, network);
    }

    static PoolKey of(SandboxSpec spec) {
        // A runtime that cannot lower its rlimits at the go line runs with the creation-time ones, so those must match too.
        boolean fixed = spec.goLine() == GoLine.RUNTIME_WITH_CREATION_LIMITS;
        return new PoolKey(spec.command(), spec.readOnlyPaths(), spec.environment(), spec.limits().memoryMb(),
                spec.limits().processes(), spec.limits().diskMb(), spec.addressSpaceMb(), spec.goLine(),
                fixed ? spec.limits().timeoutSeconds() : 0, fixed ? spec.limits().fileSizeMb() : 0, spec.network());
    }
}
