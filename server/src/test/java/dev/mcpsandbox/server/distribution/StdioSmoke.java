package dev.mcpsandbox.server.distribution;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.Implementation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A new user's first call, made by a real MCP client (the Java SDK's, over stdio) against an installed server:
 * {@code execute_code} with Python's {@code print(6*7)}. Used by bin/release on the unpacked archive and by the
 * container image tests on {@code docker run -i --rm}.
 */
public final class StdioSmoke {
    /** What one call answered, and what the server logged on its way. */
    public record Answer(String serverVersion, Map<String, Object> structured, boolean isError, List<String> stderr) {
        public String stdout() {
            return String.valueOf(structured.get("stdout"));
        }
    }

    private StdioSmoke() {
    }

    /** Starts {@code command} as a stdio MCP server, initializes, runs {@code print(6*7)} in Python, and closes. */
    @SuppressWarnings("unchecked")
    public static Answer fortyTwo(List<String> command, Map<String, String> env) {
        ServerParameters params = ServerParameters.builder(command.get(0)).args(command.subList(1, command.size()))
                .env(env).build();
        StdioClientTransport transport = new StdioClientTransport(params, McpJsonDefaults.getMapper());
        List<String> stderr = Collections.synchronizedList(new ArrayList<>());
        transport.setStdErrorHandler(stderr::add);
        McpSyncClient client = McpClient.sync(transport).clientInfo(new Implementation("mcp-sandbox-smoke", "1"))
                .requestTimeout(Duration.ofSeconds(120)).initializationTimeout(Duration.ofSeconds(120)).build();
        try {
            client.initialize();
            CallToolResult result = client.callTool(CallToolRequest.builder("execute_code")
                    .arguments(Map.of("language", "python", "code", "print(6*7)")).build());
            return new Answer(client.getServerInfo().version(), (Map<String, Object>) result.structuredContent(),
                    Boolean.TRUE.equals(result.isError()), List.copyOf(stderr));
        } finally {
            client.closeGracefully();
        }
    }

    /** {@code StdioSmoke COMMAND [ARGS...]}: exits 0 when the server answered 42, 1 (with what it said) otherwise. */
    public static void main(String[] args) {
        Answer answer = fortyTwo(List.of(args), Map.of());
        if (!answer.isError() && "42\n".equals(answer.stdout())) {
            System.out.println("mcp-sandbox " + answer.serverVersion() + " answered 42 over stdio");
            System.exit(0);
        }
        System.err.println("expected stdout 42, got " + answer.structured() + "\nserver log:\n"
                + String.join("\n", answer.stderr()));
        System.exit(1);
    }
}
