package dev.mcpsandbox.server.modern;

import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.modern.McpSchema;
import io.modelcontextprotocol.modern.server.McpAsyncNotifier;
import io.modelcontextprotocol.modern.server.McpRequestContext;
import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpLoggableSession;
import io.modelcontextprotocol.spec.McpSchema.ElicitRequest;
import io.modelcontextprotocol.spec.McpSchema.ErrorCodes;
import io.modelcontextprotocol.spec.McpSchema.LoggingLevel;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import dev.mcpsandbox.server.transport.Caller;
import reactor.core.publisher.Mono;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The exchange a tool handler written for 2025-11-25 receives when a 2026-07-28 client calls it, so both
 * protocols run the very same handlers. What the handler does through it becomes the 2026-07-28 form:
 * progress and log messages go out on the response stream of the round in progress (log messages only at
 * or above the level the request's {@code _meta} asked for; none when it asked for none), and an
 * elicitation becomes a question of the {@link SuspendedCall}, answered through the client's retry.
 */
final class RequestSession implements McpLoggableSession {
    private final SuspendedCall call;
    private final McpJsonMapper json;

    private RequestSession(SuspendedCall call, McpJsonMapper json) {
        this.call = call;
        this.json = json;
    }

    /**
     * The exchange for the call: the client's capabilities and info from the request's {@code _meta}, the
     * caller as its session id (2026-07-28 has no session; the caller owns what a session would) and in the
     * transport context under {@link Caller#CONTEXT_KEY}.
     */
    static McpSyncServerExchange exchange(McpRequestContext ctx, SuspendedCall call, McpJsonMapper json) {
        var capabilities = json.convertValue(ctx.clientCapabilities(),
                io.modelcontextprotocol.spec.McpSchema.ClientCapabilities.class);
        var info = ctx.clientInfo() == null ? null
                : json.convertValue(ctx.clientInfo(), io.modelcontextprotocol.spec.McpSchema.Implementation.class);
        Map<String, Object> context = new HashMap<>();
        context.put(Caller.CONTEXT_KEY, call.caller());
        context.put(McpSchema.MetaKeys.PROTOCOL_VERSION, ctx.protocolVersion());
        McpTransportContext transport = McpTransportContext.create(Map.copyOf(context));
        return new McpSyncServerExchange(new McpAsyncServerExchange(call.caller(), new RequestSession(call, json),
                capabilities, info, transport));
    }

    /** The log level a request asked for in its {@code _meta}; empty means it wants no log messages. */
    static Optional<McpSchema.LoggingLevel> logLevel(McpRequestContext ctx, McpJsonMapper json) {
        Object level = ctx.meta().get(McpSchema.MetaKeys.LOG_LEVEL);
        if (level == null) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(json.convertValue(level, McpSchema.LoggingLevel.class));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    @Override
    public <T> Mono<T> sendRequest(String method, Object params, TypeRef<T> typeRef) {
        if ("elicitation/create".equals(method) && params instanceof ElicitRequest request) {
            return Mono.fromFuture(() -> call.ask(request)).map(result -> json.convertValue(result, typeRef));
        }
        if ("ping".equals(method)) {
            return Mono.fromSupplier(() -> json.convertValue(Map.of(), typeRef));
        }
        return Mono.error(McpError.builder(ErrorCodes.METHOD_NOT_FOUND)
                .message(method + " is not available to a 2026-07-28 client").build());
    }

    @Override
    public Mono<Void> sendNotification(String method, Object params) {
        Optional<McpAsyncNotifier> notifier = call.round().notifier();
        if (notifier.isEmpty()) {
            return Mono.empty(); // between rounds, or a round without a stream: nobody to tell
        }
        if (params instanceof ProgressNotification p) {
            return notifier.get().progress(p.progress(), p.total(), p.message());
        }
        return notifier.get().notify(method, params);
    }

    @Override
    public void setMinLoggingLevel(LoggingLevel minLoggingLevel) {
        // 2026-07-28 asks for a level on each request (see isNotificationForLevelAllowed)
    }

    @Override
    public boolean isNotificationForLevelAllowed(LoggingLevel level) {
        return call.round().logLevel().map(asked -> level.level() >= json.convertValue(asked, LoggingLevel.class).level())
                .orElse(false);
    }

    @Override
    public Mono<Void> closeGracefully() {
        return Mono.empty();
    }

    @Override
    public void close() {
    }
}
