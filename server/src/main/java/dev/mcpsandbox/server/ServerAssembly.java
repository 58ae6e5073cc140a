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
import dev.mcpsandbox.server.startup.StartupTimeline;
import dev.mcpsandbox.server.startup.Starting;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * Wires the server once: configuration → backend (self-checked) → languages → tool specifications,
 * which transports serve at once; then, on a thread of its own, upstream servers → runner, which the
 * tool calls wait for. Nothing below this class reads the environment or the command line.
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
    private final Starting<Started> started;
    private final AuditSink audit;
    private final Metrics metrics;
    private final List<SyncToolSpecification> tools;
    private final List<SyncResourceSpecification> resources;
    private final List<SyncResourceTemplateSpecification> resourceTemplates;
    private final InFlightCalls inFlight;

    /** What starts after the transport serves: the upstream servers' connections, then the runner on top of them. */
    private record Started(ToolLayer toolLayer, CodeRunner runner) {
    }

    private ServerAssembly(ServerConfig config, LanguageCatalog languages, Starting<Started> started, AuditSink audit,
                           Metrics metrics, List<SyncToolSpecification> tools, List<SyncResourceSpecification> resources,
                           List<SyncResourceTemplateSpecification> resourceTemplates, InFlightCalls inFlight) {
        this.resourceTemplates = resourceTemplates;
        this.config = config;
        this.languages = languages;
        this.started = started;
        this.audit = audit;
        this.metrics = metrics;
        this.tools = tools;
        this.resources = resources;
        this.inFlight = inFlight;
    }

    /**
     * Starts what the tool definitions need (the backend, self-checked, and the languages it runs) before it
     * returns, so a server that cannot isolate code still refuses to start; the runner (warm pools, build cache,
     * guest files) and the upstream MCP servers start on a thread of their own (see {@link #awaitStarted}), since
     * {@code initialize} and {@code tools/list} do not need them and a client waits for both.
     */
    public static ServerAssembly assemble(ServerConfig config, StartupTimeline timeline) throws SandboxException, IOException {
        SandboxBackend backend = startBackend(config);
        timeline.mark("backend");
        // The self-check (bubblewrap's runs a probe sandbox, docker's asks the engine) and the search for
        // toolchains wait on other processes: side by side. What the backend can run is asked once it passed.
        CompletableFuture<BackendHealth> checking = CompletableFuture.supplyAsync(backend::selfCheck);
        // The work root exists now (the backend prepared it, owned by this user): the versions read at the last
        // start are kept there.
        VersionCache versions = VersionCache.in(RunDirectory.workRoot(config.execution().workRoot())
                .resolve("toolchain-versions.json"));
        LanguageCatalog found = LanguageCatalog.detect(config, versions);
        timeline.mark("languages");
        BackendHealth health = checking.join();
        if (!health.usable()) {
            backend.close();
            throw new SandboxException("the " + backend.name() + " backend cannot isolate code here:\n  - "
                    + String.join("\n  - ", health.failures()));
        }
        health.enforced().forEach(e -> log.info("isolation: {}", e));
        health.weakened().forEach(w -> log.warn("isolation weakened: {}", w));
        LanguageCatalog languages = found.restrictedTo(backend::cannotRun);
        timeline.mark("self-check");
        AuditSink audit = config.audit().file().isPresent()
                ? JsonLinesAuditSink.open(config.audit().file().get()) : AuditSink.NONE;
        boolean processesByRlimit = backend.processCapByRlimit()
                || health.weakened().stream().anyMatch(w -> w.startsWith("no cgroups"));
        InFlightCalls inFlight = new InFlightCalls();
        Starting<Started> starting = Starting.on("start-runner", "its code runner", () -> {
            try {
                return startRunner(config, backend, languages, audit, processesByRlimit);
            } catch (Exception | Error e) {
                log.error("mcp-sandbox could not start its code runner; every tool call will say so: {}",
                        e.getMessage() == null ? e.toString() : e.getMessage(), e);
                backend.close();
                throw e;
            }
        });
        Metrics metrics = new Metrics(() -> starting.ifStarted().map(s -> s.runner().queued()).orElse(0),
                System::nanoTime, Clock.systemUTC());
        // Calls wait for this one, which ends after the listeners are in: no execution goes unaudited or uncounted.
        Starting<Started> started = starting.map(s -> {
            s.runner().listen(new ExecutionAudit(audit));
            s.runner().listen(metrics);
            return s;
        });
        Starting<CodeRunner> runner = started.map(Started::runner);
        Starting<ToolLayer> toolLayer = started.map(Started::toolLayer);
        OutputArchive outputs = new OutputArchive(OUTPUTS_KEPT_BYTES, OUTPUTS_KEPT_FOR);
        List<SyncToolSpecification> tools = Stream.of(
                new ExecuteCodeTool(runner, inFlight, languages, config.limits(), outputs).specification(),
                new ValidateCodeTool(runner, languages, toolLayer).specification(),
                new ListLanguagesTool(languages, config.limits(), backend.name(), runner).specification(),
                new SearchToolsTool(toolLayer).specification(),
                new EndSessionTool(runner).specification()).map(spec -> waitingFor(started, spec)).toList();
        timeline.mark("tool definitions");
        return new ServerAssembly(config, languages, started, audit, metrics, tools,
                new ToolStubResources(toolLayer).specifications(), outputs.specifications(), inFlight);
    }

    private static Started startRunner(ServerConfig config, SandboxBackend backend, LanguageCatalog languages,
                                       AuditSink audit, boolean processesByRlimit)
            throws SandboxException {
        ToolLayer toolLayer;
        try {
            toolLayer = ToolLayer.start(config, audit, Clock.systemUTC());
        } catch (RuntimeException e) {
            throw new SandboxException("the upstream MCP servers failed to start: " + e.getMessage(), e);
        }
        toolLayer.servers().forEach(s -> log.info("upstream server {}: {} {}", s.server(), s.state(), s.detail()));
        CodeRunner runner;
        try {
            runner = CodeRunner.create(backend, toolLayer, languages, config, Clock.systemUTC(), processesByRlimit);
        } catch (SandboxException | RuntimeException e) {
            toolLayer.close();
            throw e;
        }
        log.debug("code runner and upstream servers started");
        return new Started(toolLayer, runner);
    }

    /**
     * A tool call waits for the runner and the upstream servers to start (a call sent right after
     * {@code initialize} runs, it does not fail); after a failed start it answers, as an error result, what
     * could not start and why.
     */
    private static SyncToolSpecification waitingFor(Starting<Started> started, SyncToolSpecification spec) {
        return SyncToolSpecification.builder().tool(spec.tool()).callHandler((exchange, request) -> {
            try {
                started.await();
            } catch (Starting.Failed e) {
                return CallToolResult.builder().addTextContent(e.getMessage()).isError(true).build();
            }
            return spec.callHandler().apply(exchange, request);
        }).build();
    }

    /**
     * Waits until the runner and the upstream servers have started ({@code --check}, and before closing).
     *
     * @throws Starting.Failed naming what could not start
     */
    public void awaitStarted() {
        started.await();
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
        started.whenStarted(s -> s.toolLayer().onToolsChanged(listener));
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

    /** The upstream servers and the tools sandboxed code may call, once connected (empty while they start). */
    public Optional<ToolLayer> toolLayer() {
        return started.ifStarted().map(Started::toolLayer);
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
        started.ifStarted().ifPresent(s -> s.runner().stopRuns(why));
    }

    /**
     * Closes what has started. A start still going is waited for (bounded by the upstream servers' start-up limit):
     * its warm pools and connections are closed rather than left behind.
     */
    @Override
    public void close() {
        try {
            Started s = started.await();
            s.runner().close();
            s.toolLayer().close();
        } catch (Starting.Failed e) {
            // nothing started, and what the start made it closed itself
        }
        audit.close();
    }
}
