package dev.mcpsandbox.tools.registry;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The parts of the stdio transport that need no process: line splitting, exit reasons, environment. */
class LineFilteringStdioTransportTest {

    @Test
    void splitsLinesAndDropsCarriageReturns() throws IOException {
        assertThat(lines("banner: hello\r\n{\"jsonrpc\":\"2.0\"}\n\nlast without newline", 1024))
                .containsExactly("banner: hello", "{\"jsonrpc\":\"2.0\"}", "", "last without newline");
        assertThat(lines("", 1024)).isEmpty();
        assertThat(lines("\n", 1024)).containsExactly("");
    }

    @Test
    void dropsLinesOverTheBoundAndKeepsReadingAfterThem() throws IOException {
        String longLine = "x".repeat(5000);
        var reader = new LineReader(stream("before\n" + longLine + "\nafter\n"), 4096);
        assertThat(reader.next()).isEqualTo("before");
        assertThat(reader.lastLineTooLong()).isFalse();
        reader.next();
        assertThat(reader.lastLineTooLong()).isTrue();
        assertThat(reader.next()).isEqualTo("after");
        assertThat(reader.lastLineTooLong()).isFalse();
        assertThat(reader.next()).isNull();
    }

    @Test
    void keepsMultiByteCharactersWholeAcrossReadBoundaries() throws IOException {
        // a stream that hands out one byte per read splits every UTF-8 sequence
        String text = "héllo wörld ✓ " + "ä".repeat(70_000);
        byte[] bytes = (text + "\n").getBytes(StandardCharsets.UTF_8);
        InputStream trickle = new InputStream() {
            int i;

            @Override
            public int read() {
                return i < bytes.length ? bytes[i++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (i >= bytes.length) {
                    return -1;
                }
                int n = Math.min(len, 7);
                n = Math.min(n, bytes.length - i);
                System.arraycopy(bytes, i, b, off, n);
                i += n;
                return n;
            }
        };
        var reader = new LineReader(trickle, 1 << 20);
        assertThat(reader.next()).isEqualTo(text);
        assertThat(reader.next()).isNull();
    }

    @Test
    void exitReasonNamesStatusSignalAndTheTellingStderrLine() {
        assertThat(UpstreamProcess.describeExit(1, List.of("starting", "listening")))
                .isEqualTo("exited with status 1: listening");
        // node ends a crash report with its version: the error line is the one worth showing
        assertThat(UpstreamProcess.describeExit(1, List.of("file:///srv/index.js:3",
                "    throw new Error(\"boom\");", "Error: boom", "    at file:///srv/index.js:3:7", "Node.js v20.20.2")))
                .isEqualTo("exited with status 1: Error: boom");
        // killed by a signal: the last chatter is not the reason
        assertThat(UpstreamProcess.describeExit(137, List.of("Starting default (STDIO) server...")))
                .isEqualTo("exited with status 137 (signal 9)");
        assertThat(UpstreamProcess.describeExit(0, List.of())).isEqualTo("exited with status 0");
        assertThat(UpstreamProcess.describeExit(3, null)).isEqualTo("exited with status 3");
    }

    @Test
    void childGetsOnlyPathHomeAndTheConfiguredVariables() {
        Map<String, String> env = UpstreamProcess.childEnvironment(Map.of("MEMORY_FILE_PATH", "/tmp/m.json"));
        assertThat(env.keySet()).isSubsetOf("PATH", "HOME", "MEMORY_FILE_PATH");
        assertThat(env).containsEntry("MEMORY_FILE_PATH", "/tmp/m.json");
        if (System.getenv("PATH") != null) {
            assertThat(env).containsEntry("PATH", System.getenv("PATH"));
        }
        assertThat(UpstreamProcess.childEnvironment(Map.of("PATH", "/only/here")))
                .containsEntry("PATH", "/only/here");
    }

    @Test
    void backoffDoublesFromHalfASecondUpToThirtySeconds() {
        Duration initial = Duration.ofMillis(500);
        Duration max = Duration.ofSeconds(30);
        List<Long> delays = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            delays.add(Backoff.delay(i, initial, max).toMillis());
        }
        assertThat(delays).containsExactly(500L, 1000L, 2000L, 4000L, 8000L, 16000L, 30000L, 30000L, 30000L, 30000L);
        assertThat(Backoff.delay(10_000, initial, max)).isEqualTo(max);
    }

    @Test
    void durationsAreWrittenForPeople() {
        assertThat(Failures.human(Duration.ofMillis(500))).isEqualTo("500 ms");
        assertThat(Failures.human(Duration.ofSeconds(2))).isEqualTo("2 s");
        assertThat(Failures.human(Duration.ofMillis(1500))).isEqualTo("1.5 s");
    }

    @Test
    void failureDescriptionsFollowTheCauseChainWithoutRepeats() {
        var e = new RuntimeException("Client failed to initialize by explicit API call",
                new java.io.IOException("java.net.ConnectException", new java.net.ConnectException()));
        assertThat(Failures.describe(e))
                .isEqualTo("Client failed to initialize by explicit API call: java.net.ConnectException: connection refused");
    }

    private static List<String> lines(String s, int max) throws IOException {
        var reader = new LineReader(stream(s), max);
        List<String> out = new ArrayList<>();
        String line;
        while ((line = reader.next()) != null) {
            out.add(line);
        }
        return out;
    }

    private static InputStream stream(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }
}
