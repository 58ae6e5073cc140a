package dev.mcpsandbox.tools.bridge;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class UnixListenerTest {

    @Test
    void recordsAnAddressThatNamesNothingOfTheHostPath(@TempDir Path dir) throws Exception {
        Path socket = Files.createDirectories(dir.resolve("1234").resolve("1234-7").resolve("bridge")).resolve("tools.sock");
        List<Path> tmpBefore = listTmp();
        try (ServerSocketChannel server = UnixListener.bind(socket, 0);
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
            assertThat(Files.exists(socket)).as("the socket file stays at its real path").isTrue();
        }
        assertThat(listTmp()).as("the alias in /tmp is removed once bound").containsExactlyInAnyOrderElementsOf(tmpBefore);
    }

    @Test
    void aFailedBindLeavesNoAliasBehind(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("taken.sock");
        try (ServerSocketChannel first = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            first.bind(UnixDomainSocketAddress.of(socket));
            List<Path> tmpBefore = listTmp();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> UnixListener.bind(socket, 0))
                    .isInstanceOf(java.io.IOException.class);
            assertThat(listTmp()).containsExactlyInAnyOrderElementsOf(tmpBefore);
        }
    }

    private static List<Path> listTmp() throws Exception {
        try (var entries = Files.list(Path.of("/tmp"))) {
            return entries.filter(p -> p.getFileName().toString().matches("[0-9a-f]{32}")).toList();
        }
    }
}
