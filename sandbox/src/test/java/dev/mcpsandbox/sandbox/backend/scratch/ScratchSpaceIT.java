package dev.mcpsandbox.sandbox.backend.scratch;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The quota tmpfs a root server mounts per sandbox with mount(2) itself ({@link MountSyscalls}), judged from the
 * kernel's mount table: the options that make it a quota and keep set-uid and device files out, and that nothing of
 * it is left after close; that neither call can be steered through a symbolic link onto another directory.
 */
class ScratchSpaceIT {
    private static final int SANDBOX_UID = 61990;
    @TempDir
    Path dir;

    @BeforeEach
    void needsRoot() {
        boolean root = RunDirectory.effectiveUid() == 0;
        if (!root && Boolean.getBoolean("sandbox.it.required")) {
            throw new AssertionError("these tests need a root server (mounts), and sandbox.it.required=true");
        }
        Assumptions.assumeTrue(root, "only a root server mounts a quota tmpfs per sandbox");
    }

    @Test
    void quotaTmpfs_isSizeCappedOwnedBySandboxAndWithoutSetuidOrDevices_andGoneAfterClose() throws IOException {
        Path root = dir.resolve("s1");
        Path fs;
        try (ScratchSpace scratch = ScratchSpace.create(root, SANDBOX_UID, 4L << 20, true)) {
            fs = scratch.workDir().getParent();
            MountEntry entry = mountAt(fs).orElseThrow(() -> new AssertionError("no mount at " + root.resolve("fs")));
            assertThat(entry.type()).isEqualTo("tmpfs");
            assertThat(entry.options()).contains("nosuid", "nodev");
            assertThat(entry.superOptions()).contains("size=4096k", "mode=700", "uid=" + SANDBOX_UID, "gid=" + SANDBOX_UID);
            assertThat(Files.getAttribute(scratch.workDir(), "unix:uid")).isEqualTo(SANDBOX_UID);
            assertThat(scratch.diskInUse()).isPresent();
        }
        assertThat(mountAt(fs)).isEmpty();
        assertThat(root).doesNotExist();
    }

    @Test
    void quotaTmpfs_endsAWriteAtItsSize_notAtTheHostDisk() throws IOException {
        try (ScratchSpace scratch = ScratchSpace.create(dir.resolve("s2"), SANDBOX_UID, 2L << 20, true)) {
            byte[] block = new byte[64 * 1024];
            assertThatThrownBy(() -> {
                try (OutputStream out = Files.newOutputStream(scratch.workDir().resolve("fill"))) {
                    for (int i = 0; i < 64; i++) { // 4 MiB into 2 MiB
                        out.write(block);
                    }
                }
            }).isInstanceOf(IOException.class).hasMessageContaining("No space left");
            assertThat(scratch.full()).isTrue();
        }
    }

    @Test
    void bridgeDirectory_isOnTheQuotaFilesystem_soWritesThereEndAtTheQuotaToo() throws IOException {
        try (ScratchSpace scratch = ScratchSpace.create(dir.resolve("s3"), SANDBOX_UID, 2L << 20, true)) {
            assertThat(scratch.bridgeDir().startsWith(scratch.workDir().getParent())).isTrue();
            byte[] block = new byte[64 * 1024];
            assertThatThrownBy(() -> {
                try (OutputStream out = Files.newOutputStream(scratch.bridgeDir().resolve("fill"))) {
                    for (int i = 0; i < 64; i++) {
                        out.write(block);
                    }
                }
            }).isInstanceOf(IOException.class).hasMessageContaining("No space left");
            assertThat(scratch.full()).isTrue();
            assertThat(scratch.diskInUse()).hasValueSatisfying(used -> assertThat(used).isGreaterThan(1L << 20));
        }
    }

    @Test
    void mount_refusesASymbolicLink_soNothingIsMountedWhereItPoints() throws IOException {
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), elsewhere);
        try {
            assertThatThrownBy(() -> MountSyscalls.mountTmpfs(link, 1 << 20, SANDBOX_UID)).isInstanceOf(IOException.class)
                    .hasMessageContaining("not a directory");
            assertThat(mountAt(elsewhere)).isEmpty();
        } finally {
            if (mountAt(elsewhere).isPresent()) { // the protection failed: leave no mount behind for the next run
                MountSyscalls.unmount(elsewhere);
            }
        }
    }

    @Test
    void unmount_doesNotFollowASymbolicLink_andLeavesTheMountItPointsAt() throws IOException {
        Path mounted = Files.createDirectory(dir.resolve("mounted"));
        MountSyscalls.mountTmpfs(mounted, 1 << 20, SANDBOX_UID);
        try {
            Path link = Files.createSymbolicLink(dir.resolve("link"), mounted);
            assertThatThrownBy(() -> MountSyscalls.unmount(link)).isInstanceOf(IOException.class);
            assertThat(mountAt(mounted)).isPresent();
        } finally {
            MountSyscalls.unmount(mounted);
        }
        assertThat(mountAt(mounted)).isEmpty();
    }

    @Test
    void mountProbe_succeedsForRoot_andLeavesNoMount() throws IOException {
        Path run = Files.createDirectory(dir.resolve("run"));
        assertThat(RunDirectory.canMountTmpfs(run)).isTrue();
        assertThat(mountAt(run.resolve("mount-probe"))).isEmpty();
        assertThat(run.resolve("mount-probe")).doesNotExist();
    }

    /** One line of /proc/self/mountinfo: per-mount options before the separator, the filesystem's own after it. */
    private record MountEntry(String type, List<String> options, List<String> superOptions) {
    }

    private static Optional<MountEntry> mountAt(Path path) throws IOException {
        String target = (Files.exists(path) ? path.toRealPath() : path.toAbsolutePath().normalize()).toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            if (!f[4].equals(target)) {
                continue;
            }
            int sep = Arrays.asList(f).indexOf("-");
            return Optional.of(new MountEntry(f[sep + 1], List.of(f[5].split(",")), List.of(f[sep + 3].split(","))));
        }
        return Optional.empty();
    }
}
