package dev.mcpsandbox.tools.registry;

import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Wraps the client transport of one upstream connection (stdio or Streamable HTTP) so that a tool
 * call can be cancelled at the upstream with {@code notifications/cancelled}.
 *
 * <p>The MCP Java SDK (2.1.0 and 2.2.0 alike) neither sends that notification nor tells the caller the JSON-RPC id it
 * gave a request ({@code McpClientSession} makes the id and keeps it; cancelling the {@code Mono} only
 * stops waiting). It does pass the caller's Reactor context down to {@code sendMessage} of its
 * transport, so a caller puts an {@link OutboundCall} into the context of {@code callTool}, and this
 * transport notes the id of the {@code tools/call} request that goes out under it. The notification
 * is written to the same transport, after the request. The SDK also keeps a cancelled request among
 * those awaiting an answer until one comes, and after a cancellation none may come: so an error answer
 * to it is handed to the session from here, which frees that entry.
 */
final class CancellingTransport implements McpClientTransport {

    private static final Logger log = LoggerFactory.getLogger(CancellingTransport.class);
    static final String CANCELLED = "notifications/cancelled";

    private final String server;
    private final McpClientTransport delegate;
    private volatile Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> inbound;

    CancellingTransport(String server, McpClientTransport delegate) {
        this.server = server;
        this.delegate = delegate;
    }

    /** A tool call about to be made; pass {@link #context} to {@code contextWrite} of its {@code callTool}. */
    OutboundCall outboundCall(String tool) {
        return new OutboundCall(tool);
    }

    /**
     * One {@code tools/call} request: its JSON-RPC id once it has been handed to the transport, and
     * whether it was cancelled; the notification goes out when both are known, once.
     */
    final class OutboundCall {
        private final String tool;
        private Object id;
        private String reason;
        private boolean notified;

        private OutboundCall(String tool) {
            this.tool = tool;
        }

        Function<Context, Context> context() {
            return ctx -> ctx.put(OutboundCall.class, this);
        }

        /** The upstream is told to stop, now or as soon as the request has been handed over. */
        void cancel(String why) {
            Object sentId;
            synchronized (this) {
                if (reason != null) {
                    return;
                }
                reason = why;
                sentId = takeNotification();
            }
            if (sentId != null) {
                notifyCancelled(sentId, why, tool);
            }
        }

        private void handedOver(Object requestId) {
            String why;
            synchronized (this) {
                if (id != null) {
                    return;
                }
                id = requestId;
                why = reason;
                if (takeNotification() == null) {
                    return;
                }
            }
            notifyCancelled(requestId, why, tool);
        }

        /** The id to notify about, if the notification is due now; call with the lock held. */
        private Object takeNotification() {
            if (notified || id == null || reason == null) {
                return null;
            }
            notified = true;
            return id;
        }
    }

    private void notifyCancelled(Object requestId, String reason, String tool) {
        log.debug("{}: cancelling request {} ({}): {}", server, requestId, tool, reason);
        delegate.sendMessage(new McpSchema.JSONRPCNotification(McpSchema.JSONRPC_VERSION, CANCELLED,
                        Map.of("requestId", requestId, "reason", reason)))
                .subscribe(ignored -> { },
                        e -> log.debug("{}: could not send the cancellation of request {}: {}", server, requestId,
                                e.toString()));
        var session = inbound;
        if (session != null) {
            McpSchema.JSONRPCResponse.JSONRPCError error = new McpSchema.JSONRPCResponse.JSONRPCError(
                    McpSchema.ErrorCodes.INTERNAL_ERROR, "cancelled by this client: " + reason);
            session.apply(Mono.just(McpSchema.JSONRPCResponse.error(requestId, error)))
                    .subscribe(ignored -> { }, e -> log.debug("{}: {}", server, e.toString()));
        }
    }

    @Override
    public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
        if (!(message instanceof McpSchema.JSONRPCRequest request)
                || !McpSchema.METHOD_TOOLS_CALL.equals(request.method())) {
            return delegate.sendMessage(message);
        }
        return Mono.deferContextual(ctx -> {
            OutboundCall call = ctx.getOrDefault(OutboundCall.class, null);
            if (call == null) {
                return delegate.sendMessage(message);
            }
            // Subscribed here, so that the request is handed over (queued behind earlier writes on
            // stdio, its POST started over HTTP) before a cancellation can follow it.
            return Mono.<Void>create(sink -> {
                delegate.sendMessage(message).contextWrite(sink.contextView())
                        .subscribe(ignored -> { }, sink::error, sink::success);
                call.handedOver(request.id());
            });
        });
    }

    @Override
    public Mono<Void> connect(Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
        this.inbound = handler;
        return delegate.connect(handler);
    }

    @Override
    public void setExceptionHandler(Consumer<Throwable> handler) {
        delegate.setExceptionHandler(handler);
    }

    @Override
    public List<String> protocolVersions() {
        return delegate.protocolVersions();
    }

    @Override
    public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
        return delegate.unmarshalFrom(data, typeRef);
    }

    @Override
    public Mono<Void> closeGracefully() {
        return delegate.closeGracefully();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
