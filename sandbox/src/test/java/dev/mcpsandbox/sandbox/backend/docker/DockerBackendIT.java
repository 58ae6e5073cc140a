package dev.mcpsandbox.sandbox.backend.docker;

import dev.mcpsandbox.sandbox.backend.AbstractSandboxBackendIT;
import dev.mcpsandbox.sandbox.backend.SandboxBackend;

import java.util.Optional;

/** The backend contract on Docker (runc). Skips without an engine unless {@code -Dsandbox.docker.required=true}. */
class DockerBackendIT extends AbstractSandboxBackendIT {
    @Override
    protected SandboxBackend startBackend() throws Exception {
        return DockerBackend.start(EngineUnderTest.requireEngine("docker"), ContainerRuntime.RUNC, Optional.empty());
    }
}
