package dev.mcpsandbox.server.transport;

import dev.mcpsandbox.server.modern.ModernServer;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/**
 * {@code /mcp} for both revisions: a request without {@code Mcp-Session-Id} that names a 2026-07-28 protocol
 * version in {@code MCP-Protocol-Version}, or carries the {@code Mcp-Method} header only 2026-07-28 clients
 * send, goes to the stateless 2026-07-28 servlet; everything else (an {@code initialize}, and every request
 * of a 2025-11-25 session) to the Streamable HTTP servlet of 2025-11-25.
 */
final class ProtocolRouter extends HttpServlet {
    private final HttpServlet sessions;
    private final HttpServlet stateless;

    ProtocolRouter(HttpServlet sessions, HttpServlet stateless) {
        this.sessions = sessions;
        this.stateless = stateless;
    }

    static boolean speaksModern(HttpServletRequest request) {
        String version = request.getHeader("MCP-Protocol-Version");
        return request.getHeader("Mcp-Session-Id") == null
                && (version != null && ModernServer.VERSIONS.contains(version) || request.getHeader("Mcp-Method") != null);
    }

    @Override
    public void init(ServletConfig config) throws ServletException {
        super.init(config);
        sessions.init(config);
        stateless.init(config);
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws ServletException, IOException {
        (speaksModern(request) ? stateless : sessions).service(request, response);
    }

    @Override
    public void destroy() {
        sessions.destroy();
        stateless.destroy();
        super.destroy();
    }
}
