package dev.mcpsandbox.server.tools;

import dev.mcpsandbox.server.startup.Starting;
import dev.mcpsandbox.config.LimitsConfig;
import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.execution.CallContext;
import dev.mcpsandbox.sandbox.execution.CodeRunner;
import dev.mcpsandbox.sandbox.execution.ExecutionOutcome;
import dev.mcpsandbox.sandbox.execution.ExecutionRequest;
import dev.mcpsandbox.sandbox.language.LanguageCatalog;
import dev.mcpsandbox.server.transport.Caller;
import dev.mcpsandbox.server.contract.ExecuteCodeArguments;
import dev.mcpsandbox.server.contract.ExecuteCodeResult;
import dev.mcpsandbox.server.contract.ToolContract;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.LoggingLevel;
import io.modelcontextprotocol.spec.McpSchema.LoggingMessageNotification;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import io.modelcontextprotocol.spec.McpSchema.ToolAnnotations;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** {@code execute_code}: its contract ({@link ExecuteCodeArguments}, {@link ExecuteCodeResult}) onto {@link CodeRunner}. */
public final class ExecuteCodeTool {
    public static final String NAME = "execute_code";

    private static final ScheduledExecutorService PROGRESS_CLOCK = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "execute-progress");
        t.setDaemon(true);
        return t;
    });

    private final Starting<CodeRunner> runner;
    private final InFlightCalls inFlight;
    private final LanguageCatalog languages;
    private final LimitsConfig limits;
    private final ToolContract<ExecuteCodeArguments, ExecuteCodeResult> contract;
    private final ExecutionResults results;

    public ExecuteCodeTool(Starting<CodeRunner> runner, InFlightCalls inFlight, LanguageCatalog languages, LimitsConfig limits,
                           OutputArchive outputs) {
        this.runner = runner;
        this.inFlight = inFlight;
        this.languages = languages;
        this.limits = limits;
        this.contract = ToolContract.of(ExecuteCodeArguments.class, ExecuteCodeResult.class,
                ContractFacts.of(languages, limits));
        this.results = new ExecutionResults(contract, outputs);
    }

    public SyncToolSpecification specification() {
        ResourceLimits d = limits.defaults();
        Tool tool = Tool.builder(NAME, contract.inputSchema())
                .title("Run code")
                // Every client sends tools/list to the model on each turn: what it needs to call, nothing more
                // (the languages are in the language argument's description).
                .description("Run a program in a fresh sandbox (no network, private /workspace); returns stdout, stderr,"
                        + " exitCode. Default limits: " + d.timeoutSeconds() + " s, " + d.memoryMb() + " MB, "
                        + d.processes() + " processes, " + d.outputBytes() + " output bytes. Files under out/ come back."
                        + " A session keeps state between calls.")
                // Only what differs from the protocol's defaults: not destructive, no open world.
                .annotations(new ToolAnnotations(null, null, false, null, false, null))
                .outputSchema(contract.outputSchema())
                .build();
        return SyncToolSpecification.builder().tool(tool).callHandler(this::call).build();
    }

    private CallToolResult call(McpSyncServerExchange exchange, CallToolRequest request) {
        ToolContract.Parsed<ExecuteCodeArguments> parsed = contract.parse(request.arguments());
        if (parsed instanceof ToolContract.Invalid<ExecuteCodeArguments> invalid) {
            return results.render(runner.await().refuse(asSent(request.arguments()), invalid.message()));
        }
        ExecuteCodeArguments args = ((ToolContract.Valid<ExecuteCodeArguments>) parsed).arguments();
        ExecutionRequest executionRequest = new ExecutionRequest(args.language(), args.code(), args.files(),
                args.stdin(), args.requestedLimits(), args.imageFormat(), args.wantsNetwork(), args.session());
        Optional<String> requestId = Optional.ofNullable(request.meta())
                .map(m -> m.get(InFlightCalls.REQUEST_ID_META)).map(String::valueOf);
        long timeout = args.timeoutSeconds().orElse((long) limits.defaults().timeoutSeconds());
        try (InFlightCalls.Registration call = inFlight.register(requestId);
             AutoCloseable progress = progress(exchange, request.progressToken(), timeout)) {
            Consumer<String> stderr = line -> exchange.loggingNotification(
                    LoggingMessageNotification.builder(LoggingLevel.DEBUG, line).logger("stderr").build());
            ExecutionOutcome outcome = runner.await().execute(executionRequest,
                    new CallContext(call.cancellation(), ElicitingConfirmer.forExchange(exchange), stderr,
                            Caller.of(exchange)));
            return results.render(outcome);
        } catch (Exception e) {
            throw new IllegalStateException("execute_code failed: " + e.getMessage(), e);
        }
    }

    /** What can be read of arguments that did not fit the contract, for the audit log and the metrics. */
    private static ExecutionRequest asSent(Map<String, Object> arguments) {
        Map<String, Object> sent = arguments == null ? Map.of() : arguments;
        return ExecutionRequest.of(sent.get("language") instanceof String s ? s : "",
                sent.get("code") instanceof String s ? s : "");
    }

    /**
     * While the code runs, tells a client that sent a progress token how long it has been running against
     * its time limit, once a second.
     */
    private static AutoCloseable progress(McpSyncServerExchange exchange, Object token, long timeoutSeconds) {
        if (token == null) {
            return () -> { };
        }
        long started = System.nanoTime();
        ScheduledFuture<?> ticks = PROGRESS_CLOCK.scheduleAtFixedRate(() -> {
            double elapsed = (System.nanoTime() - started) / 1e9;
            try {
                exchange.progressNotification(ProgressNotification.builder(token, Math.floor(elapsed))
                        .total((double) timeoutSeconds)
                        .message(String.format(Locale.ROOT, "running for %.0f s of at most %d s", elapsed,
                                timeoutSeconds))
                        .build());
            } catch (RuntimeException e) {
                // the client is gone; the execution ends on its own
            }
        }, 1, 1, TimeUnit.SECONDS);
        return () -> ticks.cancel(false);
    }
}
