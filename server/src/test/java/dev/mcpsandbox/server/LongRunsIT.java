package dev.mcpsandbox.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Long runs over stdio, driven with raw JSON-RPC (the Java SDK client cannot send notifications/cancelled):
 * cancellation stops the sandbox and frees its slot, progress arrives while code runs, stderr lines become
 * log notifications for a client that asked for debug logs.
 */
class LongRunsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private Process server;
    private OutputStream in;
    private final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() throws Exception {
        server = SandboxServer.builder().config("{\"execution\": {\"maxConcurrent\": 1, \"queueSize\": 4}}")
                .processBuilder().redirectError(ProcessBuilder.Redirect.DISCARD).start();
        in = server.getOutputStream();
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    messages.add(JSON.readTree(line));
                }
            } catch (IOException e) {
                // server gone
            }
        });
        reader.setDaemon(true);
        reader.start();
        send("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                + "\"capabilities\":{},\"clientInfo\":{\"name\":\"longruns\",\"version\":\"1\"}}}");
        assertThat(awaitResponse(0, 60).has("result")).isTrue();
        send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    }

    @AfterEach
    void stop() throws Exception {
        in.close();
        if (!server.waitFor(20, TimeUnit.SECONDS)) {
            server.destroyForcibly();
        }
    }

    @Test
    void cancellationKillsTheSandboxWithinASecondAndFreesItsSlot() throws Exception {
        String marker = "4747" + ThreadLocalRandom.current().nextInt(100000, 999999);
        send(call(5, "bash", "sleep " + marker + "\\n", ""));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (processesWith(marker).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(processesWith(marker)).as("the sandboxed sleep is running").isNotEmpty();

        long cancelled = System.nanoTime();
        send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":5,\"reason\":\"test\"}}");
        while (!processesWith(marker).isEmpty() && System.nanoTime() - cancelled < TimeUnit.SECONDS.toNanos(3)) {
            Thread.sleep(20);
        }
        double seconds = (System.nanoTime() - cancelled) / 1e9;
        assertThat(processesWith(marker)).as("sandbox processes after cancel").isEmpty();
        assertThat(seconds).as("seconds until the sandbox was gone").isLessThan(1.0);

        // The one execution slot is free again: a new call runs at once.
        send(call(6, "python", "print(6*7)", ""));
        JsonNode next = awaitResponse(6, 20);
        assertThat(next.path("result").path("structuredContent").path("stdout").asText()).isEqualTo("42\n");
    }

    @Test
    void aCancelSentRightAfterItsCall_winsEveryTime() throws Exception {
        // The cancel follows its call on the same line of input, so it is read before the handler has started:
        // before it was remembered, 4 of 5 such runs went on to their end.
        for (int id = 20; id < 25; id++) {
            long sent = System.nanoTime();
            send(call(id, "bash", "sleep 4\\necho ran-to-its-end", "") + "\n"
                    + "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":" + id + "}}");
            JsonNode response = awaitResponse(id, 30);
            double seconds = (System.nanoTime() - sent) / 1e9;
            JsonNode result = response.path("result").path("structuredContent");
            assertThat(result.path("stdout").asText()).as("call %d", id).doesNotContain("ran-to-its-end");
            assertThat(result.path("error").path("type").asText()).as("call %d", id).isEqualTo("cancelled");
            assertThat(seconds).as("seconds until call %d answered", id).isLessThan(3.5);
        }
    }

    @Test
    void progressArrivesWhileCodeRunsWhenTheClientAskedForIt() throws Exception {
        send(call(7, "python", "import time\\ntime.sleep(2.6)\\nprint('done')", ",\"_meta\":{\"progressToken\":\"p7\"}"));
        JsonNode result = awaitResponse(7, 30);
        assertThat(result.path("result").path("structuredContent").path("stdout").asText()).isEqualTo("done\n");
        List<JsonNode> progress = received("notifications/progress");
        assertThat(progress).as("progress notifications").hasSizeGreaterThanOrEqualTo(2);
        assertThat(progress.get(0).path("params").path("progressToken").asText()).isEqualTo("p7");
        assertThat(progress.get(0).path("params").path("total").asDouble()).isEqualTo(30.0);
    }

    @Test
    void stderrLinesBecomeDebugLogNotifications() throws Exception {
        send("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"debug\"}}");
        awaitResponse(8, 10);
        send(call(9, "bash", "echo first-line >&2\\necho second-line >&2", ""));
        awaitResponse(9, 30);
        List<String> logged = received("notifications/message").stream()
                .map(m -> m.path("params").path("data").asText()).toList();
        assertThat(logged).contains("first-line", "second-line");
    }

    private static String call(int id, String language, String code, String extraParams) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"execute_code\","
                + "\"arguments\":{\"language\":\"" + language + "\",\"code\":\"" + code + "\"}" + extraParams + "}}";
    }

    private void send(String line) throws IOException {
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    private final List<JsonNode> seen = new ArrayList<>();

    private JsonNode awaitResponse(int id, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            JsonNode m = messages.poll(100, TimeUnit.MILLISECONDS);
            if (m == null) {
                continue;
            }
            seen.add(m);
            if (m.path("id").asInt(-1) == id && (m.has("result") || m.has("error"))) {
                return m;
            }
        }
        throw new AssertionError("no response to request " + id + " within " + seconds + " s; seen: " + seen);
    }

    private List<JsonNode> received(String method) {
        messages.drainTo(seen);
        return seen.stream().filter(m -> method.equals(m.path("method").asText())).toList();
    }

    private static List<Long> processesWith(String marker) throws IOException {
        return HostProcesses.sleeping(marker);
    }
}
