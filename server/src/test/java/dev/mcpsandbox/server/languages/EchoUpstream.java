package dev.mcpsandbox.server.languages;

import dev.mcpsandbox.server.SandboxServer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The pinned server-everything with only its echo tool allowed: what the language suites' `tool` probes call. */
final class EchoUpstream {
    private EchoUpstream() {
    }

    /** A server configuration to add to; skips (or fails, in CI) when the upstream servers are not installed. */
    static Map<String, Object> config() {
        Path everything = Path.of(System.getProperty("mcpSandbox.upstreamDir", "/work/main/.ci/upstream/node_modules"),
                ".bin", "mcp-server-everything");
        SandboxServer.requireOrSkip(Files.isExecutable(everything),
                "the pinned upstream MCP servers are not installed (bin/setup --test-deps)");
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("mcpServers", Map.of("everything", Map.of("command", everything.toString(), "args", List.of())));
        config.put("tools", Map.of("allow", List.of("everything.echo")));
        return config;
    }
}
