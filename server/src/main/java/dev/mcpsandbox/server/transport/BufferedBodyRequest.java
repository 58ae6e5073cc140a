package dev.mcpsandbox.server.transport;

import jakarta.servlet.ReadListener;
import org.eclipse.jetty.ee11.servlet.ServletContextRequest;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/** A request whose body was read (and size-checked) up front; the transport reads it from memory. */
final class BufferedBodyRequest extends HttpServletRequestWrapper {
    private final byte[] body;

    private BufferedBodyRequest(HttpServletRequest request, byte[] body) {
        super(request);
        this.body = body;
    }

    /**
     * Reads at most {@code maxBytes}; empty when the body is larger (the caller answers 413). A declared
     * Content-Length over the limit is refused without reading anything.
     */
    /** The same request with its body replaced (after tagging, see InFlightCalls). */
    static HttpServletRequest withBody(HttpServletRequest request, byte[] body) {
        return new BufferedBodyRequest(request, body);
    }

    static Optional<HttpServletRequest> read(HttpServletRequest request, long maxBytes) throws IOException {
        long declared = request.getContentLengthLong();
        if (declared > maxBytes) {
            return Optional.empty();
        }
        InputStream in = request.getInputStream();
        byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
        if (body.length > maxBytes) {
            return Optional.empty();
        }
        return Optional.of(new BufferedBodyRequest(request, body));
    }

    /**
     * Reads and drops the rest of a refused body, up to {@code limit} bytes, after the refusal was sent: a
     * client still sending its body then reads the refusal, where closing on unread bytes made the kernel
     * reset the connection (the client saw EPIPE, not the 413). The connection's idle timeout is cut to
     * {@code idle} first, so a client that sent only the headers and waits is let go soon. Nothing is read
     * for a client that waits for {@code 100 Continue} (it has sent no body). True when the body ended
     * within the limit.
     */
    static boolean discardRest(HttpServletRequest request, long limit, Duration idle) {
        if ("100-continue".equalsIgnoreCase(request.getHeader("Expect")) || request.getContentLengthLong() > limit) {
            return false;
        }
        ServletContextRequest jetty = ServletContextRequest.getServletContextRequest(request);
        if (jetty != null) {
            jetty.getConnectionMetaData().getConnection().getEndPoint().setIdleTimeout(idle.toMillis());
        }
        byte[] sink = new byte[64 * 1024];
        long read = 0;
        try {
            InputStream in = request.getInputStream();
            for (int n; (n = in.read(sink)) >= 0; ) {
                read += n;
                if (read > limit) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false; // the client stopped sending (or hung up): the connection is closed anyway
        }
    }

    @Override
    public ServletInputStream getInputStream() {
        ByteArrayInputStream in = new ByteArrayInputStream(body);
        return new ServletInputStream() {
            @Override
            public int read() {
                return in.read();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return in.read(b, off, len);
            }

            @Override
            public boolean isFinished() {
                return in.available() == 0;
            }

            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setReadListener(ReadListener listener) {
                try {
                    listener.onDataAvailable();
                    listener.onAllDataRead();
                } catch (IOException e) {
                    listener.onError(e);
                }
            }
        };
    }

    @Override
    public BufferedReader getReader() {
        return new BufferedReader(new InputStreamReader(new ByteArrayInputStream(body), charset(getCharacterEncoding())));
    }

    private static Charset charset(String encoding) {
        try {
            return encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding);
        } catch (IllegalArgumentException e) {
            return StandardCharsets.UTF_8;
        }
    }

    @Override
    public int getContentLength() {
        return body.length;
    }

    @Override
    public long getContentLengthLong() {
        return body.length;
    }
}
