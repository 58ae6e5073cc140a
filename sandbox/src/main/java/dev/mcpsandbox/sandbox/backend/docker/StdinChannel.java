package dev.mcpsandbox.sandbox.backend.docker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * A container's stdin, attached on a connection of its own. docker-java can stream bytes into an attached
 * stdin but never half-closes the connection, so the code would wait for end of input forever; with
 * {@code StdinOnce} set, the engine closes the container's stdin when this connection's input ends, which
 * {@link #endOfInput()} does with {@code shutdownOutput}. Output stays on docker-java's own attach.
 */
final class StdinChannel implements AutoCloseable {
    private final SocketChannel channel;

    private StdinChannel(SocketChannel channel) {
        this.channel = channel;
    }

    /** Attaches to {@code containerId}'s stdin through the engine at {@code host} (unix:// or tcp://). */
    static StdinChannel attach(URI host, String containerId) throws IOException {
        SocketChannel channel;
        if ("unix".equals(host.getScheme())) {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(host.getPath()));
        } else {
            channel = SocketChannel.open(new InetSocketAddress(host.getHost(), host.getPort()));
        }
        try {
            String request = "POST /containers/" + containerId + "/attach?stream=1&stdin=1 HTTP/1.1\r\n"
                    + "Host: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n";
            writeFully(channel, request.getBytes(StandardCharsets.US_ASCII));
            String head = readHead(channel);
            if (!head.startsWith("HTTP/1.1 101") && !head.startsWith("HTTP/1.1 200")) {
                throw new IOException("the engine refused to attach stdin: " + head.lines().findFirst().orElse(head));
            }
            return new StdinChannel(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static String readHead(SocketChannel channel) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (head.size() < 16 * 1024) {
            one.clear();
            if (channel.read(one) < 0) {
                break;
            }
            head.write(one.get(0));
            byte[] b = head.toByteArray();
            int n = b.length;
            if (n >= 4 && b[n - 4] == '\r' && b[n - 3] == '\n' && b[n - 2] == '\r' && b[n - 1] == '\n') {
                break;
            }
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    void write(byte[] bytes) throws IOException {
        writeFully(channel, bytes);
    }

    private static void writeFully(SocketChannel channel, byte[] bytes) throws IOException {
        writeFully(channel, ByteBuffer.wrap(bytes));
    }

    private static void writeFully(SocketChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** This channel as a stream that stays open until closed (a session's agent reads commands for its life). */
    OutputStream asStream() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                StdinChannel.this.write(new byte[] {(byte) b});
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                writeFully(channel, ByteBuffer.wrap(b, off, len));
            }

            @Override
            public void close() throws IOException {
                endOfInput();
            }
        };
    }

    /** The code reads end of input once it has read what was written. */
    void endOfInput() throws IOException {
        channel.shutdownOutput();
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }
}
