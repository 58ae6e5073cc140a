package dev.mcpsandbox.server.transport;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Messages a client gets wrong over stdio: each request gets an error under its own id, and the session goes on. */
class StdioBadMessagesIT {
    private static RawStdioServer server;

    @BeforeAll
    static void start() throws Exception {
        server = RawStdioServer.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aBatch_isAnsweredWithAnInvalidRequestErrorForEachOfItsRequests() throws Exception {
        server.send("[{\"jsonrpc\":\"2.0\",\"id\":\"b1\",\"method\":\"tools/list\"},"
                + "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}},"
                + "{\"jsonrpc\":\"2.0\",\"id\":\"b2\",\"method\":\"ping\"}]");
        JsonNode answer = nextArray();
        assertThat(answer.size()).as("%s", answer).isEqualTo(2);
        assertThat(answer.findValuesAsText("id")).containsExactly("b1", "b2");
        for (JsonNode error : answer) {
            assertThat(error.path("error").path("code").asInt()).isEqualTo(-32600);
            assertThat(error.path("error").path("message").asText()).contains("batches are not supported")
                    .contains("protocol version");
        }
        assertStillServes();
    }

    @Test
    void argumentsSentAsAString_getInvalidParamsSayingToSendAnObject() throws Exception {
        server.send("{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"method\":\"tools/call\",\"params\":{\"name\":\"execute_code\","
                + "\"arguments\":\"{\\\"language\\\":\\\"python\\\",\\\"code\\\":\\\"print(1)\\\"}\"}}");
        JsonNode answer = server.awaitId("s1", Duration.ofSeconds(60));
        assertThat(answer.path("error").path("code").asInt()).as("%s", answer).isEqualTo(-32602);
        assertThat(answer.path("error").path("message").asText()).contains("\"arguments\" must be a JSON object")
                .contains("not a string");
        assertStillServes();
    }

    private static JsonNode nextArray() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode m = server.next(Duration.ofSeconds(5));
            if (m != null && m.isArray()) {
                return m;
            }
        }
        throw new AssertionError("no array answer to the batch; stderr:\n" + String.join("\n", server.stderrTail(20)));
    }

    private static void assertStillServes() throws Exception {
        String id = "alive-" + System.nanoTime();
        server.send("{\"jsonrpc\":\"2.0\",\"id\":\"" + id + "\",\"method\":\"ping\"}");
        assertThat(server.awaitId(id, Duration.ofSeconds(60)).has("result")).isTrue();
    }
}
