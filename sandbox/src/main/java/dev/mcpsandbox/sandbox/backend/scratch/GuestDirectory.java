package dev.mcpsandbox.sandbox.backend.scratch;

import dev.mcpsandbox.sandbox.backend.SandboxException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The host directory every sandbox of a backend sees read-only at /opt/mcp-sandbox (guest libraries,
 * language preloads and runners). Readable by everyone, since each sandbox runs as a uid of its own.
 */
public final class GuestDirectory {
    private GuestDirectory() {
    }

    public static void install(Path guestDir, String relativePath, String content, boolean executable)
            throws SandboxException {
        Path target = guestDir.resolve(relativePath).normalize();
        if (!target.startsWith(guestDir)) {
            throw new SandboxException("guest file outside the guest directory: " + relativePath);
        }
        try {
            for (Path dir = target.getParent(); !dir.equals(guestDir); dir = dir.getParent()) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            Files.writeString(target, content);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
        } catch (IOException e) {
            throw new SandboxException("cannot install guest file " + relativePath + ": " + e.getMessage(), e);
        }
    }
}
