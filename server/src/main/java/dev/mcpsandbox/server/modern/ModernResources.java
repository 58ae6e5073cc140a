package dev.mcpsandbox.server.modern;

import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.modern.server.McpRequestContext;
import io.modelcontextprotocol.modern.server.McpSyncResponse;
import io.modelcontextprotocol.modern.server.feature.McpSyncResource;
import io.modelcontextprotocol.modern.server.feature.McpSyncResourceRepository;
import io.modelcontextprotocol.modern.server.feature.McpSyncResourceTemplate;
import io.modelcontextprotocol.modern.server.feature.ResourceTemplatesPage;
import io.modelcontextprotocol.modern.server.feature.ResourcesPage;
import io.modelcontextprotocol.modern.McpSchema;
import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceTemplateSpecification;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema.ReadResourceRequest;
import io.modelcontextprotocol.util.DefaultMcpUriTemplateManagerFactory;
import io.modelcontextprotocol.util.McpUriTemplateManager;
import dev.mcpsandbox.server.transport.Caller;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The 2025-11-25 resources (tool stubs, run outputs, stats) and resource templates, served to 2026-07-28
 * clients with the same read handlers. The stub resources change with the upstream tools, so they are
 * listed afresh on every request.
 */
final class ModernResources implements McpSyncResourceRepository {
    private final Supplier<List<SyncResourceSpecification>> resources;
    private final List<Template> templates;
    private final McpJsonMapper json;
    private final Function<McpTransportContext, String> caller;

    private record Template(SyncResourceTemplateSpecification spec, McpUriTemplateManager matcher) {
    }

    ModernResources(Supplier<List<SyncResourceSpecification>> resources, List<SyncResourceTemplateSpecification> templates,
                    McpJsonMapper json, Function<McpTransportContext, String> caller) {
        this.resources = resources;
        this.json = json;
        this.caller = caller;
        var matchers = new DefaultMcpUriTemplateManagerFactory();
        this.templates = templates.stream()
                .map(t -> new Template(t, matchers.create(t.resourceTemplate().uriTemplate()))).toList();
    }

    @Override
    public ResourcesPage list(McpRequestContext ctx, String cursor) {
        return ResourcesPage.of(resources.get().stream()
                .map(r -> json.convertValue(r.resource(), McpSchema.Resource.class)).toList());
    }

    @Override
    public ResourceTemplatesPage listTemplates(McpRequestContext ctx, String cursor) {
        return ResourceTemplatesPage.of(templates.stream()
                .map(t -> json.convertValue(t.spec().resourceTemplate(), McpSchema.ResourceTemplate.class)).toList());
    }

    @Override
    public McpSyncResource find(McpRequestContext ctx, String uri) {
        Optional<BiFunction<McpSyncServerExchange, ReadResourceRequest, io.modelcontextprotocol.spec.McpSchema.ReadResourceResult>> handler =
                resources.get().stream().filter(r -> r.resource().uri().equals(uri)).findFirst()
                        .map(SyncResourceSpecification::readHandler)
                        .or(() -> templates.stream().filter(t -> t.matcher().matches(uri)).findFirst()
                                .map(t -> t.spec().readHandler()));
        return handler.map(read -> McpSyncResource.of((context, request) -> McpSyncResponse.result(
                json.convertValue(read.apply(exchange(context), new ReadResourceRequest(request.uri(), request.meta())),
                        McpSchema.ReadResourceResult.class)))).orElse(null);
    }

    /** Resource handlers read nothing from the exchange but who asks; it carries the caller as tool calls do. */
    private McpSyncServerExchange exchange(McpRequestContext ctx) {
        String who = caller.apply(ctx.transportContext());
        return new McpSyncServerExchange(new McpAsyncServerExchange(who, null, null, null,
                McpTransportContext.create(Map.of(Caller.CONTEXT_KEY, who))));
    }
}
