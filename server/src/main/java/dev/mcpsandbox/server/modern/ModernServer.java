package dev.mcpsandbox.server.modern;

import dev.mcpsandbox.server.tools.InFlightCalls;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.modelcontextprotocol.modern.McpSchema;
import io.modelcontextprotocol.modern.server.HmacRequestStateCodec;
import io.modelcontextprotocol.modern.server.McpServer;
import io.modelcontextprotocol.modern.server.feature.ResourcesFeature;
import io.modelcontextprotocol.modern.server.feature.ToolsFeature;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceTemplateSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;

import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * MCP 2026-07-28 (no {@code initialize}, no protocol session: each request carries the protocol version,
 * the client's capabilities and info in its {@code _meta}) through the SDK's {@code modern} server, serving
 * the tools and resources the 2025-11-25 servers serve, with their handlers. Built once per transport
 * kind (stdio, HTTP); the caller function says who calls, from the transport context.
 */
public final class ModernServer implements AutoCloseable {
    /** The revisions this server speaks without a session. */
    public static final List<String> VERSIONS = List.of(McpSchema.LATEST_PROTOCOL_VERSION);

    private final McpServer server;
    private final ModernTools tools;

    private ModernServer(McpServer server, ModernTools tools) {
        this.server = server;
        this.tools = tools;
    }

    /** What both protocols serve: the tool and resource specifications, and where cancels are delivered. */
    public record Served(String version, String instructions, List<SyncToolSpecification> tools,
                         Supplier<List<SyncResourceSpecification>> resources,
                         List<SyncResourceTemplateSpecification> resourceTemplates, InFlightCalls inFlight) {
    }

    /**
     * @param answerWithin how long a question to the client (a confirmation) waits for the client's retry
     */
    public static ModernServer build(Served served, Function<McpTransportContext, String> caller, Duration answerWithin) {
        McpJsonMapper json = McpJsonDefaults.getMapper();
        ModernTools tools = new ModernTools(served.tools(), json, served.inFlight(), caller, answerWithin);
        McpServer server = McpServer.builder()
                .serverInfo(McpSchema.Implementation.builder("mcp-sandbox", served.version()).build())
                .instructions(served.instructions())
                .supportedVersions(VERSIONS)
                .jsonMapper(json)
                .feature(ToolsFeature.ofAsync(tools, json, new ToolsCheckTheirInputs(tools.inputSchemas()), 0L,
                        McpSchema.CacheScope.PRIVATE))
                .feature(ResourcesFeature.ofSync(new ModernResources(served.resources(), served.resourceTemplates(),
                        json, caller), json, 0L, McpSchema.CacheScope.PRIVATE))
                // The request state names a suspended call; sealed to the caller, so nobody else can answer it.
                .requestStateCodec(HmacRequestStateCodec.builder().jsonMapper(json).principalExtractor(caller)
                        .ttl(answerWithin).build())
                .build();
        return new ModernServer(server, tools);
    }

    /** The SDK server, for its transports. */
    public McpServer server() {
        return server;
    }

    @Override
    public void close() {
        server.closeGracefully();
        tools.close();
    }

    /**
     * The SDK validates tool arguments against the input schema before the handler runs, with no way to turn
     * that off; our handlers check their arguments themselves (as with {@code validateToolInputs(false)} on the
     * 2025-11-25 server) and say what to fix, so the input schemas pass here. Output schemas are validated.
     */
    private static final class ToolsCheckTheirInputs implements JsonSchemaValidator {
        private final Set<Map<String, Object>> inputSchemas = Collections.newSetFromMap(new IdentityHashMap<>());
        private final JsonSchemaValidator validator = McpJsonDefaults.getSchemaValidator();

        ToolsCheckTheirInputs(List<Map<String, Object>> inputSchemas) {
            this.inputSchemas.addAll(inputSchemas);
        }

        @Override
        public ValidationResponse validate(Map<String, Object> schema, Object structuredContent) {
            return inputSchemas.contains(schema) ? ValidationResponse.asValid(null) : validator.validate(schema, structuredContent);
        }

        @Override
        public ValidationResponse validateSchema(Map<String, Object> schema) {
            return validator.validateSchema(schema);
        }
    }
}
