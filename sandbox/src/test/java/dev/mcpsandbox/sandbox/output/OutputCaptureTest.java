package dev.mcpsandbox.sandbox.output;

import org.junit.jupiter.api.Test;

import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class OutputCaptureTest {

    /** A container engine can end a killed sandbox's streams late; what reached us must not be dropped meanwhile. */
    @Test
    void soFar_givesWhatWasReadOfAStreamThatHasNotEnded() throws Exception {
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try (PipedOutputStream writer = new PipedOutputStream();
             PipedInputStream stream = new PipedInputStream(writer, 1024)) {
            OutputCapture capture = OutputCapture.start(stream, 1024, () -> { }, reader);
            writer.write("before the end\n".getBytes(StandardCharsets.UTF_8));
            writer.flush();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (capture.soFar().totalBytes() < 15 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(capture.soFar()).isEqualTo(new CapturedOutput("before the end\n", false, 15));
            assertThat(capture.result()).as("the stream has not ended").isNotDone();
            writer.write("after".getBytes(StandardCharsets.UTF_8));
            writer.close();
            assertThat(capture.result().get(10, TimeUnit.SECONDS))
                    .isEqualTo(new CapturedOutput("before the end\nafter", false, 20));
        } finally {
            reader.shutdownNow();
        }
    }

    @Test
    void soFar_keepsTheCapAndTheOverflow() throws Exception {
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try (PipedOutputStream writer = new PipedOutputStream();
             PipedInputStream stream = new PipedInputStream(writer, 1024)) {
            java.util.concurrent.atomic.AtomicInteger overflows = new java.util.concurrent.atomic.AtomicInteger();
            OutputCapture capture = OutputCapture.start(stream, 4, overflows::incrementAndGet, reader);
            writer.write("0123456789".getBytes(StandardCharsets.UTF_8));
            writer.flush();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while ((capture.soFar().totalBytes() < 10 || overflows.get() == 0) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(capture.soFar()).isEqualTo(new CapturedOutput("0123", true, 10));
            assertThat(overflows.get()).isEqualTo(1);
        } finally {
            reader.shutdownNow();
        }
    }
}
