package dev.mcpsandbox.tools.registry;

import dev.mcpsandbox.config.UpstreamServer;
import dev.mcpsandbox.tools.ToolName;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.fail;

/**
 * The real upstream MCP server of the cancellation tests: {@code upstream/cancel-recording-server.mjs}
 * (test resources) on node, with the {@code @modelcontextprotocol/sdk} pinned under {@code .ci/upstream}.
 * Its tool {@code wait-for-cancel} answers only when cancelled; {@code recorded} says which requests
 * were started and which the client cancelled, with what reason.
 */
public final class CancelRecordingServer {

    public static final String WAIT = "wait-for-cancel";

    /** One cancellation as the upstream received it. */
    public record Cancelled(String requestId, String reason) {
    }

    /** What the upstream saw: the request ids of {@code wait-for-cancel}, and its cancellations. */
    public record Recorded(List<String> started, List<Cancelled> cancelled) {
    }

    private CancelRecordingServer() {
    }

    private static Path nodeModules() {
        return Paths.get(System.getProperty("mcpSandbox.upstreamDir", "/work/main/.ci/upstream/node_modules"));
    }

    private static Path sdkEsm() {
        return nodeModules().resolve("@modelcontextprotocol/sdk/dist/esm");
    }

    private static Path script() {
        URL url = CancelRecordingServer.class.getResource("/upstream/cancel-recording-server.mjs");
        try {
            return Paths.get(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Skips the test (fails it under {@code sandbox.it.required=true}) unless node and the SDK are there. */
    public static void requireNodeAndSdk() {
        String reason = !nodeRuns() ? "node is not on the PATH"
                : !Files.isRegularFile(sdkEsm().resolve("server/mcp.js")) ? sdkEsm() + " is missing (npm ci in .ci/upstream)"
                : null;
        if (reason == null) {
            return;
        }
        if (Boolean.getBoolean("sandbox.it.required")) {
            fail(reason + " (required because sandbox.it.required=true)");
        }
        Assumptions.assumeTrue(false, reason);
    }

    public static UpstreamServer.Stdio stdio(String name) {
        return new UpstreamServer.Stdio(name, "node", List.of(script().toString(), "stdio"),
                Map.of("MCP_SDK_ESM", sdkEsm().toString()));
    }

    /** Starts it serving Streamable HTTP on 127.0.0.1:{@code port}/mcp; the caller ends the process. */
    public static Process startHttp(int port, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("node", script().toString(), "http", Integer.toString(port));
        pb.environment().put("MCP_SDK_ESM", sdkEsm().toString());
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return pb.start();
    }

    /** Asks the server (through the registry, as any call) what it has seen. */
    @SuppressWarnings("unchecked")
    public static Recorded recorded(ToolRegistry registry, String server) throws ToolUnavailableException {
        UpstreamResult r = registry.call(new ToolName(server, "recorded"), Map.of(), Duration.ofSeconds(20));
        Map<String, Object> value = (Map<String, Object>) r.value();
        List<String> started = (List<String>) value.get("started");
        List<Cancelled> cancelled = ((List<Map<String, Object>>) value.get("cancelled")).stream()
                .map(c -> new Cancelled(String.valueOf(c.get("requestId")), String.valueOf(c.get("reason"))))
                .toList();
        return new Recorded(started, cancelled);
    }

    /** Polls until the server has recorded what {@code done} wants, or fails after {@code limit}. */
    public static Recorded awaitRecorded(ToolRegistry registry, String server, Duration limit,
                                         java.util.function.Predicate<Recorded> done) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            Recorded r = recorded(registry, server);
            if (done.test(r)) {
                return r;
            }
            if (System.nanoTime() > deadline) {
                fail("the upstream did not record what was expected within " + limit + "; it recorded " + r);
            }
            Thread.sleep(50);
        }
    }

    private static boolean nodeRuns() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
