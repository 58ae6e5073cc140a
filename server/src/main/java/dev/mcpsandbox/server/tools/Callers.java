package dev.mcpsandbox.server.tools;

import dev.mcpsandbox.sandbox.execution.CallContext;
import io.modelcontextprotocol.server.McpSyncServerExchange;

/**
 * Who is calling, for what the server keeps between calls (sessions): the client's MCP session. A stdio server
 * has one; each HTTP client has its own, so two clients that pick the same session name never meet.
 */
final class Callers {
    private Callers() {
    }

    static String of(McpSyncServerExchange exchange) {
        String session = exchange.sessionId();
        return session == null || session.isEmpty() ? CallContext.ONLY_CLIENT : "mcp-session:" + session;
    }
}
