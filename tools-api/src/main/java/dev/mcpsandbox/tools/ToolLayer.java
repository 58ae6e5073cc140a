package dev.mcpsandbox.tools;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.config.ServerConfig;
import dev.mcpsandbox.config.ToolBudgetConfig;
import dev.mcpsandbox.tools.audit.AuditSink;
import dev.mcpsandbox.tools.bridge.BridgeSession;
import dev.mcpsandbox.tools.bridge.Confirmer;
import dev.mcpsandbox.tools.budget.CallBudget;
import dev.mcpsandbox.tools.policy.PolicyDecision;
import dev.mcpsandbox.tools.policy.ToolPolicy;
import dev.mcpsandbox.tools.registry.ServerStatus;
import dev.mcpsandbox.tools.registry.ToolDescriptor;
import dev.mcpsandbox.tools.registry.ToolRegistry;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The tools-api entry point: the upstream tools, the operator's policy over them, and a bridge per
 * execution through which sandboxed code reaches them. Everything sandboxed code can do to the world
 * outside passes through here, checked.
 */
public final class ToolLayer implements AutoCloseable {
    /** How long start-up waits for upstream servers before serving without the slow ones. */
    public static final Duration STARTUP_LIMIT = Duration.ofSeconds(20);

    private final ToolRegistry registry;
    private final ToolPolicy policy;
    private final ToolBudgetConfig budget;
    private final AuditSink audit;
    private final Clock clock;
    private final JsonSchemaValidator schemas;
    private final ExecutorService calls;

    private ToolLayer(ToolRegistry registry, ToolPolicy policy, ToolBudgetConfig budget, AuditSink audit, Clock clock) {
        this.registry = registry;
        this.policy = policy;
        this.budget = budget;
        this.audit = audit;
        this.clock = clock;
        this.schemas = McpJsonDefaults.getSchemaValidator();
        // Calls block on upstream servers. Up to 64 run at once (each execution may have 16 in flight), threads
        // come and go with demand; the queue behind them only fills when every thread is busy.
        ThreadPoolExecutor pool = new ThreadPoolExecutor(64, 64, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(1024), r -> {
            Thread t = new Thread(r, "tool-call");
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        this.calls = pool;
    }

    /** Connects to every configured upstream server in parallel (bounded by {@link #STARTUP_LIMIT}). */
    public static ToolLayer start(ServerConfig config, AuditSink audit, Clock clock) {
        ToolRegistry registry = ToolRegistry.connect(config.mcpServers(), STARTUP_LIMIT);
        return new ToolLayer(registry, ToolPolicy.from(config.tools()), config.tools().budget(), audit, clock);
    }

    /**
     * Opens the bridge of one execution: a Unix socket at {@code socket} (a host path inside that
     * sandbox's private bridge directory), with its own call budget and confirmation channel.
     */
    public BridgeSession openBridge(String executionId, Path socket, ResourceLimits limits, Confirmer confirmer)
            throws IOException {
        CallBudget callBudget = CallBudget.forExecution(limits, budget);
        return BridgeSession.open(executionId, socket, registry, policy, callBudget, confirmer, schemas, audit, clock,
                calls);
    }

    /** Tools sandboxed code may call (or ask to call), among those available now. */
    public List<ToolDescriptor> visibleTools() {
        return registry.tools().stream().filter(policy::visible).toList();
    }

    /** Every tool of every available server, allowed or not (to recognise names in code). */
    public List<ToolDescriptor> knownTools() {
        return registry.tools();
    }

    public Optional<ToolDescriptor> find(ToolName name) {
        return registry.find(name);
    }

    public PolicyDecision decide(ToolDescriptor tool) {
        return policy.decide(tool);
    }

    public List<ServerStatus> servers() {
        return registry.servers();
    }

    public boolean hasServers() {
        return !registry.servers().isEmpty();
    }

    public void onToolsChanged(Runnable listener) {
        registry.onToolsChanged(listener);
    }

    @Override
    public void close() {
        calls.shutdownNow();
        registry.close();
    }
}
