package dev.mcpsandbox.sandbox.backend.docker;

import dev.mcpsandbox.sandbox.backend.AbstractSandboxBackendIT;
import dev.mcpsandbox.sandbox.backend.SandboxBackend;

import java.util.Optional;

/**
 * The backend contract under gVisor (runsc). The process cap travels as RLIMIT_NPROC inside gVisor's kernel, which
 * no counter outside shows, so that end signal is not part of its contract. Skips without an engine unless
 * {@code -Dsandbox.docker.required=true}.
 */
class GvisorBackendIT extends AbstractSandboxBackendIT {
    @Override
    protected SandboxBackend startBackend() throws Exception {
        return DockerBackend.start(EngineUnderTest.requireEngine("gvisor"), ContainerRuntime.GVISOR, Optional.empty());
    }
}
