package dev.mcpsandbox.tools.registry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Splits a byte stream at '\n' (dropping a trailing '\r'), decoding UTF-8. A line longer than the
 * bound is read to its end and discarded; {@link #lastLineTooLong()} then says so.
 */
final class LineReader {
    private final InputStream in;
    private final int maxLineBytes;
    private final byte[] chunk = new byte[64 * 1024];
    private int chunkPos;
    private int chunkLen;
    private byte[] line = new byte[8 * 1024];
    private int lineLen;
    private boolean tooLong;

    LineReader(InputStream in, int maxLineBytes) {
        this.in = in;
        this.maxLineBytes = maxLineBytes;
    }

    boolean lastLineTooLong() {
        return tooLong;
    }

    /** The next line, or null at end of stream (a last line without '\n' is still returned). */
    String next() throws IOException {
        lineLen = 0;
        tooLong = false;
        boolean any = false;
        while (true) {
            if (chunkPos == chunkLen) {
                chunkLen = in.read(chunk);
                chunkPos = 0;
                if (chunkLen <= 0) {
                    chunkLen = 0;
                    return any ? finish() : null;
                }
            }
            any = true;
            int start = chunkPos;
            int nl = -1;
            for (int i = chunkPos; i < chunkLen; i++) {
                if (chunk[i] == '\n') {
                    nl = i;
                    break;
                }
            }
            int end = nl < 0 ? chunkLen : nl;
            append(start, end - start);
            chunkPos = nl < 0 ? chunkLen : nl + 1;
            if (nl >= 0) {
                return finish();
            }
        }
    }

    private void append(int from, int n) {
        if (tooLong || n == 0) {
            return;
        }
        if (lineLen + n > maxLineBytes) {
            tooLong = true;
            lineLen = 0;
            if (line.length > 8 * 1024) {
                line = new byte[8 * 1024];
            }
            return;
        }
        if (lineLen + n > line.length) {
            line = Arrays.copyOf(line, Math.min(maxLineBytes, Math.max(line.length * 2, lineLen + n)));
        }
        System.arraycopy(chunk, from, line, lineLen, n);
        lineLen += n;
    }

    private String finish() {
        if (tooLong) {
            return "";
        }
        int n = lineLen;
        if (n > 0 && line[n - 1] == '\r') {
            n--;
        }
        String s = new String(line, 0, n, StandardCharsets.UTF_8);
        if (line.length > 1024 * 1024) {
            line = new byte[8 * 1024]; // don't keep a huge buffer around after one big message
        }
        return s;
    }
}
