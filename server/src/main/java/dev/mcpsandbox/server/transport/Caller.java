package dev.mcpsandbox.server.transport;

import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpSyncServerExchange;

import java.util.Optional;

/**
 * Who is calling: the owner of anything the server keeps between calls. One place answers it for every
 * protocol and transport, from the exchange a tool handler receives:
 * <ul>
 *   <li>2026-07-28 (no protocol session): the transport puts the caller into the transport context under
 *       {@link #CONTEXT_KEY}: over HTTP the bearer token's identity ({@code token:<hash>}), or the remote
 *       address when no token is configured (loopback only); over stdio the one client of this process
 *       ({@code stdio:<id>});</li>
 *   <li>2025-11-25 and older: the MCP session ({@code session:<id>}): over stdio the one session of the
 *       process, over HTTP the {@code Mcp-Session-Id} (or the legacy SSE session).</li>
 * </ul>
 */
public final class Caller {
    /** Transport-context key holding the caller of a 2026-07-28 request. */
    public static final String CONTEXT_KEY = "dev.mcpsandbox/caller";
    /** Servlet request attribute where the HTTP guard leaves the caller it authenticated. */
    static final String REQUEST_ATTRIBUTE = CONTEXT_KEY;

    private Caller() {
    }

    /** The caller of the request this exchange belongs to; never empty. */
    public static String of(McpSyncServerExchange exchange) {
        return fromContext(exchange.transportContext())
                .orElseGet(() -> exchange.sessionId() == null ? "unknown" : "session:" + exchange.sessionId());
    }

    /** The caller a transport recorded in the context, if it did. */
    public static Optional<String> fromContext(McpTransportContext context) {
        return context != null && context.get(CONTEXT_KEY) instanceof String caller && !caller.isEmpty()
                ? Optional.of(caller) : Optional.empty();
    }
}
