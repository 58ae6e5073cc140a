package dev.mcpsandbox.server.transport;

import dev.mcpsandbox.server.ServerAssembly;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema.ServerCapabilities;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;

/** Serves the tools over stdin/stdout. stdout belongs to the protocol: everything else is moved to stderr. */
public final class StdioTransport {
    /** Largest message accepted on stdin; the SDK's own default bound. */
    static final int MAX_LINE_BYTES = 16 * 1024 * 1024;

    private StdioTransport() {
    }

    /**
     * @param clientGone runs when stdin ends; the SDK alone would keep the process alive while requests it
     *                   never answered (e.g. sent before {@code notifications/initialized}) are pending
     */
    public static McpSyncServer serve(ServerAssembly assembly, String version, InputStream in, OutputStream protocolOut,
                                      Runnable clientGone) {
        GuardedStdio stdio = new GuardedStdio(in, protocolOut, MAX_LINE_BYTES, clientGone);
        StdioServerTransportProvider transport = new StdioServerTransportProvider(McpJsonDefaults.getMapper(),
                stdio.input(), stdio.output(), MAX_LINE_BYTES);
        McpSyncServer server = McpServer.sync(transport)
                .serverInfo("mcp-sandbox", version)
                .instructions(assembly.instructions())
                .capabilities(ServerCapabilities.builder().tools(true).resources(false, true).logging().build())
                .requestTimeout(Duration.ofMinutes(10))
                .tools(assembly.tools())
                .resources(assembly.resources())
                .build();
        assembly.onToolsChanged(server::notifyResourcesListChanged);
        return server;
    }
}
