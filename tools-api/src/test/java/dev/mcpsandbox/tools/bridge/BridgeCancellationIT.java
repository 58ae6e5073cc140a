package dev.mcpsandbox.tools.bridge;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.config.ToolBudgetConfig;
import dev.mcpsandbox.config.ToolRulesConfig;
import dev.mcpsandbox.tools.audit.AuditSink;
import dev.mcpsandbox.tools.budget.CallBudget;
import dev.mcpsandbox.tools.policy.ToolPolicy;
import dev.mcpsandbox.tools.registry.CancelRecordingServer;
import dev.mcpsandbox.tools.registry.ToolRegistry;
import io.modelcontextprotocol.json.McpJsonDefaults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static dev.mcpsandbox.tools.registry.CancelRecordingServer.awaitRecorded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * When an execution ends while its code waits for a tool, the bridge closing cancels that call at the
 * real upstream server ({@code notifications/cancelled} with the request's id), and the thread that
 * waited for it is free at once instead of at the call's time limit.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class BridgeCancellationIT {

    @Test
    void closingTheBridge_cancelsItsPendingCallAtTheUpstream(@TempDir Path dir) throws Exception {
        CancelRecordingServer.requireNodeAndSdk();
        ExecutorService calls = Executors.newCachedThreadPool();
        try (ToolRegistry registry = ToolRegistry.connect(Map.of("rec", CancelRecordingServer.stdio("rec")),
                Duration.ofSeconds(30))) {
            assertThat(registry.status("rec").available()).as(registry.status("rec").detail()).isTrue();
            Path socket = dir.resolve("tools.sock");
            ToolPolicy policy = ToolPolicy.from(new ToolRulesConfig(List.of("rec.*"), List.of(), List.of()));
            // the default budget gives a call 30 s: far longer than this test waits for the cancellation
            CallBudget budget = CallBudget.forExecution(ResourceLimits.DEFAULTS, ToolBudgetConfig.DEFAULTS);
            BridgeSession session = BridgeSession.open("exec-1", socket, registry, policy, budget,
                    Confirmer.CANNOT_ASK, McpJsonDefaults.getSchemaValidator(), AuditSink.NONE, Clock.systemUTC(), calls);
            try (SocketChannel guest = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                guest.connect(UnixDomainSocketAddress.of(socket));
                guest.write(ByteBuffer.wrap(("{\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"rec."
                        + CancelRecordingServer.WAIT + "\",\"arguments\":{}}}\n").getBytes(StandardCharsets.UTF_8)));
                String id = awaitRecorded(registry, "rec", Duration.ofSeconds(10), r -> r.started().size() == 1)
                        .started().get(0);

                session.close();

                var rec = awaitRecorded(registry, "rec", Duration.ofSeconds(10), r -> !r.cancelled().isEmpty());
                assertThat(rec.cancelled()).hasSize(1);
                assertThat(rec.cancelled().get(0).requestId()).isEqualTo(id);
                assertThat(rec.cancelled().get(0).reason()).contains("execution").contains("ended");
                // well before the call's 30 s: the thread that waited for the upstream has let go
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (session.toolCalls().stream().noneMatch(c -> c.error().orElse("").contains("cancelled"))) {
                    if (System.nanoTime() > deadline) {
                        fail("the call was not let go: " + session.toolCalls());
                    }
                    Thread.sleep(20);
                }
            } finally {
                session.close();
            }
        } finally {
            calls.shutdownNow();
        }
    }
}
