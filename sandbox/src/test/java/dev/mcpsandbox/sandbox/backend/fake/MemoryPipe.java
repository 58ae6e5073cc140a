package dev.mcpsandbox.sandbox.backend.fake;

import java.io.InputStream;
import java.io.OutputStream;

/**
 * An unbounded in-memory pipe between a fake program's thread and whoever reads the sandbox's output. Unlike
 * {@link java.io.PipedInputStream} it does not care which thread wrote last, and a write never blocks (a fake
 * program that floods its output must reach the reader's cap, not stall on a full buffer).
 */
final class MemoryPipe {
    private byte[] bytes = new byte[256];
    private int written;
    private int read;
    private boolean ended;

    final OutputStream sink = new OutputStream() {
        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            synchronized (MemoryPipe.this) {
                if (!ended) {
                    if (written + len > bytes.length) {
                        bytes = java.util.Arrays.copyOf(bytes, Math.max(bytes.length * 2, written + len));
                    }
                    System.arraycopy(b, off, bytes, written, len);
                    written += len;
                    MemoryPipe.this.notifyAll();
                }
            }
        }

        @Override
        public void close() {
            end();
        }
    };

    final InputStream source = new InputStream() {
        @Override
        public int read() throws java.io.IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws java.io.InterruptedIOException {
            if (len == 0) {
                return 0;
            }
            synchronized (MemoryPipe.this) {
                while (read == written && !ended) {
                    try {
                        MemoryPipe.this.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted while reading fake output");
                    }
                }
                int available = written - read;
                if (available == 0) {
                    return -1;
                }
                int n = Math.min(len, available);
                System.arraycopy(bytes, read, b, off, n);
                read += n;
                return n;
            }
        }

        @Override
        public int available() {
            synchronized (MemoryPipe.this) {
                return written - read;
            }
        }
    };

    /** The reader sees end of stream once it has read what was written; later writes are dropped. */
    synchronized void end() {
        ended = true;
        notifyAll();
    }
}
