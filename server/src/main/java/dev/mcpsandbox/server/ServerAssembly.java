package dev.mcpsandbox.server;

import dev.mcpsandbox.config.ServerConfig;
import dev.mcpsandbox.sandbox.backend.BackendHealth;
import dev.mcpsandbox.sandbox.backend.SandboxBackend;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.docker.ContainerRuntime;
import dev.mcpsandbox.sandbox.backend.docker.DockerBackend;
import dev.mcpsandbox.sandbox.backend.bubblewrap.BubblewrapBackend;
import dev.mcpsandbox.sandbox.execution.CodeRunner;
import dev.mcpsandbox.sandbox.execution.ExecutionAudit;
import dev.mcpsandbox.server.operations.Metrics;
import dev.mcpsandbox.sandbox.language.LanguageCatalog;
import dev.mcpsandbox.sandbox.language.VersionCache;
import dev.mcpsandbox.sandbox.backend.scratch.RunDirectory;
import dev.mcpsandbox.server.tools.ExecuteCodeTool;
import dev.mcpsandbox.server.tools.InFlightCalls;
import dev.mcpsandbox.server.tools.EndSessionTool;
import dev.mcpsandbox.server.tools.ListLanguagesTool;
import dev.mcpsandbox.server.tools.ValidateCodeTool;
import dev.mcpsandbox.tools.ToolLayer;
import dev.mcpsandbox.tools.audit.AuditSink;
import dev.mcpsandbox.tools.audit.JsonLinesAuditSink;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceTemplateSpecification;
import dev.mcpsandbox.server.tools.OutputArchive;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import dev.mcpsandbox.server.tools.SearchToolsTool;
import dev.mcpsandbox.server.tools.ToolStubResources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Wires the server once: configuration → backend (self-checked) → languages → runner → tool
 * specifications. Transports take the specifications; nothing below this class reads the
 * environment or the command line.
 */
