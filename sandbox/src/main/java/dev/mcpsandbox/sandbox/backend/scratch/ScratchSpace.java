package dev.mcpsandbox.sandbox.backend.scratch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The private writable space of one sandbox: {@code work} (seen as /workspace) and {@code tmp} (seen as
 * /tmp), both on one size-capped tmpfs when the server may mount one, so a disk fill inside the
 * sandbox ends at its own quota instead of the host's disk; and {@code bridge}, for the tool socket.
 * Every backend that binds host directories into its sandboxes (bubblewrap, docker) uses the same layout.
 */
public final class ScratchSpace implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ScratchSpace.class);

    private final Path root;
    private final Path fs;
    private final boolean mounted;
    private final WorkFiles files;

    private ScratchSpace(Path root, Path fs, boolean mounted, int uid) {
        this.root = root;
        this.fs = fs;
        this.mounted = mounted;
        this.files = new WorkFiles(fs.resolve("work"), uid);
    }

    public static ScratchSpace create(Path root, int uid, long diskBytes, boolean mountQuota) throws IOException {
        Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        Path fs = root.resolve("fs");
        Files.createDirectory(fs);
        boolean mounted = false;
        if (mountQuota) {
            MountSyscalls.mountTmpfs(fs, diskBytes, uid);
            mounted = true;
        }
        ScratchSpace space = new ScratchSpace(root, fs, mounted, uid);
        try {
            for (Path dir : List.of(space.workDir(), space.tmpDir(), space.bridgeDir())) {
                Files.createDirectories(dir);
                owned(dir, uid);
            }
            owned(fs, uid);
            Files.setPosixFilePermissions(fs, PosixFilePermissions.fromString("rwx------"));
            // The bridge socket inside must be connectable by the sandbox's uid only: no other host user may
            // even reach it, or they could call tools on this execution's behalf.
            Files.setPosixFilePermissions(space.bridgeDir(), PosixFilePermissions.fromString("rwx------"));
        } catch (IOException | RuntimeException e) {
            space.close();
            throw e;
        }
        return space;
    }

    /** Whether this process may hand files to another uid; read once, it cannot change while we run. */
    private static final boolean ROOT = RunDirectory.effectiveUid() == 0;

    public static void owned(Path path, int uid) throws IOException {
        if (ROOT) {
            Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(path, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
        }
    }

    public Path workDir() {
        return fs.resolve("work");
    }

    /** Places the host's files in {@link #workDir()}, owned by the sandbox's uid. */
    public WorkFiles files() {
        return files;
    }

    public Path tmpDir() {
        return fs.resolve("tmp");
    }

    /**
     * On the quota filesystem with work and tmp: the sandbox may write into its bridge directory (it owns it), and
     * outside the quota that was a way around it onto the host's disk.
     */
    public Path bridgeDir() {
        return fs.resolve("bridge");
    }

    public Path root() {
        return root;
    }

    /** Bytes in use on the quota filesystem (work directory and /tmp); empty without one. */
    public java.util.Optional<Long> diskInUse() {
        // java.io.File's space queries are one statvfs(2); Files.getFileStore first scans the host's mount table,
        // stat-ing mount points, which with a mount per live sandbox was 5% of the server's CPU per execution.
        long total = mounted ? fs.toFile().getTotalSpace() : 0;
        return total > 0 ? java.util.Optional.of(total - fs.toFile().getFreeSpace()) : java.util.Optional.empty();
    }

    /** True when the quota filesystem has (nearly) no room left: the code filled its disk. */
    public boolean full() {
        return mounted && fs.toFile().getTotalSpace() > 0 && fs.toFile().getUsableSpace() < 64 * 1024;
    }

    @Override
    public void close() {
        if (mounted) {
            try {
                MountSyscalls.unmount(fs);
            } catch (IOException e) {
                log.warn("cannot unmount {}: {}", fs, e.getMessage());
            }
        }
        deleteTree(root);
    }

    public static void deleteTree(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", dir, e.getMessage());
        }
    }

    public static void run(List<String> command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().clear();
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        // A mount or unmount takes milliseconds: one cut short by an interrupt (a warm pool closing while it creates
        // a sandbox) left its mount behind and the run directory undeletable ("Device or resource busy"), so the
        // wait ends with the command (or after 10 s), and the interrupt is kept for the caller.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        boolean interrupted = false;
        boolean exited = false;
        while (!exited && System.nanoTime() < deadline) {
            try {
                exited = p.waitFor(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (!exited || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " failed: " + out.strip());
        }
    }
}
