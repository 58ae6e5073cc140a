package dev.mcpsandbox.tools.registry;

import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * The inbound half of {@link LineFilteringStdioTransport}: reads a server's stdout line by line, hands
 * the lines that parse as JSON-RPC messages to the MCP session, and logs and skips all others (the
 * first {@value #NOISY_LINES_AT_INFO} at INFO, then at DEBUG); lines longer than the bound are dropped whole.
 */
final class JsonRpcLineFilter {

    private static final Logger log = LoggerFactory.getLogger(JsonRpcLineFilter.class);
    private static final int NOISY_LINES_AT_INFO = 20;

    private final String server;
    private final McpJsonMapper mapper;
    private final int maxLineBytes;
    private final AtomicInteger skippedLines = new AtomicInteger();

    JsonRpcLineFilter(String server, McpJsonMapper mapper, int maxLineBytes) {
        this.server = server;
        this.mapper = mapper;
        this.maxLineBytes = maxLineBytes;
    }

    int skippedLines() {
        return skippedLines.get();
    }

    /** Reads until end of stream (or a read error); {@code closing} says whether an error is ours. */
    void pump(InputStream in, Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler,
              BooleanSupplier closing) {
        try (in) {
            LineReader reader = new LineReader(in, maxLineBytes);
            String line;
            while ((line = reader.next()) != null) {
                if (reader.lastLineTooLong()) {
                    log.warn("{}: dropped a stdout line longer than {} bytes", server, maxLineBytes);
                    skippedLines.incrementAndGet();
                    continue;
                }
                if (!line.isBlank()) {
                    deliver(line, handler);
                }
            }
        } catch (IOException e) {
            if (!closing.getAsBoolean()) {
                log.debug("{}: reading stdout failed: {}", server, e.toString());
            }
        }
    }

    private void deliver(String line, Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
        McpSchema.JSONRPCMessage message;
        try {
            message = McpSchema.deserializeJsonRpcMessage(mapper, line);
        } catch (Exception e) {
            int n = skippedLines.incrementAndGet();
            if (n <= NOISY_LINES_AT_INFO) {
                log.info("{}: skipped a stdout line that is not a JSON-RPC message: {}{}", server,
                        UpstreamProcess.abbreviate(line), n == NOISY_LINES_AT_INFO ? " (further ones at DEBUG)" : "");
            } else {
                log.debug("{}: skipped non-JSON-RPC stdout line: {}", server, UpstreamProcess.abbreviate(line));
            }
            return;
        }
        try {
            handler.apply(Mono.just(message)).subscribe(ignored -> { },
                    e -> log.warn("{}: handling a message failed: {}", server, e.toString()));
        } catch (RuntimeException e) {
            log.warn("{}: handling a message failed", server, e);
        }
    }
}
