package dev.mcpsandbox.server.http;

import dev.mcpsandbox.server.SandboxServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
 * README's Claude Code recipes, run with the real Claude Code CLI (pinned in .ci/conformance; it needs no account to
 * configure and health-check servers): {@code claude mcp add} for the stdio launcher and for HTTP with a bearer
 * header, then {@code claude mcp list}, which starts or calls each server and says whether it connected. A third
 * entry with a wrong token must not connect, so the check is the token's and not just the port's.
 */
class ClaudeCodeIT {
    private static final String TOKEN = "claude-it-token-0123456789abcdef01234";

    @TempDir
    Path scratch;

    @Test
    void claudeMcpList_showsStdioAndHttpWithHeader_connected() throws Exception {
        Path clients = Path.of(System.getProperty("mcpSandbox.httpClientsDir", "../.ci/conformance")).toAbsolutePath();
        Path claude = clients.resolve("node_modules/.bin/claude");
        SandboxServer.requireOrSkip(Files.isExecutable(claude),
                "the Claude Code CLI is not installed in " + clients + " (run .ci/conformance/run.sh --install)");
        Path launcher = Path.of(System.getProperty("mcpSandbox.root", "..")).toAbsolutePath().normalize()
                .resolve("bin/mcp-sandbox");
        try (HttpServerProcess http = HttpServerProcess.start(Map.of("MCP_SANDBOX_TOKEN", TOKEN), "--http", "127.0.0.1:0")) {
            String url = http.uri("/mcp").toString();
            run(claude, "mcp", "add", "sandbox", "--", launcher.toString());
            run(claude, "mcp", "add", "--transport", "http", "sandbox-http", url, "--header", "Authorization: Bearer " + TOKEN);
            run(claude, "mcp", "add", "--transport", "http", "sandbox-wrong-token", url, "--header",
                    "Authorization: Bearer not-the-token-0123456789abcdef0123");
            String list = run(claude, "mcp", "list");
            assertThat(line(list, "sandbox:")).contains("Connected").doesNotContain("Failed");
            assertThat(line(list, "sandbox-http:")).contains("Connected");
            assertThat(line(list, "sandbox-wrong-token:")).doesNotContain("✔ Connected");
        }
    }

    private static String line(String output, String prefix) {
        return output.lines().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no line " + prefix + " in:\n" + output));
    }

    /** Runs the CLI in a scratch project with a scratch HOME, so no user's configuration is read or changed. */
    private String run(Path claude, String... args) throws Exception {
        Path home = Files.createDirectories(scratch.resolve("home"));
        Path project = Files.createDirectories(scratch.resolve("project"));
        List<String> command = new ArrayList<>(List.of(claude.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(project.toFile()).redirectErrorStream(true);
        builder.environment().put("HOME", home.toString());
        builder.environment().put("MCP_SANDBOX_LOG", "WARN");
        Process p = builder.start();
        p.getOutputStream().close();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("claude " + String.join(" ", args)).isTrue();
        assertThat(p.exitValue()).as("claude " + String.join(" ", args) + ":\n" + out).isZero();
        return out;
    }
}
