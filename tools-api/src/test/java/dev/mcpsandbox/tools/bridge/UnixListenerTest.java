package dev.mcpsandbox.tools.bridge;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UnixListenerTest {
    private static final Set<PosixFilePermission> ANYONE = PosixFilePermissions.fromString("rw-rw-rw-");

    @Test
    void recordsAnAddressThatNamesNothingOfTheHostPath(@TempDir Path dir) throws Exception {
        Path socket = Files.createDirectories(dir.resolve("1234").resolve("1234-7").resolve("bridge")).resolve("tools.sock");
        List<Path> tmpBefore = listTmp();
        try (ServerSocketChannel server = UnixListener.bind(socket, ANYONE);
             SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket));
             SocketChannel accepted = server.accept()) {
            String recorded = ((UnixDomainSocketAddress) server.getLocalAddress()).getPath().toString();
            assertThat(recorded).matches("/tmp/[0-9a-f]{32}/tools\\.sock").doesNotContain(dir.toString());
            // the peer sees the same address: what a sandbox would read in its /proc/net/unix
            assertThat(((UnixDomainSocketAddress) accepted.getLocalAddress()).getPath().toString()).isEqualTo(recorded);
            client.write(ByteBuffer.wrap(new byte[] {42}));
            ByteBuffer one = ByteBuffer.allocate(1);
            accepted.read(one);
            assertThat(one.get(0)).as("a connection through the real path reaches the listener").isEqualTo((byte) 42);
            assertThat(Files.getPosixFilePermissions(socket, LinkOption.NOFOLLOW_LINKS)).isEqualTo(ANYONE);
        }
        assertThat(listTmp()).as("the alias in /tmp is removed once bound").containsExactlyInAnyOrderElementsOf(tmpBefore);
        try (var left = Files.list(socket.getParent().getParent())) {
            assertThat(left.map(p -> p.getFileName().toString())).as("no staging directory left").containsExactly("bridge");
        }
    }

    @Test
    void replacesALinkPlantedAtTheSocketsPathAndNeverChangesWhatItPointsTo(@TempDir Path dir) throws Exception {
        Path bridge = Files.createDirectories(dir.resolve("fs").resolve("bridge"));
        Path hostFile = Files.writeString(dir.resolve("host-secret"), "secret");
        Files.setPosixFilePermissions(hostFile, PosixFilePermissions.fromString("rw-------"));
        Path socket = bridge.resolve("tools.sock");
        Files.createSymbolicLink(socket, hostFile);
        try (ServerSocketChannel server = UnixListener.bind(socket, ANYONE);
             SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            assertThat(Files.isSymbolicLink(socket)).as("the planted link is replaced by the socket").isFalse();
            assertThat(server.accept()).isNotNull();
        }
        assertThat(Files.getPosixFilePermissions(hostFile)).as("the link's target keeps its mode")
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.readString(hostFile)).isEqualTo("secret");
    }

    @Test
    void aProcessSwappingLinksIntoTheDirectoryNeverGetsAHostFilesModeChanged(@TempDir Path dir) throws Exception {
        // What a session's code left running could do to its /run/mcp while the server opens the next call's bridge.
        Path bridge = Files.createDirectories(dir.resolve("fs").resolve("bridge"));
        Path hostFile = Files.writeString(dir.resolve("host-secret"), "secret");
        Set<PosixFilePermission> secret = PosixFilePermissions.fromString("rw-------");
        Files.setPosixFilePermissions(hostFile, secret);
        Path socket = bridge.resolve("tools.sock");
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread swapper = new Thread(() -> {
            while (!done.get()) {
                try {
                    Files.deleteIfExists(socket);
                    Files.createSymbolicLink(socket, hostFile);
                } catch (IOException raced) {
                    // the server's rename or another round got there first
                }
            }
        });
        swapper.start();
        int bound = 0;
        try {
            for (int i = 0; i < 3000; i++) {
                try (ServerSocketChannel server = UnixListener.bind(socket, ANYONE)) {
                    bound++;
                } catch (IOException raced) {
                    // the swapper removed the staged name's destination in between: harmless
                }
            }
        } finally {
            done.set(true);
            swapper.join();
        }
        assertThat(bound).as("binds that went through (positive control)").isGreaterThan(100);
        assertThat(Files.getPosixFilePermissions(hostFile)).isEqualTo(secret);
    }

    @Test
    void aFailedBindLeavesNothingBehind(@TempDir Path dir) throws Exception {
        Path bridge = Files.createDirectories(dir.resolve("fs").resolve("bridge"));
        Path socket = bridge.resolve("tools.sock");
        Files.createDirectory(socket);
        Files.writeString(socket.resolve("keep"), "a directory in the way is not replaced");
        List<Path> tmpBefore = listTmp();
        assertThatThrownBy(() -> UnixListener.bind(socket, ANYONE)).isInstanceOf(IOException.class);
        assertThat(listTmp()).containsExactlyInAnyOrderElementsOf(tmpBefore);
        try (var left = Files.list(bridge.getParent())) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("bridge");
        }
    }

    private static List<Path> listTmp() throws Exception {
        try (var entries = Files.list(Path.of("/tmp"))) {
            return entries.filter(p -> p.getFileName().toString().matches("[0-9a-f]{32}")).toList();
        }
    }
}
