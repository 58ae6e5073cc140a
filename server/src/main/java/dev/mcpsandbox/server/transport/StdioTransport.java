package dev.mcpsandbox.server.transport;

import dev.mcpsandbox.server.tools.InFlightCalls;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;

import java.io.InputStream;
import java.io.OutputStream;

/** Serves the tools over stdin/stdout. stdout belongs to the protocol: everything else is moved to stderr. */
public final class StdioTransport {
    /** Largest message accepted on stdin; the SDK's own default bound. */
    static final int MAX_LINE_BYTES = 16 * 1024 * 1024;

    private StdioTransport() {
    }

    /**
     * @param calls      the running execute_code calls, which {@code notifications/cancelled} stops
     * @param clientGone runs when stdin ends; the SDK alone would keep the process alive while requests it
     *                   never answered (e.g. sent before {@code notifications/initialized}) are pending
     */
    public static McpSyncServer serve(ServedFeatures features, InputStream in, OutputStream protocolOut,
                                      InFlightCalls calls, Runnable clientGone) {
        GuardedStdio stdio = new GuardedStdio(in, protocolOut, MAX_LINE_BYTES, clientGone, calls);
        SerializedStdio transport = new SerializedStdio(new StdioServerTransportProvider(McpJsonDefaults.getMapper(),
                stdio.input(), stdio.output(), MAX_LINE_BYTES));
        return features.serve(McpServer.sync(transport).jsonMapper(new ParamsCheckingMapper(McpJsonDefaults.getMapper())));
    }
}
