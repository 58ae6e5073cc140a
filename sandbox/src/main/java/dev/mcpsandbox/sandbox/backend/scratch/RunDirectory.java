package dev.mcpsandbox.sandbox.backend.scratch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

/**
 * The private run directory of one server process, {@code <work root>/<pid>}, under which each sandbox gets
 * its {@link ScratchSpace}. Directories of servers that died without cleaning up (SIGKILL, power loss) are
 * removed when the next server starts, with any scratch filesystem still mounted below them.
 */
public final class RunDirectory {
    private static final Logger log = LoggerFactory.getLogger(RunDirectory.class);

    private RunDirectory() {
    }

    /**
     * @param configuredWorkRoot parent of every server's private run directory; empty: {@code <tmp>/mcp-sandbox-<uid>},
     *                           one per user
     * @return this server's fresh, empty run directory
     */
    public static Path prepare(Optional<Path> configuredWorkRoot) throws IOException {
        int ownUid = effectiveUid();
        Path workRoot = workRoot(configuredWorkRoot);
        Files.createDirectories(workRoot);
        // In a shared directory such as /tmp another user could have made this path first (or a symlink).
        if (Files.isSymbolicLink(workRoot)
                || ((Integer) Files.getAttribute(workRoot, "unix:uid", LinkOption.NOFOLLOW_LINKS)) != ownUid) {
            throw new IOException(workRoot + " exists but is not a directory owned by this user (uid " + ownUid
                    + "); remove it or set execution.workRoot");
        }
        Files.setPosixFilePermissions(workRoot, PosixFilePermissions.fromString("rwx--x--x"));
        sweepStale(workRoot);
        Path runRoot = workRoot.resolve(Long.toString(ProcessHandle.current().pid()));
        ScratchSpace.deleteTree(runRoot);
        Files.createDirectory(runRoot, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        return runRoot;
    }

    /** The parent of every server's run directory: the configured one, or {@code <tmp>/mcp-sandbox-<uid>}. */
    public static Path workRoot(Optional<Path> configuredWorkRoot) {
        return configuredWorkRoot.orElse(Path.of(System.getProperty("java.io.tmpdir"), "mcp-sandbox-" + effectiveUid()));
    }

    /** Whether this process may mount a size-capped tmpfs per sandbox (root, or CAP_SYS_ADMIN). */
    public static boolean canMountTmpfs(Path runRoot) {
        Path probe = runRoot.resolve("mount-probe");
        try {
            Files.createDirectory(probe);
            // the same calls every scratch space makes, so a server that cannot make them serves without quotas
            MountSyscalls.mountTmpfs(probe, 1 << 20, effectiveUid());
            MountSyscalls.unmount(probe);
            return true;
        } catch (IOException e) {
            log.info("no per-sandbox disk quota: {}", e.getMessage());
            return false;
        } finally {
            ScratchSpace.deleteTree(probe);
        }
    }

    public static int effectiveUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.split("\\s+")[2]);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read the server's uid from /proc/self/status", e);
        }
        throw new IllegalStateException("no Uid line in /proc/self/status");
    }

    private static void sweepStale(Path workRoot) throws IOException {
        try (var dirs = Files.list(workRoot)) {
            for (Path dir : (Iterable<Path>) dirs::iterator) {
                String name = dir.getFileName().toString();
                if (!name.matches("\\d+")) {
                    continue;
                }
                boolean alive = ProcessHandle.of(Long.parseLong(name)).map(ProcessHandle::isAlive).orElse(false);
                if (!alive) {
                    unmountBelow(dir);
                    ScratchSpace.deleteTree(dir);
                }
            }
        }
    }

    /**
     * Deepest first, each on its own: a fork server's {@code forks} mount has the children's scratch mounts below
     * it, and unmounting it first detaches them, so their own unmount then fails and must not stop the sweep.
     */
    private static void unmountBelow(Path dir) {
        List<String> mounts;
        try {
            mounts = Files.readAllLines(Path.of("/proc/self/mounts")).stream().map(l -> l.split(" "))
                    .filter(f -> f.length > 1 && f[1].startsWith(dir + "/")).map(f -> f[1])
                    .sorted(java.util.Comparator.comparingInt(String::length).reversed()).toList();
        } catch (IOException e) {
            log.warn("cannot list the mounts under {}: {}", dir, e.getMessage());
            return;
        }
        for (String mount : mounts) {
            try {
                MountSyscalls.unmount(Path.of(mount));
            } catch (IOException e) {
                log.warn("cannot unmount stale scratch space {}: {}", mount, e.getMessage());
            }
        }
    }
}
