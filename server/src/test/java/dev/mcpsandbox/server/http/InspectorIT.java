package dev.mcpsandbox.server.http;

import dev.mcpsandbox.server.SandboxServer;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The MCP Inspector's CLI (pinned in .ci/conformance), a 2025-11-25 client, gets 42 from Python over stdio and over
 * Streamable HTTP from the same jar (each invocation is one MCP session: one call).
 */
class InspectorIT {
    private static Path inspector() {
        Path clients = Path.of(System.getProperty("mcpSandbox.httpClientsDir", "../.ci/conformance")).toAbsolutePath();
        Path cli = clients.resolve("node_modules/@modelcontextprotocol/inspector/cli/build/cli.js");
        SandboxServer.requireOrSkip(Files.isRegularFile(cli),
                "the MCP Inspector is not installed in " + clients + " (run .ci/conformance/run.sh --install)");
        return cli;
    }

    @Test
    void inspectorCli_overStdio_gets42() throws Exception {
        List<String> command = new ArrayList<>(List.of("node", inspector().toString(), "--cli"));
        command.addAll(SandboxServer.builder().command());
        command.addAll(List.of("--method", "tools/call", "--tool-name", "execute_code", "--tool-arg", "language=python",
                "--tool-arg", "code=print(6*7)"));
        assertThat(run(command)).contains("\"stdout\": \"42\\n\"").contains("\"exitCode\": 0");
    }

    @Test
    void inspectorCli_overStreamableHttp_gets42() throws Exception {
        Path cli = inspector();
        try (HttpServerProcess http = HttpServerProcess.start(Map.of(), "--http", "127.0.0.1:0")) {
            String out = run(List.of("node", cli.toString(), "--cli", http.uri("/mcp").toString(), "--transport", "http",
                    "--method", "tools/call", "--tool-name", "execute_code", "--tool-arg", "language=python",
                    "--tool-arg", "code=print(6*7)"));
            assertThat(out).contains("\"stdout\": \"42\\n\"").contains("\"exitCode\": 0");
        }
    }

    private static String run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("inspector %s", command).isTrue();
        assertThat(p.exitValue()).as("inspector:\n%s", out).isZero();
        return out;
    }
}
