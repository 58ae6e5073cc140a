package dev.mcpsandbox.tools.bridge;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Binds the Unix listeners a sandbox connects to (the tool bridge, the network proxy) so that the address the
 * kernel records for them names nothing of the host. The server's end of a connection is created in the network
 * namespace of the socket that connects, carrying the listener's address: a sandbox holding a connection open sees
 * that address in its own {@code /proc/net/unix}, and bound at its real path it would read the server's pid and run
 * directory there. So the listener is bound through a symlink with a random name in {@code /tmp}, removed at once:
 * the socket file is where it always was, and the recorded address is {@code /tmp/<random>/<file name>}.
 */
public final class UnixListener {
    /** Sticky and writable by everyone on every Linux host; a symlink there can be replaced only by its owner. */
    private static final Path SHORT_DIRECTORY = Path.of("/tmp");
    private static final SecureRandom RANDOM = new SecureRandom();

    private UnixListener() {
    }

    /** A listener on {@code socket}, a path the caller has made free; the address it records names nothing. */
    public static ServerSocketChannel bind(Path socket, int backlog) throws IOException {
        Path directory = socket.toAbsolutePath().getParent();
        Path alias = alias(directory);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(alias.equals(directory) ? socket : alias.resolve(socket.getFileName())),
                    backlog);
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        } finally {
            if (!alias.equals(directory)) {
                Files.deleteIfExists(alias);
            }
        }
    }

    /** A fresh symlink to {@code directory} with a random name in /tmp; the directory itself when there is none. */
    private static Path alias(Path directory) throws IOException {
        if (!Files.isDirectory(SHORT_DIRECTORY, LinkOption.NOFOLLOW_LINKS) || !Files.isWritable(SHORT_DIRECTORY)) {
            return directory;  // nowhere to put one: the real path is recorded, as before
        }
        byte[] name = new byte[16];
        for (int attempt = 0; attempt < 4; attempt++) {
            RANDOM.nextBytes(name);
            Path alias = SHORT_DIRECTORY.resolve(HexFormat.of().formatHex(name));
            try {
                return Files.createSymbolicLink(alias, directory);
            } catch (FileAlreadyExistsException taken) {
                // another process's name (2^-128): draw again
            }
        }
        return directory;
    }
}
