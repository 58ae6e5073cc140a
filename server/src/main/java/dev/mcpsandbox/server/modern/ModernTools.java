package dev.mcpsandbox.server.modern;

import dev.mcpsandbox.server.tools.InFlightCalls;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.modern.McpSchema;
import io.modelcontextprotocol.modern.server.McpAsyncResponse;
import io.modelcontextprotocol.modern.server.McpRequestContext;
import io.modelcontextprotocol.modern.server.feature.McpAsyncTool;
import io.modelcontextprotocol.modern.server.feature.McpAsyncToolRepository;
import io.modelcontextprotocol.modern.server.feature.ToolsPage;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * The 2025-11-25 tool specifications, served to 2026-07-28 clients: the same definitions (converted
 * field for field) and the same handlers, each call run as a {@link SuspendedCall}. A call streams (progress,
 * log messages) when the request carries a progress token or asks for a log level, and answers with one
 * JSON-RPC result otherwise.
 */
final class ModernTools implements McpAsyncToolRepository {
    private static final Logger log = LoggerFactory.getLogger(ModernTools.class);
    /** An ended call whose last round was not fetched is forgotten after this (a client that went away). */
    private static final Duration KEEP_UNFETCHED = Duration.ofMinutes(10);

    private final Map<String, McpAsyncTool> tools = new LinkedHashMap<>();
    private final Map<String, SuspendedCall> suspended = new ConcurrentHashMap<>();
    private final McpJsonMapper json;
    private final InFlightCalls inFlight;
    private final Function<McpTransportContext, String> caller;
    private final Duration answerWithin;
    private final ExecutorService handlers = Executors.newCachedThreadPool(daemon("modern-tool-call"));
    private final ScheduledExecutorService forgetting = Executors.newSingleThreadScheduledExecutor(daemon("modern-forget"));

    ModernTools(List<SyncToolSpecification> specifications, McpJsonMapper json, InFlightCalls inFlight,
                Function<McpTransportContext, String> caller, Duration answerWithin) {
        this.json = json;
        this.inFlight = inFlight;
        this.caller = caller;
        this.answerWithin = answerWithin;
        for (SyncToolSpecification spec : specifications) {
            McpSchema.Tool definition = json.convertValue(spec.tool(), McpSchema.Tool.class);
            tools.put(definition.name(), McpAsyncTool.of(definition, (ctx, request) -> call(ctx, request, spec)));
        }
    }

    /** The input schemas of these tools: their handlers check arguments themselves, with messages that say what to fix. */
    List<Map<String, Object>> inputSchemas() {
        return tools.values().stream().map(t -> t.definition().inputSchema()).toList();
    }

    @Override
    public Mono<ToolsPage> list(McpRequestContext ctx, String cursor) {
        return Mono.just(ToolsPage.of(tools.values().stream().map(McpAsyncTool::definition).toList()));
    }

    @Override
    public Mono<McpAsyncTool> find(McpRequestContext ctx, String name) {
        return Mono.justOrEmpty(tools.get(name));
    }

    private Mono<McpAsyncResponse<McpSchema.CallToolOutcome>> call(McpRequestContext ctx, McpSchema.CallToolRequest request,
                                                                  SyncToolSpecification spec) {
        Optional<McpSchema.LoggingLevel> level = RequestSession.logLevel(ctx, json);
        if (ctx.progressToken() == null && level.isEmpty()) {
            return round(ctx, request, spec, new SuspendedCall.Round(Optional.empty(), level)).map(McpAsyncResponse::result);
        }
        return Mono.just(McpAsyncResponse.streaming(notifier ->
                round(ctx, request, spec, new SuspendedCall.Round(Optional.of(notifier), level))));
    }

    /** One round on a thread that may block; a cancel (stdio notification, or the SDK disposing the round) stops the execution. */
    private Mono<McpSchema.CallToolOutcome> round(McpRequestContext ctx, McpSchema.CallToolRequest request,
                                                  SyncToolSpecification spec, SuspendedCall.Round round) {
        AtomicBoolean cancelled = new AtomicBoolean();
        String[] cancelKey = new String[1];
        Mono<McpSchema.CallToolOutcome> work = Mono.fromCallable(() -> {
            SuspendedCall call = callFor(ctx, request, spec);
            cancelKey[0] = call.cancelKey();
            // A later round arrives under a key of its own (over HTTP, a hang-up cancels by the request's key):
            // registered for this round, a cancel for it stops the execution too.
            Optional<String> roundKey = request.requestState() == null ? Optional.empty()
                    : Optional.ofNullable(ctx.meta().get(InFlightCalls.REQUEST_ID_META)).map(String::valueOf);
            try (InFlightCalls.Registration thisRound = inFlight.register(roundKey)) {
                McpSchema.CallToolOutcome outcome;
                try {
                    outcome = call.next(round, () -> cancelled.get() || thisRound.cancellation().requested());
                } catch (InterruptedException e) {
                    inFlight.cancel(call.cancelKey());
                    throw e;
                }
                if (!(outcome instanceof McpSchema.InputRequired)) {
                    suspended.remove(call.id(), call);
                }
                return outcome;
            }
        });
        return (ctx.isBlocking() ? work : work.subscribeOn(Schedulers.boundedElastic()))
                .doOnCancel(() -> {
                    cancelled.set(true);
                    if (cancelKey[0] != null && inFlight.cancel(cancelKey[0])) {
                        log.info("client cancelled request {}", cancelKey[0]);
                    }
                });
    }

    /** The call this round belongs to: a new one, or the suspended one the request state names. */
    private SuspendedCall callFor(McpRequestContext ctx, McpSchema.CallToolRequest request, SyncToolSpecification spec) {
        String who = caller.apply(ctx.transportContext());
        if (request.requestState() != null) {
            SuspendedCall call = suspended.get(request.requestState());
            if (call == null || !call.caller().equals(who)) {
                throw io.modelcontextprotocol.modern.McpException.invalidParams("requestState names no call of yours"
                        + " that is waiting for input (it ended, or waited longer than " + answerWithin.toMinutes()
                        + " min); call the tool again");
            }
            call.answer(request.inputResponses());
            return call;
        }
        String id = UUID.randomUUID().toString();
        Map<String, Object> meta = new HashMap<>(ctx.meta());
        // The transport's guard tagged the request with the key InFlightCalls knows it by (its cancels and
        // hang-ups use that key); a request that came untagged gets a key of its own.
        String cancelKey = meta.get(InFlightCalls.REQUEST_ID_META) instanceof String key ? key : "modern#" + id;
        meta.put(InFlightCalls.REQUEST_ID_META, cancelKey);
        SuspendedCall call = new SuspendedCall(id, who, cancelKey, answerWithin, json);
        McpSyncServerExchange exchange = RequestSession.exchange(ctx, call, json);
        CallToolRequest legacy = CallToolRequest.builder(request.name())
                .arguments(request.arguments() == null ? Map.of() : request.arguments()).meta(meta).build();
        suspended.put(id, call);
        call.started(CompletableFuture.supplyAsync(() -> spec.callHandler().apply(exchange, legacy), handlers));
        call.outcome().whenComplete((r, e) -> forgetting.schedule(() -> suspended.remove(id, call),
                KEEP_UNFETCHED.toSeconds(), TimeUnit.SECONDS));
        return call;
    }

    /** Stops the threads of calls still running (the runner's close ends their executions). */
    void close() {
        handlers.shutdownNow();
        forgetting.shutdownNow();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
