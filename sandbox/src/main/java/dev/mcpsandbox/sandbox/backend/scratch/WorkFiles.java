package dev.mcpsandbox.sandbox.backend.scratch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Places the host's files (code, inputs, compiled programs) in a sandbox's work directory, owned by the
 * sandbox's user, before its code starts. Names were checked by the caller; this checks again that they
 * stay inside, because it is the last step before the host's disk.
 */
public final class WorkFiles {
    private final Path workDir;
    private final int uid;

    public WorkFiles(Path workDir, int uid) {
        this.workDir = workDir;
        this.uid = uid;
    }

    /** @param executable compiled programs get mode 0755 */
    public void write(String relativePath, byte[] content, boolean executable) throws IOException {
        Path target = inside(relativePath);
        makeDirectories(target.getParent());
        Files.write(target, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        if (executable) {
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        ScratchSpace.owned(target, uid);
    }

    public void createDirectory(String relativePath) throws IOException {
        makeDirectories(inside(relativePath));
    }

    private Path inside(String relativePath) throws IOException {
        Path target = workDir.resolve(relativePath).normalize();
        if (!target.startsWith(workDir) || target.equals(workDir)) {
            throw new IOException("file name escapes the work directory: " + relativePath);
        }
        return target;
    }

    private void makeDirectories(Path directory) throws IOException {
        if (Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path dir = workDir;
        for (Path part : workDir.relativize(directory)) {
            dir = dir.resolve(part);
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(dir);
                ScratchSpace.owned(dir, uid);
            }
        }
    }
}
