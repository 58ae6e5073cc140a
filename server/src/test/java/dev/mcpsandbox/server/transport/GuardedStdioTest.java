package dev.mcpsandbox.server.transport;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class GuardedStdioTest {

    private record Run(String passedToSdk, String answered) {
    }

    private static Run feed(String input, int maxLineBytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GuardedStdio stdio = new GuardedStdio(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), out,
                maxLineBytes, () -> { });
        String passed = new String(stdio.input().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(passed, out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void passesValidMessagesThrough() throws IOException {
        Run run = feed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n", 1000);
        assertThat(run.passedToSdk()).isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n");
        assertThat(run.answered()).isEmpty();
    }

    @Test
    void answersNonJsonWithParseErrorAndKeepsReading() throws IOException {
        Run run = feed("hello\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n", 1000);
        assertThat(run.answered()).contains("-32700");
        assertThat(run.passedToSdk()).contains("\"id\":2");
    }

    @Test
    void answersObjectsThatAreNotJsonRpcWithTheirId() throws IOException {
        Run run = feed("{\"jsonrpc\":\"2.0\",\"id\":7}\n[1]\n{\"id\":3,\"method\":\"x\"}\n", 1000);
        assertThat(run.passedToSdk()).isEmpty();
        assertThat(run.answered().lines()).hasSize(3);
        assertThat(run.answered()).contains("\"id\":7").contains("batches").contains("\"id\":3");
    }

    @Test
    void refusesOversizedLinesWithoutBufferingThem() throws IOException {
        Run run = feed("{\"jsonrpc\":\"2.0\",\"method\":\"" + "x".repeat(5000) + "\"}\n"
                + "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\"}\n", 1000);
        assertThat(run.answered()).contains("larger than 1000 bytes");
        assertThat(run.passedToSdk()).contains("\"id\":9").doesNotContain("xxxx");
    }

    @Test
    void answersOversizedRequestWithItsIdSoTheClientCanMatchIt() throws IOException {
        Run run = feed("{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"tools/call\",\"params\":{\"x\":\""
                + "y".repeat(5000) + "\"}}\n", 1000);
        assertThat(run.answered()).contains("\"id\":42").contains("larger than 1000 bytes");
    }

    @Test
    void reportsTheEndOfInputOnce() throws IOException {
        int[] ends = new int[1];
        GuardedStdio stdio = new GuardedStdio(new ByteArrayInputStream("{\"jsonrpc\":\"2.0\",\"method\":\"x\"}\n"
                .getBytes(StandardCharsets.UTF_8)), new ByteArrayOutputStream(), 1000, () -> ends[0]++);
        stdio.input().readAllBytes();
        stdio.input().read();
        assertThat(ends[0]).isEqualTo(1);
    }

    @Test
    void writesWholeLinesOnly() throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        GuardedStdio stdio = new GuardedStdio(new ByteArrayInputStream(new byte[0]), sink, 1000, () -> { });
        stdio.output().write("{\"a\":".getBytes(StandardCharsets.UTF_8));
        assertThat(sink.size()).as("half a line is held back").isZero();
        stdio.output().write("1}\n".getBytes(StandardCharsets.UTF_8));
        assertThat(sink.toString(StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}\n");
    }
}
