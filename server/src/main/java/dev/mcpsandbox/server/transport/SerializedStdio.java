package dev.mcpsandbox.server.transport;

import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpServerSession;
import io.modelcontextprotocol.spec.McpServerTransport;
import io.modelcontextprotocol.spec.McpServerTransportProvider;
import reactor.core.publisher.Mono;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The SDK's stdio provider with its answers handed over one at a time. Its session transport emits each
 * outgoing message into a unicast sink that admits one emitter at a time and gives up after busy-looping
 * 100 ms ({@code emitNext(.., busyLooping(100 ms))}, the same in SDK 2.1.0 and 2.2.0); when hundreds of
 * answers finish together on a loaded machine the losers failed with "Failed to enqueue message", were
 * never written, and the error ended the session (438 of 3,000 calls unanswered, then the process exited).
 * Here every {@code sendMessage} is subscribed under one lock, so the sink never sees two emitters.
 */
final class SerializedStdio implements McpServerTransportProvider {
    private final McpServerTransportProvider delegate;

    SerializedStdio(McpServerTransportProvider delegate) {
        this.delegate = delegate;
    }

    @Override
    public void setSessionFactory(McpServerSession.Factory sessionFactory) {
        delegate.setSessionFactory(transport -> sessionFactory.create(new Serialized(transport)));
    }

    @Override
    public Mono<Void> notifyClients(String method, Object params) {
        return delegate.notifyClients(method, params);
    }

    @Override
    public Mono<Void> notifyClient(String sessionId, String method, Object params) {
        return delegate.notifyClient(sessionId, method, params);
    }

    @Override
    public Mono<Void> closeGracefully() {
        return delegate.closeGracefully();
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public List<String> protocolVersions() {
        return delegate.protocolVersions();
    }

    /** One session's transport; its sends enter the SDK's sink one after another. */
    private static final class Serialized implements McpServerTransport {
        private final McpServerTransport transport;
        private final Object emitting = new Object();

        Serialized(McpServerTransport transport) {
            this.transport = transport;
        }

        @Override
        public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
            return Mono.defer(() -> {
                // Once the transport is ready (it is before any request can arrive), subscribing runs the
                // emission on this thread, so the lock covers it; the future carries its outcome out.
                CompletableFuture<Void> sent;
                synchronized (emitting) {
                    sent = transport.sendMessage(message).toFuture();
                }
                return Mono.fromFuture(sent);
            });
        }

        @Override
        public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
            return transport.unmarshalFrom(data, typeRef);
        }

        @Override
        public Mono<Void> closeGracefully() {
            return transport.closeGracefully();
        }

        @Override
        public void close() {
            transport.close();
        }

        @Override
        public List<String> protocolVersions() {
            return transport.protocolVersions();
        }
    }
}