public final class ServerAssembly implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServerAssembly.class);
    /** Whole outputs of recent runs (see OutputArchive): a few dozen long outputs, for as long as a conversation turn. */
    private static final long OUTPUTS_KEPT_BYTES = 64L << 20;
    private static final Duration OUTPUTS_KEPT_FOR = Duration.ofMinutes(30);
    static final String INSTRUCTIONS = """
            This server runs code in isolated, single-use sandboxes (no network; a private /workspace).
            - list_languages: which languages run here, their versions and limits.
            - validate_code {language, code}: syntax check without running; findings are advisory only.
            - execute_code {language, code, files?, stdin?, timeoutSeconds?}: runs the program and returns stdout,
              stderr, exitCode and, on failure, error {type, message, line}; limitHit names a limit that stopped it.
            Print what you need to stdout; keep output small. Each call starts from an empty sandbox.""";

    private final ServerConfig config;
    private final LanguageCatalog languages;
    private final CodeRunner runner;
    private final ToolLayer toolLayer;
    private final AuditSink audit;
    private final Metrics metrics;
    private final List<SyncToolSpecification> tools;
    private final List<SyncResourceSpecification> resources;
    private final List<SyncResourceTemplateSpecification> resourceTemplates;
    private final InFlightCalls inFlight;

    private ServerAssembly(ServerConfig config, LanguageCatalog languages, CodeRunner runner, ToolLayer toolLayer,
                           AuditSink audit, Metrics metrics, List<SyncToolSpecification> tools,
                           List<SyncResourceSpecification> resources,
                           List<SyncResourceTemplateSpecification> resourceTemplates, InFlightCalls inFlight) {
        this.resourceTemplates = resourceTemplates;
        this.config = config;
        this.languages = languages;
        this.runner = runner;
        this.toolLayer = toolLayer;
        this.audit = audit;
        this.metrics = metrics;
        this.tools = tools;
        this.resources = resources;
        this.inFlight = inFlight;
    }

    public static ServerAssembly assemble(ServerConfig config) throws SandboxException, IOException {
        SandboxBackend backend = startBackend(config);
        BackendHealth health = backend.selfCheck();
        if (!health.usable()) {
            backend.close();
            throw new SandboxException("the " + backend.name() + " backend cannot isolate code here:\n  - "
                    + String.join("\n  - ", health.failures()));
        }
        health.enforced().forEach(e -> log.info("isolation: {}", e));
        health.weakened().forEach(w -> log.warn("isolation weakened: {}", w));
        // The work root exists now (the backend prepared it, owned by this user): the versions read at the last
        // start are kept there.
        VersionCache versions = VersionCache.in(RunDirectory.workRoot(config.execution().workRoot())
                .resolve("toolchain-versions.json"));
        LanguageCatalog languages = LanguageCatalog.detect(config, versions).restrictedTo(backend::cannotRun);
        AuditSink audit = config.audit().file().isPresent()
                ? JsonLinesAuditSink.open(config.audit().file().get()) : AuditSink.NONE;
        boolean processesByRlimit = backend.processCapByRlimit()
                || health.weakened().stream().anyMatch(w -> w.startsWith("no cgroups"));
        ToolLayer toolLayer = ToolLayer.start(config, audit, Clock.systemUTC());
        toolLayer.servers().forEach(s -> log.info("upstream server {}: {} {}", s.server(), s.state(), s.detail()));
        CodeRunner runner = CodeRunner.create(backend, toolLayer, languages, config, Clock.systemUTC(), processesByRlimit);
        Metrics metrics = new Metrics(runner::queued, System::nanoTime, Clock.systemUTC());
        runner.listen(new ExecutionAudit(audit));
        runner.listen(metrics);
        InFlightCalls inFlight = new InFlightCalls();
        OutputArchive outputs = new OutputArchive(OUTPUTS_KEPT_BYTES, OUTPUTS_KEPT_FOR);
        List<SyncToolSpecification> tools = List.of(
                new ExecuteCodeTool(runner, inFlight, languages, config.limits(), outputs).specification(),
                new ValidateCodeTool(runner, languages, toolLayer).specification(),
                new ListLanguagesTool(languages, config.limits(), backend.name(), runner).specification(),
                new SearchToolsTool(toolLayer).specification(),
                new EndSessionTool(runner).specification());
        return new ServerAssembly(config, languages, runner, toolLayer, audit, metrics, tools,
                new ToolStubResources(toolLayer).specifications(), outputs.specifications(), inFlight);
    }

    /** The backend the configuration chose ({@code "backend"}); docker and gvisor share one implementation. */
    private static SandboxBackend startBackend(ServerConfig config) throws SandboxException {
        return switch (config.backend()) {
            case BUBBLEWRAP -> BubblewrapBackend.start(config.execution().workRoot(), config.execution().sandboxUidBase(),
                    config.forkServer());
            case DOCKER -> DockerBackend.start(config.docker(), ContainerRuntime.RUNC, config.execution().workRoot());
            case GVISOR -> DockerBackend.start(config.docker(), ContainerRuntime.GVISOR, config.execution().workRoot());
        };
    }

    public List<SyncToolSpecification> tools() {
        return tools;
    }

    public List<SyncResourceSpecification> resources() {
        return resources;
    }

    /** Resources read by URI pattern: the whole output of recent runs whose result showed a preview. */
    public List<SyncResourceTemplateSpecification> resourceTemplates() {
        return resourceTemplates;
    }

    /** Tells a transport's server when the callable tools changed, so stub resources are re-read. */
    public void onToolsChanged(Runnable listener) {
        toolLayer.onToolsChanged(listener);
    }

    public String instructions() {
        return INSTRUCTIONS;
    }

    /** The running execute_code calls, for transports to deliver {@code notifications/cancelled} to. */
    public InFlightCalls inFlightCalls() {
        return inFlight;
    }

    public ServerConfig config() {
        return config;
    }

    /** The languages this server runs (and the ones it knows but cannot run here). */
    public LanguageCatalog languages() {
        return languages;
    }

    /** The upstream servers and the tools sandboxed code may call. */
    public ToolLayer toolLayer() {
        return toolLayer;
    }

    /** Counts every transport's requests and every execution's outcome. */
    public Metrics metrics() {
        return metrics;
    }

    /**
     * The server is stopping the runs still going after its grace period: each one's result says so and why,
     * instead of a bare kill.
     */
    public void stopRuns(String why) {
        runner.stopRuns(why);
    }

    @Override
    public void close() {
        runner.close();
        toolLayer.close();
        audit.close();
    }
}
