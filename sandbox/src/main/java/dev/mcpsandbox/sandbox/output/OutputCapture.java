package dev.mcpsandbox.sandbox.output;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Drains one output stream of a sandbox, keeping at most {@code cap} bytes. Past the cap it calls
 * {@code onOverflow} once (the run is ended with limit {@code output}) and keeps reading without
 * storing, so the writer never blocks on a full pipe and memory stays bounded.
 */
public final class OutputCapture {
    private final InputStream stream;
    private final long cap;
    private final Runnable onOverflow;
    private final Consumer<String> lines;
    private final CompletableFuture<CapturedOutput> result = new CompletableFuture<>();
    private final ByteArrayOutputStream partialLine = new ByteArrayOutputStream();
    /** Guarded by itself: read by {@link #soFar()} while the drain thread writes. */
    private final ByteArrayOutputStream kept;
    private volatile long total;
    private volatile boolean overflowed;
    private int linesSent;

    /** Lines handed to a listener, at most this many per stream and this long each: a log, not a copy. */
    static final int MAX_LISTENED_LINES = 200;
    static final int MAX_LISTENED_LINE_BYTES = 2000;

    private OutputCapture(InputStream stream, long cap, Runnable onOverflow, Consumer<String> lines) {
        this.stream = stream;
        this.cap = cap;
        this.onOverflow = onOverflow;
        this.lines = lines;
        this.kept = new ByteArrayOutputStream((int) Math.min(cap, 8192));
    }

    public static OutputCapture start(InputStream stream, long cap, Runnable onOverflow, Executor executor) {
        return start(stream, cap, onOverflow, executor, line -> { });
    }

    /** @param lines receives complete lines as they arrive (bounded in number and length) */
    public static OutputCapture start(InputStream stream, long cap, Runnable onOverflow, Executor executor,
                                      Consumer<String> lines) {
        OutputCapture capture = new OutputCapture(stream, cap, onOverflow, lines);
        executor.execute(capture::drain);
        return capture;
    }

    private void listen(byte[] buffer, int n) {
        for (int i = 0; i < n && linesSent < MAX_LISTENED_LINES; i++) {
            if (buffer[i] == '\n') {
                lines.accept(decode(partialLine.toByteArray()));
                partialLine.reset();
                linesSent++;
            } else if (partialLine.size() < MAX_LISTENED_LINE_BYTES) {
                partialLine.write(buffer[i]);
            }
        }
    }

    private void drain() {
        byte[] buffer = new byte[8192];
        try (stream) {
            int n;
            while ((n = stream.read(buffer)) > 0) {
                listen(buffer, n);
                synchronized (kept) {
                    long room = cap - kept.size();
                    if (room > 0) {
                        kept.write(buffer, 0, (int) Math.min(room, n));
                    }
                    total += n;
                }
                if (total > cap && !overflowed) {
                    overflowed = true;
                    onOverflow.run();
                }
            }
        } catch (IOException e) {
            // The stream closes under us when the sandbox is killed; what we have is the output.
        }
        result.complete(soFar());
    }

    /**
     * What was read until now. For a stream whose end does not come in time (the engine closes a container's
     * streams late under load): the bytes that reached us are the code's output all the same.
     */
    public CapturedOutput soFar() {
        synchronized (kept) {
            return new CapturedOutput(decode(kept.toByteArray()), overflowed, total);
        }
    }

    private static String decode(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    public CompletableFuture<CapturedOutput> result() {
        return result;
    }
}
