package dev.mcpsandbox.sandbox.backend.docker;

import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.scratch.RunDirectory;
import dev.mcpsandbox.sandbox.backend.scratch.ScratchSpace;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * Where this server keeps its containers' host directories, and whose they are.
 *
 * @param runRoot    this server's run directory: one scratch space per sandbox below it
 * @param guestDir   the guest libraries every sandbox gets read-only at {@link ContainerSpecs#GUEST}
 * @param sandboxUid the uid containers run as, and which owns the files the host places for them
 * @param diskQuota  whether each scratch space is a size-capped tmpfs (a root server can mount one)
 */
record HostLayout(Path runRoot, Path guestDir, int sandboxUid, boolean diskQuota) {

    static HostLayout prepare(Optional<Path> workRoot) throws SandboxException {
        Path runRoot;
        Path guest;
        try {
            runRoot = RunDirectory.prepare(workRoot);
            guest = runRoot.resolve("guest");
            Files.createDirectories(guest);
            Files.setPosixFilePermissions(guest, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new SandboxException(e.getMessage(), e);
        }
        int ownUid = RunDirectory.effectiveUid();
        // A root server hands the sandbox's files to an unprivileged uid; an unprivileged server runs its
        // containers as itself, so they can use the directories it made.
        int sandboxUid = ownUid == 0 ? ContainerSpecs.SANDBOX_UID : ownUid;
        return new HostLayout(runRoot, guest, sandboxUid, ownUid == 0 && RunDirectory.canMountTmpfs(runRoot));
    }

    /** A fresh scratch space for the container {@code name}, capped at {@code diskMb} where a quota is possible. */
    ScratchSpace scratchFor(String name, int diskMb) throws IOException {
        return ScratchSpace.create(runRoot.resolve(name), sandboxUid, diskMb * 1024L * 1024L, diskQuota);
    }

    void delete() {
        ScratchSpace.deleteTree(runRoot);
    }
}
