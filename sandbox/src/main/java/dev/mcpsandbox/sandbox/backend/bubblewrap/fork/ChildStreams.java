package dev.mcpsandbox.sandbox.backend.bubblewrap.fork;

import dev.mcpsandbox.sandbox.backend.scratch.ScratchSpace;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A child's stdin, stdout and stderr: three connections to a socket in its scratch space, which the child makes in
 * this order before it covers {@code /forks} (a socket, unlike a FIFO, never blocks the host on an open: closing
 * the listener ends a wait for a child that died first). The streams end where the child's processes end.
 */
final class ChildStreams implements AutoCloseable {
    static final String SOCKET = "io.sock";

    private final ServerSocketChannel listener;
    private final List<CompletableFuture<SocketChannel>> accepted =
            List.of(new CompletableFuture<>(), new CompletableFuture<>(), new CompletableFuture<>());

    private ChildStreams(ServerSocketChannel listener) {
        this.listener = listener;
    }

    /** Listens at {@code socket}, connectable by {@code uid} alone, and accepts the three connections on {@code io}. */
    static ChildStreams open(Path socket, int uid, Executor io) throws IOException {
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            listener.bind(UnixDomainSocketAddress.of(socket), 3);
            ScratchSpace.owned(socket, uid);
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            listener.close();
            throw e;
        }
        ChildStreams streams = new ChildStreams(listener);
        io.execute(streams::acceptAll);
        return streams;
    }

    private void acceptAll() {
        for (CompletableFuture<SocketChannel> next : accepted) {
            try {
                next.complete(listener.accept());
            } catch (IOException e) {
                accepted.forEach(f -> f.completeExceptionally(e));
                return;
            }
        }
        try {
            listener.close();
        } catch (IOException e) {
            // nothing waits on it any more
        }
    }

    /** The child's stdin, once it has connected; empty when it never will (died first, or was killed). */
    java.util.Optional<OutputStream> stdin(Duration wait) throws InterruptedException {
        try {
            return java.util.Optional.of(Channels.newOutputStream(accepted.get(0).get(wait.toMillis(), TimeUnit.MILLISECONDS)));
        } catch (ExecutionException | TimeoutException e) {
            return java.util.Optional.empty();
        }
    }

    InputStream stdout() {
        return new Lazy(accepted.get(1));
    }

    InputStream stderr() {
        return new Lazy(accepted.get(2));
    }

    /** True once the child has connected all three: its set-up is done, and only user code runs from here on. */
    boolean allConnected() {
        return accepted.stream().allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    }

    /** Ends any wait for a connection still to come; the streams already open end with the child's processes. */
    void stopWaiting() {
        try {
            listener.close();
        } catch (IOException e) {
            // closed already
        }
    }

    @Override
    public void close() {
        stopWaiting();
        for (CompletableFuture<SocketChannel> f : accepted) {
            f.completeExceptionally(new IOException("closed"));
            if (!f.isCompletedExceptionally()) {
                try {
                    f.join().close();
                } catch (IOException e) {
                    // closing anyway
                }
            }
        }
    }

    /** Reads the connection once it is there; a connection that never comes is an empty stream. */
    private static final class Lazy extends InputStream {
        private final CompletableFuture<SocketChannel> channel;
        private InputStream in;

        Lazy(CompletableFuture<SocketChannel> channel) {
            this.channel = channel;
        }

        private InputStream in() throws IOException {
            if (in == null) {
                try {
                    in = Channels.newInputStream(channel.get());
                } catch (ExecutionException e) {
                    in = InputStream.nullInputStream();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while waiting for the child's output");
                }
            }
            return in;
        }

        @Override
        public int read() throws IOException {
            return in().read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return in().read(b, off, len);
        }

        @Override
        public void close() throws IOException {
            if (in != null) {
                in.close();
            }
        }
    }
}
