package dev.mcpsandbox.server.operations;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceSpecification;
import io.modelcontextprotocol.spec.McpSchema.ReadResourceResult;
import io.modelcontextprotocol.spec.McpSchema.Resource;
import io.modelcontextprotocol.spec.McpSchema.TextResourceContents;

import java.util.List;

/**
 * {@code mcp-sandbox://stats}: the counters behind {@code /metrics} as JSON, for clients on stdio,
 * which have no HTTP endpoint to scrape.
 */
public final class StatsResource {
    public static final String URI = "mcp-sandbox://stats";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private StatsResource() {
    }

    public static SyncResourceSpecification specification(Metrics metrics) {
        Resource resource = Resource.builder(URI, "stats.json").title("Server statistics")
                .description("Executions by language and outcome, durations, queue depth, tool calls made by sandboxed"
                        + " code, and calls of this server's tools, since the server started.")
                .mimeType("application/json").build();
        return new SyncResourceSpecification(resource, (exchange, request) -> {
            try {
                return ReadResourceResult.builder(List.of(TextResourceContents.builder(URI,
                        JSON.writeValueAsString(metrics.summary())).mimeType("application/json").build())).build();
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot render the statistics", e);
            }
        });
    }
}
