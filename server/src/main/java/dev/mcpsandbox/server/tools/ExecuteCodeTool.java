package dev.mcpsandbox.server.tools;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.execution.CallContext;
import dev.mcpsandbox.sandbox.execution.CodeRunner;
import dev.mcpsandbox.sandbox.execution.ExecutionOutcome;
import dev.mcpsandbox.sandbox.execution.ExecutionRequest;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.LoggingLevel;
import io.modelcontextprotocol.spec.McpSchema.LoggingMessageNotification;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import io.modelcontextprotocol.spec.McpSchema.ToolAnnotations;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** {@code execute_code}: the wire contract of DESIGN.md, mapped onto {@link CodeRunner}. */
public final class ExecuteCodeTool {
    public static final String NAME = "execute_code";
    private static final List<String> LIMIT_WIRE_NAMES = List.of("timeout", "memory", "processes", "output", "file_size",
            "tool_calls");

    private static final ScheduledExecutorService PROGRESS_CLOCK = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "execute-progress");
        t.setDaemon(true);
        return t;
    });

    private final CodeRunner runner;
    private final InFlightCalls inFlight;

    public ExecuteCodeTool(CodeRunner runner, InFlightCalls inFlight) {
        this.runner = runner;
        this.inFlight = inFlight;
    }

    public SyncToolSpecification specification() {
        String ids = runner.languages().availableIds();
        ResourceLimits d = runner.config().limits().defaults();
        ResourceLimits max = runner.config().limits().maxima();
        Map<String, Object> limitProps = new LinkedHashMap<>();
        for (ResourceLimits.Key k : ResourceLimits.Key.values()) {
            if (k != ResourceLimits.Key.TIMEOUT_SECONDS && k != ResourceLimits.Key.TOOL_CALLS) {
                limitProps.put(k.jsonName(), Schemas.type("integer", "default " + d.get(k) + ", at most " + max.get(k)));
            }
        }
        Map<String, Object> input = Schemas.object(Schemas.props(
                "language", Schemas.type("string", "One of: " + ids + " (see list_languages)."),
                "code", Schemas.type("string", "The complete program. Print results to stdout."),
                "files", Map.of("type", "object", "additionalProperties", Map.of("type", "string"),
                        "description", "Input files: relative path -> text content, written into the work directory"
                                + " (/workspace) before the code runs."),
                "stdin", Schemas.type("string", "Text fed to the program's standard input."),
                "imageFormat", Schemas.type("string", "Format diagram languages (graphviz, mermaid) render to: "
                        + "\"png\" (default) or \"svg\"."),
                "timeoutSeconds", Schemas.type("number", "Wall-clock limit, default " + d.timeoutSeconds()
                        + ", at most " + max.timeoutSeconds() + "."),
                "limits", Map.of("type", "object", "properties", limitProps, "additionalProperties", false,
                        "description", "Lower (or, up to the maxima, raise) other limits for this run.")),
                List.of("language", "code"));

        Map<String, Object> error = Schemas.nullable("object", "A compile or runtime error the model can act on.");
        error.put("properties", Schemas.props("type", Schemas.type("string", ""), "message", Schemas.type("string", ""),
                "line", Schemas.nullable("integer", "Line in the submitted code.")));
        Map<String, Object> limitHit = Schemas.nullable("string", "The limit that ended the run.");
        List<Object> limitValues = new ArrayList<>(LIMIT_WIRE_NAMES);
        limitValues.add(null);
        limitHit.put("enum", limitValues);
        Map<String, Object> compile = Schemas.nullable("object", "Compiled languages: whether the program came from"
                + " the build cache, and how long compiling (or the cache lookup) took.");
        compile.put("properties", Schemas.props("cached", Schemas.type("boolean", ""),
                "durationMs", Schemas.type("integer", "")));
        Map<String, Object> output = Schemas.object(Schemas.props(
                "exitCode", Schemas.nullable("integer", "Null when the run was killed."),
                "stdout", Schemas.type("string", ""),
                "stderr", Schemas.type("string", ""),
                "stdoutTruncated", Schemas.type("boolean", ""),
                "stderrTruncated", Schemas.type("boolean", ""),
                "timedOut", Schemas.type("boolean", ""),
                "limitHit", limitHit,
                "durationMs", Schemas.type("integer", ""),
                "result", Map.of("description", "The JSON value the code handed back (code mode), or null."),
                "toolCalls", Schemas.arrayOf(Schemas.object(Schemas.props(
                        "tool", Schemas.type("string", ""), "ok", Schemas.type("boolean", ""),
                        "durationMs", Schemas.type("integer", ""), "error", Schemas.nullable("string", "")),
                        List.of("tool", "ok")), "Tool calls the code made."),
                "files", Schemas.arrayOf(Schemas.object(Schemas.props(
                        "path", Schemas.type("string", "Relative to /workspace, e.g. out/chart.png."),
                        "mimeType", Schemas.type("string", ""),
                        "bytes", Schemas.type("integer", ""),
                        "returned", Schemas.type("boolean", "True when the file is in the result's content (as an"
                                + " image or an embedded resource); false when it was over the size cap.")),
                        List.of("path")), "Files the code wrote under out/ in its work directory."),
                "compile", compile,
                "error", error,
                "redacted", Schemas.arrayOf(Schemas.type("string", ""),
                        "Kinds of secrets removed from stdout/stderr before they were returned."),
                "executionId", Schemas.type("string", "")),
                List.of("exitCode", "stdout", "stderr", "stdoutTruncated", "stderrTruncated", "timedOut", "limitHit",
                        "durationMs", "result", "toolCalls", "files", "error"));

        Tool tool = Tool.builder(NAME, input)
                .title("Execute code in a sandbox")
                .description("Run a program in a fresh, isolated sandbox and return its output. Languages: " + ids
                        + ". No network; the work directory /workspace (and /tmp) is private and discarded afterwards. "
                        + "Default limits: " + d.timeoutSeconds() + " s, " + d.memoryMb() + " MB memory, "
                        + d.processes() + " processes, " + d.outputBytes() + " bytes of output. Files the code writes under"
                        + " out/ come back (images as image content). Compiled languages are compiled first (cached"
                        + " by content). Check code first with"
                        + " validate_code if unsure; list_languages shows versions and limits.")
                .annotations(new ToolAnnotations("Execute code in a sandbox", false, false, false, false, false))
                .outputSchema(output)
                .build();
        return SyncToolSpecification.builder().tool(tool).callHandler(this::call).build();
    }

    private CallToolResult call(McpSyncServerExchange exchange, CallToolRequest request) {
        Arguments args = new Arguments(request.arguments());
        Optional<ExecutionRequest> parsed = parse(args);
        if (parsed.isEmpty()) {
            return ExecutionResults.invalid(args.problems());
        }
        Optional<String> requestId = Optional.ofNullable(request.meta())
                .map(m -> m.get(InFlightCalls.REQUEST_ID_META)).map(String::valueOf);
        long timeout = parsed.get().requestedLimits().getOrDefault(ResourceLimits.Key.TIMEOUT_SECONDS,
                (long) runner.config().limits().defaults().timeoutSeconds());
        try (InFlightCalls.Registration call = inFlight.register(requestId);
             AutoCloseable progress = progress(exchange, request.progressToken(), timeout)) {
            Consumer<String> stderr = line -> exchange.loggingNotification(
                    LoggingMessageNotification.builder(LoggingLevel.DEBUG, line).logger("stderr").build());
            ExecutionOutcome outcome = runner.execute(parsed.get(),
                    new CallContext(call.cancellation(), ElicitingConfirmer.forExchange(exchange), stderr));
            return ExecutionResults.render(outcome);
        } catch (Exception e) {
            throw new IllegalStateException("execute_code failed: " + e.getMessage(), e);
        }
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
                        .message(String.format(java.util.Locale.ROOT, "running for %.0f s of at most %d s", elapsed,
                                timeoutSeconds))
                        .build());
            } catch (RuntimeException e) {
                // the client is gone; the execution ends on its own
            }
        }, 1, 1, TimeUnit.SECONDS);
        return () -> ticks.cancel(false);
    }

    private static Optional<ExecutionRequest> parse(Arguments args) {
        String language = args.requiredString("language");
        String code = args.requiredString("code");
        Map<String, String> files = args.stringMap("files");
        Optional<String> stdin = args.optionalString("stdin");
        Map<ResourceLimits.Key, Long> limits = new LinkedHashMap<>();
        args.optionalWholeNumber("timeoutSeconds").ifPresent(v -> limits.put(ResourceLimits.Key.TIMEOUT_SECONDS, v));
        Map<String, Object> requested = args.object("limits");
        for (Map.Entry<String, Object> e : requested.entrySet()) {
            Optional<ResourceLimits.Key> key = java.util.Arrays.stream(ResourceLimits.Key.values())
                    .filter(k -> k.jsonName().equals(e.getKey()) && k != ResourceLimits.Key.TIMEOUT_SECONDS
                            && k != ResourceLimits.Key.TOOL_CALLS)
                    .findFirst();
            if (key.isEmpty()) {
                args.problem("limits." + e.getKey() + " is not a limit; use memoryMb, processes, outputBytes, fileSizeMb"
                        + " or diskMb (and timeoutSeconds at the top level)");
            } else {
                args.wholeNumber("limits." + e.getKey(), e.getValue()).ifPresent(v -> limits.put(key.get(), v));
            }
        }
        if (!args.problems().isEmpty()) {
            return Optional.empty();
        }
        Optional<String> imageFormat = args.optionalString("imageFormat");
        if (!args.problems().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ExecutionRequest(language, code, files, stdin, limits, imageFormat));
    }
}
