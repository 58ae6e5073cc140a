package dev.mcpsandbox.tools.registry;

import dev.mcpsandbox.config.UpstreamServer;
import dev.mcpsandbox.tools.ToolName;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static dev.mcpsandbox.tools.registry.CancelRecordingServer.WAIT;
import static dev.mcpsandbox.tools.registry.CancelRecordingServer.awaitRecorded;
import static dev.mcpsandbox.tools.registry.CancelRecordingServer.recorded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * A call we stop waiting for is cancelled at the upstream: the real server (node, the TypeScript MCP
 * SDK) receives {@code notifications/cancelled} with that request's id and our reason, over stdio and
 * over Streamable HTTP, after a timeout and when the caller gives up.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class UpstreamCancellationIT {

    private static final Duration STARTUP_LIMIT = Duration.ofSeconds(30);
    private static final Duration RECORD_LIMIT = Duration.ofSeconds(10);

    @BeforeAll
    static void requireNode() {
        CancelRecordingServer.requireNodeAndSdk();
    }

    @Test
    void aCallThatTimesOut_isCancelledAtTheStdioUpstreamWithItsRequestId() throws Exception {
        try (ToolRegistry r = ToolRegistry.connect(Map.of("rec", CancelRecordingServer.stdio("rec")), STARTUP_LIMIT)) {
            assertTimeoutCancelsUpstream(r, "rec");
        }
    }

    @Test
    void aCallThatTimesOut_isCancelledAtTheStreamableHttpUpstreamWithItsRequestId(@TempDir Path dir) throws Exception {
        int port = freePort();
        Process server = CancelRecordingServer.startHttp(port, dir.resolve("server.log"));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!canConnect(port)) {
                if (System.nanoTime() > deadline || !server.isAlive()) {
                    fail("the HTTP test server did not listen on " + port);
                }
                Thread.sleep(50);
            }
            UpstreamServer.Http http = new UpstreamServer.Http("remote", URI.create("http://127.0.0.1:" + port + "/mcp"),
                    Map.of());
            try (ToolRegistry r = ToolRegistry.connect(Map.of("remote", http), STARTUP_LIMIT)) {
                assertTimeoutCancelsUpstream(r, "remote");
            }
        } finally {
            server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aPendingCallWhoseCallerGivesUp_endsAtOnceAndIsCancelledAtTheUpstream() throws Exception {
        try (ToolRegistry r = ToolRegistry.connect(Map.of("rec", CancelRecordingServer.stdio("rec")), STARTUP_LIMIT)) {
            assertThat(r.status("rec").available()).as(r.status("rec").detail()).isTrue();
            CallCancellation cancellation = new CallCancellation();
            CompletableFuture<UpstreamResult> call = CompletableFuture.supplyAsync(() -> {
                try {
                    return r.call(new ToolName("rec", WAIT), Map.of(), Duration.ofSeconds(60), cancellation);
                } catch (ToolUnavailableException e) {
                    throw new CompletionException(e);
                }
            });
            String id = awaitRecorded(r, "rec", RECORD_LIMIT, rec -> rec.started().size() == 1).started().get(0);
            assertThat(call).isNotDone();

            long t0 = System.nanoTime();
            cancellation.cancel("the execution ended");
            ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> call.get(5, TimeUnit.SECONDS));
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
            assertThat(failed.getCause()).isInstanceOf(ToolUnavailableException.class)
                    .hasMessageContaining("cancelled").hasMessageContaining("the execution ended");

            var rec = awaitRecorded(r, "rec", RECORD_LIMIT, x -> !x.cancelled().isEmpty());
            assertThat(rec.cancelled()).containsExactly(new CancelRecordingServer.Cancelled(id, "the execution ended"));

            // the connection is as good as before, and a call made under the spent cancellation never leaves
            assertThatThrownBy(() -> r.call(new ToolName("rec", WAIT), Map.of(), Duration.ofSeconds(60), cancellation))
                    .isInstanceOf(ToolUnavailableException.class).hasMessageContaining("not made");
            assertThat(recorded(r, "rec").started()).containsExactly(id);
            assertThat(r.status("rec").available()).isTrue();
        }
    }

    private static void assertTimeoutCancelsUpstream(ToolRegistry r, String server) throws Exception {
        assertThat(r.status(server).available()).as(r.status(server).detail()).isTrue();
        assertThatThrownBy(() -> r.call(new ToolName(server, WAIT), Map.of(), Duration.ofMillis(700)))
                .isInstanceOf(ToolUnavailableException.class).hasMessageContaining("within 700 ms");

        var rec = awaitRecorded(r, server, RECORD_LIMIT, x -> !x.cancelled().isEmpty());
        assertThat(rec.started()).hasSize(1);
        assertThat(rec.cancelled()).hasSize(1);
        assertThat(rec.cancelled().get(0).requestId()).isEqualTo(rec.started().get(0));
        assertThat(rec.cancelled().get(0).reason()).contains("no answer within 700 ms");
        assertThat(r.status(server).available()).isTrue();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static boolean canConnect(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
