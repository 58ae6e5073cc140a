package dev.mcpsandbox.server.transport;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Thousands of answers finishing at once over stdio. The SDK's stdio transport emits each answer into a
 * sink that refuses concurrent emitters after 100 ms of busy-looping; before {@link SerializedStdio} a burst
 * of 3,000 calls lost hundreds of answers and the error ended the session.
 */
class StdioBurstIT {
    private static final int BURSTS = 3;
    private static final int PER_BURST = 1000;

    @Test
    void aBurstOfThreeThousandCalls_getsEveryAnswerExactlyOnce_andTheServerKeepsServing() throws Exception {
        try (RawStdioServer server = RawStdioServer.start()) {
            Map<String, Integer> answers = new HashMap<>();
            int sent = 0;
            for (int burst = 0; burst < BURSTS; burst++) {
                List<String> lines = new ArrayList<>();
                for (int i = 0; i < PER_BURST; i++) {
                    String id = "c" + sent++;
                    answers.put(id, 0);
                    lines.add("{\"jsonrpc\":\"2.0\",\"id\":\"" + id + "\",\"method\":\"tools/call\",\"params\":"
                            + "{\"name\":\"list_languages\",\"arguments\":{}}}");
                }
                server.sendAll(lines);
                Thread.sleep(200);
            }
            int answered = 0;
            int extra = 0;
            while (answered < sent) {
                JsonNode m = server.next(Duration.ofSeconds(60));
                if (m == null) {
                    break;
                }
                String id = m.path("id").asText("");
                if (answers.containsKey(id) && (m.has("result") || m.has("error"))) {
                    int seen = answers.merge(id, 1, Integer::sum);
                    if (seen == 1) {
                        answered++;
                    } else {
                        extra++;
                    }
                }
            }
            List<String> missing = answers.entrySet().stream().filter(e -> e.getValue() == 0).map(Map.Entry::getKey).toList();
            assertThat(missing).as("requests without an answer (%d of %d); server alive: %s; stderr tail:\n%s",
                    missing.size(), sent, server.alive(), String.join("\n", server.stderrTail(20))).isEmpty();
            assertThat(extra).as("answers sent twice").isZero();
            assertThat(server.alive()).as("server alive after the burst").isTrue();
            server.send("{\"jsonrpc\":\"2.0\",\"id\":\"after\",\"method\":\"tools/list\"}");
            assertThat(server.awaitId("after", Duration.ofSeconds(60)).path("result").path("tools").size()).isPositive();
        }
    }
}
