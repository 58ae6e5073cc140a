package dev.mcpsandbox.sandbox.session;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.regex.Pattern;

/**
 * Where one session call's output and end arrive from the agent: two streams the run's output capture reads as it
 * reads a single-use sandbox's pipes, ended when the call ends.
 */
final class CallSink {
    /** Output held for a reader that stopped reading (its capture hit the cap): more is counted, not kept. */
    private static final long MAX_PENDING = 16L << 20;
    private static final int MAX_NAMES = 2000;
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]{0,127}");

    /**
     * How the call ended, as the agent said, or that the session's sandbox went away under it.
     *
     * @param globals the top-level names the kernel holds after the call, where it reports them (JavaScript's)
     */
    record End(Optional<Integer> code, Optional<Integer> signal, String kernel, boolean fresh,
               Optional<String> result, Optional<String> lost, Optional<List<String>> globals) {

        /** The status a single-use sandbox would report: the code's, or 128 + the signal that ended it. */
        Optional<Integer> exitStatus() {
            return code.isPresent() ? code : signal.map(s -> 128 + s);
        }
    }

    private final long call;
    private final FrameStream stdout = new FrameStream();
    private final FrameStream stderr = new FrameStream();
    private final CompletableFuture<End> end = new CompletableFuture<>();

    CallSink(long call) {
        this.call = call;
    }

    long call() {
        return call;
    }

    InputStream stdout() {
        return stdout;
    }

    InputStream stderr() {
        return stderr;
    }

    CompletableFuture<End> end() {
        return end;
    }

    void output(int fd, byte[] data) {
        (fd == 2 ? stderr : stdout).offer(data);
    }

    void ended(JsonNode header) {
        finish(new End(integer(header, "code"), integer(header, "signal"), header.path("kernel").asText("none"),
                header.path("fresh").asBoolean(false),
                header.hasNonNull("result") ? Optional.of(header.get("result").asText()) : Optional.empty(),
                Optional.empty(), names(header.get("globals"))));
    }

    /**
     * The names a kernel reported; they go into a compiler's input, and the agent's stream is as untrusted as the
     * code, so only identifiers are kept, and at most {@link #MAX_NAMES}.
     */
    private static Optional<List<String>> names(JsonNode list) {
        if (list == null || !list.isArray()) {
            return Optional.empty();
        }
        List<String> names = new ArrayList<>();
        for (JsonNode name : list) {
            if (names.size() == MAX_NAMES) {
                break;
            }
            if (name.isTextual() && IDENTIFIER.matcher(name.asText()).matches()) {
                names.add(name.asText());
            }
        }
        return Optional.of(List.copyOf(names));
    }

    void lost(String why) {
        finish(new End(Optional.empty(), Optional.empty(), "died", false, Optional.empty(), Optional.of(why),
                Optional.empty()));
    }

    private void finish(End how) {
        if (end.complete(how)) {
            stdout.finish();
            stderr.finish();
        }
    }

    private static Optional<Integer> integer(JsonNode header, String field) {
        JsonNode value = header.get(field);
        return value != null && value.canConvertToInt() ? Optional.of(value.asInt()) : Optional.empty();
    }

    /** A stream fed in chunks by the agent's reader; its end comes with the call's end. */
    private static final class FrameStream extends InputStream {
        private static final byte[] END = new byte[0];
        private final LinkedBlockingQueue<byte[]> chunks = new LinkedBlockingQueue<>();
        private long pending;
        private byte[] chunk = new byte[0];
        private int offset;
        private boolean ended;

        synchronized void offer(byte[] data) {
            if (pending + data.length <= MAX_PENDING) {
                pending += data.length;
                chunks.add(data);
            }
        }

        void finish() {
            chunks.add(END);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (offset >= chunk.length) {
                if (ended) {
                    return -1;
                }
                try {
                    chunk = chunks.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while reading a session call's output", e);
                }
                offset = 0;
                if (chunk == END) {
                    ended = true;
                    return -1;
                }
                synchronized (this) {
                    pending -= chunk.length;
                }
            }
            int n = Math.min(len, chunk.length - offset);
            System.arraycopy(chunk, offset, b, off, n);
            offset += n;
            return n;
        }
    }
}
