package dev.mcpsandbox.server.transport;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpClientSession;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The gaps in the MCP Java SDK that workarounds here exist for, pinned against the SDK itself: when one of
 * these starts failing, an upgrade closed the gap, and the workaround named in the test can go.
 */
class SdkGapsTest {
    private static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
            + "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}\n";

    /** Why {@link GuardedStdio} checks every stdin line before the SDK reads it. */
    @Test
    void sdkStdioServer_stopsReadingAtOneLineThatIsNotJson() throws Exception {
        assertThat(answersInitializeAfter("this is not json\n")).as("the SDK's stdio server after a bad line").isFalse();
        assertThat(answersInitializeAfter("")).as("the same server without the bad line (positive control)").isTrue();
    }

    private static boolean answersInitializeAfter(String firstLine) throws Exception {
        PipedOutputStream client = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(client, 1 << 16);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        McpSyncServer server = McpServer.sync(new StdioServerTransportProvider(McpJsonDefaults.getMapper(), in, out))
                .serverInfo("gap", "1").build();
        try {
            client.write((firstLine + INITIALIZE).getBytes(StandardCharsets.UTF_8));
            client.flush();
            long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < deadline) {
                synchronized (out) {
                    if (out.toString(StandardCharsets.UTF_8).contains("\"id\":1")) {
                        return true;
                    }
                }
                Thread.sleep(20);
            }
            return false;
        } finally {
            client.close();
            server.close();
        }
    }

    /**
     * Why tools-api's CancellingTransport exists: cancelling a request's {@code Mono} only stops waiting; the SDK's
     * client session never tells the server ({@code notifications/cancelled}).
     */
    @Test
    void sdkClientSession_sendsNoCancelledNotificationWhenACallIsCancelled() throws Exception {
        List<McpSchema.JSONRPCMessage> sent = new CopyOnWriteArrayList<>();
        McpClientTransport silent = new McpClientTransport() {
            @Override
            public Mono<Void> connect(Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
                return Mono.empty();
            }

            @Override
            public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
                sent.add(message);
                return Mono.empty();
            }

            @Override
            public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
                return McpJsonDefaults.getMapper().convertValue(data, typeRef);
            }

            @Override
            public Mono<Void> closeGracefully() {
                return Mono.empty();
            }
        };
        McpClientSession session = new McpClientSession(Duration.ofSeconds(30), silent, Map.of(), Map.of(), hook -> hook);
        Disposable call = session.sendRequest("tools/call", Map.of("name", "x"), new TypeRef<Object>() { }).subscribe();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (sent.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(sent).as("the request went out").hasSize(1);
        call.dispose();
        Thread.sleep(500);
        assertThat(sent).as("messages after the call was cancelled").hasSize(1)
                .noneMatch(m -> m instanceof McpSchema.JSONRPCNotification n && n.method().equals("notifications/cancelled"));
        session.close();
    }

    /** Why InFlightCalls tags each tools/call with its JSON-RPC id: a handler's exchange and request carry none. */
    @Test
    void sdkToolHandlers_receiveNoRequestId() {
        assertThat(Arrays.stream(McpSyncServerExchange.class.getMethods()).map(m -> m.getName().toLowerCase()))
                .noneMatch(name -> name.contains("requestid"));
        assertThat(Arrays.stream(McpSchema.CallToolRequest.class.getRecordComponents()).map(c -> c.getName()))
                .containsExactly("name", "arguments", "meta");
    }
}
