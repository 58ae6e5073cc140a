package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxBackend;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import dev.mcpsandbox.sandbox.output.Harvest;

import java.util.concurrent.Executor;

/**
 * Where every phase of a call runs its program (the compiler, the checker, the code): a sandbox of the backend,
 * torn down on {@code io}, with the process cap carried as an rlimit when no cgroup counts processes.
 */
record Sandboxes(SandboxBackend backend, Executor io, boolean perUidProcessLimit) {

    /** Runs in a sandbox created for this run alone. */
    SandboxRun.Raw runFresh(SandboxSpec spec, SandboxRun.Inputs inputs, Harvest harvest,
                            SandboxRun.BridgeOpener bridge, CallContext context)
            throws SandboxException, InterruptedException {
        return run(backend.create(spec), spec, inputs, harvest, bridge, context);
    }

    /** Runs in {@code sandbox}, made from {@code spec} (pre-started or just created); this run is its only use. */
    SandboxRun.Raw run(Sandbox sandbox, SandboxSpec spec, SandboxRun.Inputs inputs, Harvest harvest,
                       SandboxRun.BridgeOpener bridge, CallContext context)
            throws SandboxException, InterruptedException {
        return SandboxRun.run(sandbox, spec, inputs, harvest, bridge, context, io, perUidProcessLimit);
    }
}
