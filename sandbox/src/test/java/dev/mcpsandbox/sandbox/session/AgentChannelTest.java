package dev.mcpsandbox.sandbox.session;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.mcpsandbox.sandbox.backend.RunLimits;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The agent runs beside the code, so its stream is the code's to forge: whatever arrives, the channel ends with a
 * reason (the session then loses its sandbox) instead of hanging, allocating what a frame claims, or crashing.
 * The real agent is exercised on every backend by SessionsIT; this pins the host's side against a hostile one.
 */
class AgentChannelTest {
    private static final RunLimits LIMITS = new RunLimits(60, 1 << 20, 64, 1L << 30, 0);

    @Test
    void anAgentThatNeverSaysReadyIsRefusedWithItsReason() {
        assertThatThrownBy(() -> AgentChannel.open("t", new ScriptedSandbox(""), LIMITS))
                .isInstanceOf(IOException.class).hasMessageContaining("the session's sandbox ended");
    }

    @Test
    void aHeaderLineOverTheBoundBreaksTheChannel() throws Exception {
        AgentChannel channel = AgentChannel.open("t", new ScriptedSandbox("{\"ready\":true}\n"
                + "{\"x\":\"" + "a".repeat(70_000) + "\"}\n"), LIMITS);
        assertThat(brokenWithin(channel)).contains("a header line over");
    }

    @Test
    void anOutputFrameClaimingMoreThanAChunkBreaksTheChannelAndEndsTheCall() throws Exception {
        AgentChannel channel = AgentChannel.open("t", new ScriptedSandbox("{\"ready\":true}\n",
                "{\"out\":1,\"fd\":1,\"n\":2000000000}\n"), LIMITS);
        CallSink call = new CallSink(1);
        channel.attach(call);
        assertThat(brokenWithin(channel)).contains("an output frame of 2000000000 bytes");
        CallSink.End end = call.end().get(10, TimeUnit.SECONDS);
        assertThat(end.lost()).isPresent();
        assertThat(call.stdout().read()).isEqualTo(-1);
    }

    @Test
    void anAnswerLargerThanAskedForBreaksTheChannelAndFailsTheQuestion() throws Exception {
        AgentChannel channel = AgentChannel.open("t", new ScriptedSandbox("{\"ready\":true}\n",
                "{\"ack\":1,\"files\":[],\"n\":99999999}\n"), LIMITS);
        assertThatThrownBy(() -> channel.ask(JsonNodeFactory.instance.objectNode().put("op", "harvest"), 1024,
                Duration.ofSeconds(10))).isInstanceOf(IOException.class).hasMessageContaining("an answer of 99999999");
    }

    @Test
    void notTheProtocolBreaksTheChannel() throws Exception {
        AgentChannel channel = AgentChannel.open("t", new ScriptedSandbox("{\"ready\":true}\n", "not json\n"),
                LIMITS);
        assertThat(brokenWithin(channel)).contains("broke its protocol");
    }

    @Test
    void outputOfTheRunningCallArrivesAndItsEndClosesTheStreams() throws Exception {
        AgentChannel channel = AgentChannel.open("t", new ScriptedSandbox("{\"ready\":true}\n",
                "{\"out\":7,\"fd\":1,\"n\":3}\nhi\n{\"out\":6,\"fd\":1,\"n\":5}\nother{\"out\":7,\"fd\":2,\"n\":4}\nerr\n"
                        + "{\"exit\":7,\"code\":0,\"signal\":null,\"kernel\":\"kept\",\"fresh\":false,\"result\":\"42\"}\n"),
                LIMITS);
        CallSink call = new CallSink(7);
        channel.attach(call);
        assertThat(new String(call.stdout().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hi\n");
        assertThat(new String(call.stderr().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("err\n");
        CallSink.End end = call.end().get(10, TimeUnit.SECONDS);
        assertThat(end.exitStatus()).contains(0);
        assertThat(end.result()).contains("42");
    }

    @Test
    void onlyIdentifiersOfTheReportedNamesReachTheCompiler() throws Exception {
        AgentChannel channel = AgentChannel.open("t", new ScriptedSandbox("{\"ready\":true}\n",
                "{\"exit\":3,\"code\":0,\"signal\":null,\"kernel\":\"kept\",\"fresh\":false,"
                        + "\"globals\":[\"rows\",\"$x\",\"a: any; } declare\",\"x\\ny\",7]}\n"),
                LIMITS);
        CallSink call = new CallSink(3);
        channel.attach(call);
        assertThat(call.end().get(10, TimeUnit.SECONDS).globals()).contains(List.of("rows", "$x"));
    }

    private static String brokenWithin(AgentChannel channel) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (channel.brokenReason().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return channel.brokenReason().orElse("not broken");
    }

    /**
     * A sandbox whose agent says what the test scripted: {@code first}, then {@code rest} once the host has written
     * something (so a call can be attached before its frames arrive).
     */
    private static final class ScriptedSandbox implements Sandbox {
        private final ByteArrayOutputStream written = new ByteArrayOutputStream();
        private final InputStream stdout;

        ScriptedSandbox(String first) {
            this(first, "");
        }

        ScriptedSandbox(String first, String rest) {
            InputStream later = new InputStream() {
                private InputStream delegate;

                @Override
                public int read() throws IOException {
                    if (delegate == null) {
                        try {
                            Thread.sleep(200);
                        } catch (InterruptedException e) {
                            throw new IOException(e);
                        }
                        delegate = new ByteArrayInputStream(rest.getBytes(StandardCharsets.UTF_8));
                    }
                    return delegate.read();
                }
            };
            this.stdout = new SequenceInputStream(new ByteArrayInputStream(first.getBytes(StandardCharsets.UTF_8)), later);
        }

        @Override
        public Path workDir() {
            return Path.of("/nonexistent");
        }

        @Override
        public Path bridgeDir() {
            return Path.of("/nonexistent");
        }

        @Override
        public void writeFile(String relativePath, byte[] content, boolean executable) {
        }

        @Override
        public void createDirectory(String relativePath) {
        }

        @Override
        public void begin(RunLimits limits, byte[] stdin) {
        }

        @Override
        public OutputStream beginSession(RunLimits limits) {
            return written;
        }

        @Override
        public InputStream stdout() {
            return stdout;
        }

        @Override
        public InputStream stderr() {
            return new ByteArrayInputStream(new byte[0]);
        }

        @Override
        public Optional<Integer> awaitExit(Duration timeout) {
            return Optional.empty();
        }

        @Override
        public boolean awaitGone(Duration limit) {
            return false;
        }

        @Override
        public boolean alive() {
            return true;
        }

        @Override
        public void kill() {
        }

        @Override
        public EndSignals endSignals() {
            return new EndSignals(false, false, false);
        }

        @Override
        public void close() {
        }
    }
}
