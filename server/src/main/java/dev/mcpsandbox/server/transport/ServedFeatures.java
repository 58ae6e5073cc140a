package dev.mcpsandbox.server.transport;

import dev.mcpsandbox.server.ServerAssembly;
import dev.mcpsandbox.server.operations.Metrics;
import dev.mcpsandbox.server.operations.StatsResource;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.spec.McpSchema.ServerCapabilities;

import dev.mcpsandbox.server.modern.ModernServer;
import io.modelcontextprotocol.common.McpTransportContext;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What every transport serves, built once: the assembly's tools with their handlers counted by
 * {@link Metrics}, its resources plus {@code mcp-sandbox://stats}, the instructions and the
 * capabilities. Each transport provider gets its own {@link McpSyncServer} from {@link #serve}.
 */
public final class ServedFeatures {
    /** Server-to-client requests (elicitation for confirmations) may wait for a human. */
    static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(10);

    private final ServerAssembly assembly;
    private final Metrics metrics;
    private final String version;
    private final List<SyncToolSpecification> tools;
    private final List<SyncResourceSpecification> resources;

    private ServedFeatures(ServerAssembly assembly, Metrics metrics, String version) {
        this.assembly = assembly;
        this.metrics = metrics;
        this.version = version;
        this.tools = metrics.instrument(assembly.tools());
        List<SyncResourceSpecification> all = new ArrayList<>(assembly.resources());
        all.add(StatsResource.specification(metrics));
        this.resources = List.copyOf(all);
    }

    public static ServedFeatures of(ServerAssembly assembly, Metrics metrics, String version) {
        return new ServedFeatures(assembly, metrics, version);
    }

    public ServerAssembly assembly() {
        return assembly;
    }

    public Metrics metrics() {
        return metrics;
    }

    public String version() {
        return version;
    }

    public List<SyncToolSpecification> tools() {
        return tools;
    }

    public List<SyncResourceSpecification> resources() {
        return resources;
    }

    /** Finishes an SDK server builder (any transport kind) with these features and builds it. */
    public <S extends McpServer.SyncSpecification<S>> McpSyncServer serve(McpServer.SyncSpecification<S> builder) {
        McpSyncServer server = builder
                .serverInfo("mcp-sandbox", version)
                .instructions(assembly.instructions())
                .capabilities(ServerCapabilities.builder().tools(true).resources(false, true).logging().build())
                .requestTimeout(REQUEST_TIMEOUT)
                // Each tool checks its arguments against its own contract, with messages that name what to fix.
                .validateToolInputs(false)
                .tools(tools)
                .resources(resources)
                .resourceTemplates(assembly.resourceTemplates())
                .build();
        assembly.onToolsChanged(server::notifyResourcesListChanged);
        return server;
    }

    /**
     * The same tools and resources for 2026-07-28 clients (see {@link ModernServer}); a confirmation waits
     * for the client's answer as long as an elicitation does here.
     *
     * @param caller who makes a request, from its transport context (see {@link Caller})
     */
    public ModernServer serveModern(Function<McpTransportContext, String> caller) {
        return ModernServer.build(new ModernServer.Served(version, assembly.instructions(), tools, () -> resources,
                assembly.resourceTemplates(), assembly.inFlightCalls()), caller, REQUEST_TIMEOUT);
    }
}
