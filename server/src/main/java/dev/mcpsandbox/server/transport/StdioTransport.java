package dev.mcpsandbox.server.transport;

import dev.mcpsandbox.server.ServerAssembly;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema.ServerCapabilities;

import java.io.InputStream;
import java.io.PrintStream;
import java.time.Duration;

/** Serves the tools over stdin/stdout. stdout belongs to the protocol: everything else is moved to stderr. */
public final class StdioTransport {
    private StdioTransport() {
    }

    public static McpSyncServer serve(ServerAssembly assembly, String version, InputStream in, PrintStream protocolOut) {
        StdioServerTransportProvider transport = new StdioServerTransportProvider(McpJsonDefaults.getMapper(), in, protocolOut);
        return McpServer.sync(transport)
                .serverInfo("mcp-sandbox", version)
                .instructions(assembly.instructions())
                .capabilities(ServerCapabilities.builder().tools(true).logging().build())
                .requestTimeout(Duration.ofMinutes(10))
                .tools(assembly.tools())
                .build();
    }
}
