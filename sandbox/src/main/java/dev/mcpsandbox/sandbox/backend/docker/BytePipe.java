package dev.mcpsandbox.sandbox.backend.docker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A bounded in-memory pipe between two threads (docker-java's callback thread and our readers, or our stdin
 * writer and docker-java's stdin pump). Unlike {@link java.io.PipedInputStream} it does not care which thread
 * wrote last, and a writer never blocks forever: once the reading side is closed, writes are dropped.
 */
final class BytePipe {
    private final byte[] buffer;
    private int start;
    private int size;
    private boolean writerClosed;
    private boolean readerClosed;

    BytePipe(int capacity) {
        this.buffer = new byte[capacity];
    }

    /** The reader sees end of stream once what was written is read. */
    synchronized void endWriting() {
        writerClosed = true;
        notifyAll();
    }

    /** Nobody reads any more: buffered bytes are dropped, and so is whatever is written from now on. */
    synchronized void stopReading() {
        readerClosed = true;
        size = 0;
        notifyAll();
    }

    final InputStream source = new InputStream() {
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
            synchronized (BytePipe.this) {
                while (size == 0 && !writerClosed && !readerClosed) {
                    try {
                        BytePipe.this.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException();
                    }
                }
                if (size == 0) {
                    return -1;
                }
                int n = Math.min(len, Math.min(size, buffer.length - start));
                System.arraycopy(buffer, start, b, off, n);
                start = (start + n) % buffer.length;
                size -= n;
                BytePipe.this.notifyAll();
                return n;
            }
        }

        @Override
        public int available() {
            synchronized (BytePipe.this) {
                return size;
            }
        }

        @Override
        public void close() {
            stopReading();
        }
    };

    final OutputStream sink = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            synchronized (BytePipe.this) {
                while (len > 0) {
                    if (writerClosed) {
                        throw new IOException("pipe closed");
                    }
                    if (readerClosed) {
                        return;
                    }
                    if (size == buffer.length) {
                        try {
                            BytePipe.this.wait();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new java.io.InterruptedIOException();
                        }
                        continue;
                    }
                    int end = (start + size) % buffer.length;
                    int n = Math.min(len, Math.min(buffer.length - size, buffer.length - end));
                    System.arraycopy(b, off, buffer, end, n);
                    size += n;
                    off += n;
                    len -= n;
                    BytePipe.this.notifyAll();
                }
            }
        }

        @Override
        public void close() {
            endWriting();
        }
    };
}
