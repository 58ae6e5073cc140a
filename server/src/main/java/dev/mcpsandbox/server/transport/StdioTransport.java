package dev.mcpsandbox.server.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpsandbox.server.modern.ModernServer;
import dev.mcpsandbox.server.startup.StartupTimeline;
import dev.mcpsandbox.server.tools.InFlightCalls;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.modern.McpSchema.MetaKeys;
import io.modelcontextprotocol.modern.server.transport.StdioMcpTransport;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Serves the tools over stdin/stdout, in the protocol the client speaks: its first message tells. A
 * 2026-07-28 client puts the protocol version into every request's {@code _meta} (there is no
 * {@code initialize}); anything else is a 2025-11-25 (or older) client, which starts with {@code initialize}.
 * stdout belongs to the protocol: everything else is moved to stderr.
 */
public final class StdioTransport {
    private static final Logger log = LoggerFactory.getLogger(StdioTransport.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Largest message accepted on stdin; the SDK's own default bound. */
    static final int MAX_LINE_BYTES = 16 * 1024 * 1024;

    private StdioTransport() {
    }

    /** The server serving this process's client, once its first message has told which one. */
    public static final class Serving {
        private final AtomicReference<Runnable> close = new AtomicReference<>(() -> { });

        public void close() {
            close.get().run();
        }
    }

    /**
     * Starts serving on a thread of its own (not a daemon: it keeps the process alive while the client
     * is there) and returns at once.
     *
     * @param calls      the running execute_code calls, which {@code notifications/cancelled} stops
     * @param timeline   start-up so far; logged at debug once the first message can be answered
     * @param clientGone runs when stdin ends; the SDK alone would keep the process alive while requests it
     *                   never answered (e.g. sent before {@code notifications/initialized}) are pending
     */
    public static Serving serve(ServedFeatures features, InputStream in, OutputStream protocolOut,
                                InFlightCalls calls, StartupTimeline timeline, Runnable clientGone) {
        GuardedStdio stdio = new GuardedStdio(in, protocolOut, MAX_LINE_BYTES, clientGone, calls);
        BufferedInputStream input = new BufferedInputStream(stdio.input(), 65536);
        Serving serving = new Serving();
        Thread thread = new Thread(() -> {
            boolean modern;
            try {
                modern = speaksModern(input);
                timeline.mark("first message");
            } catch (IOException e) {
                log.warn("stdin: {}", e.toString());
                modern = false;
            }
            if (modern) {
                serveModern(features, input, stdio.output(), serving);
            } else {
                McpSyncServer server = serveLegacy(features, input, stdio.output());
                serving.close.set(server::closeGracefully);
                timeline.mark("mcp server");
                log.debug("start-up: {}", timeline.summary());
            }
        }, "stdio-serve");
        thread.start();
        return serving;
    }

    private static McpSyncServer serveLegacy(ServedFeatures features, InputStream in, OutputStream out) {
        SerializedStdio transport = new SerializedStdio(new StdioServerTransportProvider(McpJsonDefaults.getMapper(),
                in, out, MAX_LINE_BYTES));
        return features.serve(McpServer.sync(transport).jsonMapper(new ParamsCheckingMapper(McpJsonDefaults.getMapper())));
    }

    /** Serves a 2026-07-28 client until stdin ends; its one client is the caller of every request. */
    private static void serveModern(ServedFeatures features, InputStream in, OutputStream out, Serving serving) {
        String caller = "stdio:" + UUID.randomUUID();
        ModernServer server = features.serveModern(context -> caller);
        StdioMcpTransport transport = new StdioMcpTransport(server.server(), McpJsonDefaults.getMapper(), in, out,
                MAX_LINE_BYTES);
        serving.close.set(() -> {
            transport.closeGracefully().block();
            server.close();
        });
        log.info("the client speaks MCP {}", ModernServer.VERSIONS);
        // The SDK's stdio threads are daemons: this thread keeps the process up until stdin ends.
        transport.start().block();
    }

    /** Peeks at the first message (the stream is reset to it): does it claim a 2026-07-28 protocol version? */
    static boolean speaksModern(BufferedInputStream in) throws IOException {
        in.mark(MAX_LINE_BYTES + 2);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            line.write(c);
        }
        in.reset();
        try {
            JsonNode first = JSON.readTree(line.toString(StandardCharsets.UTF_8));
            return first != null && first.path("params").path("_meta").path(MetaKeys.PROTOCOL_VERSION).isTextual();
        } catch (IOException e) {
            return false; // GuardedStdio passes only JSON; an empty input is no client at all
        }
    }
}
