package dev.mcpsandbox.tools.bridge;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

/**
 * Binds the Unix listeners a sandbox connects to (the tool bridge, the network proxy) in a directory the sandbox
 * can write to (its {@code /run/mcp}), safely and without naming the host.
 * <ul>
 *   <li>The socket is bound and given its mode in a staging directory beside that one, on the same filesystem but
 *       out of the sandbox's reach, then renamed into place: a session's code still running from an earlier call
 *       could otherwise swap the fresh socket for a symbolic link between the bind and the chmod, and have the
 *       server change the mode of any host file.</li>
 *   <li>The server's end of a connection is created in the network namespace of the socket that connects,
 *       carrying the listener's address: a sandbox holding a connection open sees that address in its own
 *       {@code /proc/net/unix}. The bind goes through a symlink with a random name in {@code /tmp}, removed at
 *       once, so the address is {@code /tmp/<random>/<file name>} instead of the server's run directory and pid.</li>
 * </ul>
 */
public final class UnixListener {
    /** Sticky and writable by everyone on every Linux host; a symlink there can be replaced only by its owner. */
    private static final Path SHORT_DIRECTORY = Path.of("/tmp");
    private static final SecureRandom RANDOM = new SecureRandom();

    private UnixListener() {
    }

    /** A listener at {@code socket} with {@code mode}, replacing whatever is there; its address names nothing. */
    public static ServerSocketChannel bind(Path socket, Set<PosixFilePermission> mode) throws IOException {
        Path directory = socket.toAbsolutePath().getParent();
        Path staging = Files.createDirectory(directory.resolveSibling(".bind-" + randomName()),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path staged = staging.resolve(socket.getFileName());
        try {
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                Path alias = alias(staging);
                try {
                    server.bind(UnixDomainSocketAddress.of(alias.equals(staging) ? staged : alias.resolve(staged.getFileName())));
                } finally {
                    if (!alias.equals(staging)) {
                        Files.deleteIfExists(alias);
                    }
                }
                Files.setPosixFilePermissions(staged, mode);
                // rename(2): replaces a file or symlink at the destination without following it
                Files.move(staged, socket, StandardCopyOption.ATOMIC_MOVE);
                return server;
            } catch (IOException | RuntimeException e) {
                server.close();
                throw e;
            }
        } finally {
            Files.deleteIfExists(staged);
            Files.deleteIfExists(staging);
        }
    }

    /** A fresh symlink to {@code directory} with a random name in /tmp; the directory itself when there is none. */
    private static Path alias(Path directory) throws IOException {
        if (!Files.isDirectory(SHORT_DIRECTORY, LinkOption.NOFOLLOW_LINKS) || !Files.isWritable(SHORT_DIRECTORY)) {
            return directory;  // nowhere to put one: the real path is recorded
        }
        for (int attempt = 0; attempt < 4; attempt++) {
            Path alias = SHORT_DIRECTORY.resolve(randomName());
            try {
                return Files.createSymbolicLink(alias, directory);
            } catch (FileAlreadyExistsException taken) {
                // another process's name (2^-128): draw again
            }
        }
        return directory;
    }

    private static String randomName() {
        byte[] name = new byte[16];
        RANDOM.nextBytes(name);
        return HexFormat.of().formatHex(name);
    }
}
