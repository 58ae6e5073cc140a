package dev.mcpsandbox.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every client puts the whole {@code tools/list} answer in front of the model on every turn: ours, as compact JSON,
 * stays within 4 KB (issue 17). Read off the wire from the built jar, so whatever a change adds (a tool, an
 * argument, a longer description) is counted; the message lists each tool's share.
 */
class ToolsListBudgetIT {
    private static final int BUDGET_BYTES = 4096;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void toolsList_asCompactJson_fitsIn4KB() throws Exception {
        ProcessBuilder builder = SandboxServer.builder().withoutBackendUnderTest().processBuilder()
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("MCP_SANDBOX_LOG", "WARN");
        Process server = builder.start();
        JsonNode tools;
        try (OutputStream in = server.getOutputStream();
             BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
            send(in, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                    + "\"capabilities\":{},\"clientInfo\":{\"name\":\"budget\",\"version\":\"1\"}}}");
            assertThat(out.readLine()).contains("\"serverInfo\"");
            send(in, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
            send(in, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
            JsonNode answer = JSON.readTree(out.readLine());
            tools = answer.path("result");
        } finally {
            server.destroy();
            server.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(tools.path("tools").size()).isGreaterThanOrEqualTo(4);
        int total = JSON.writeValueAsBytes(tools).length;
        StringJoiner shares = new StringJoiner(", ", "compact tools/list is " + total + " bytes (budget " + BUDGET_BYTES
                + "): ", "");
        for (JsonNode tool : tools.path("tools")) {
            shares.add(tool.path("name").asText() + " " + JSON.writeValueAsBytes(tool).length);
        }
        System.err.println(shares);
        assertThat(total).as(shares.toString()).isLessThanOrEqualTo(BUDGET_BYTES);
    }

    private static void send(OutputStream in, String line) throws java.io.IOException {
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }
}
