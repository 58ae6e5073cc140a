package dev.mcpsandbox.tools.registry;

import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import static dev.mcpsandbox.tools.registry.Failures.describe;
import static dev.mcpsandbox.tools.registry.Failures.hasCause;
import static dev.mcpsandbox.tools.registry.Failures.human;
import static dev.mcpsandbox.tools.registry.Failures.isTransportFailure;
import static dev.mcpsandbox.tools.registry.Failures.unwrap;

/**
 * Requests to one upstream server over a live connection, each bounded in time: tool calls (the
 * answer, an upstream error as a tool error, or a {@link ToolUnavailableException} that says what went
 * wrong), and the SDK operations of connecting. A tool call that runs out of time, or whose caller
 * gives up through its {@link CallCancellation}, is cancelled at the upstream too.
 */
final class UpstreamCalls {

    private final String server;
    private final boolean http;
    private final Supplier<String> restartNote;

    /** @param restartNote "; restarting automatically", or nothing once the source is closed */
    UpstreamCalls(String server, boolean http, Supplier<String> restartNote) {
        this.server = server;
        this.http = http;
        this.restartNote = restartNote;
    }

    UpstreamResult call(UpstreamConnection conn, String tool, Map<String, Object> arguments, Duration timeout,
                        CallCancellation cancellation) throws ToolUnavailableException {
        Optional<String> cancelled = cancellation.reason();
        if (cancelled.isPresent()) {
            throw new ToolUnavailableException("call to " + server + "." + tool + " not made: " + cancelled.get());
        }
        McpSchema.CallToolRequest request = McpSchema.CallToolRequest.builder(tool)
                .arguments(arguments == null ? Map.of() : arguments)
                .build();
        CancellingTransport.OutboundCall outbound = conn.transport.outboundCall(tool);
        CompletableFuture<McpSchema.CallToolResult> call = conn.track(
                conn.client.callTool(request).contextWrite(outbound.context()).toFuture());
        try (CallCancellation.Registration ignored = cancellation.onCancel(why -> abandon(call, outbound, why))) {
            return UpstreamMapping.result(call.get(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            abandon(call, outbound, "no answer within " + human(timeout) + " (the call's time limit)");
            throw new ToolUnavailableException("server '" + server + "' did not answer " + tool + " within "
                    + human(timeout));
        } catch (InterruptedException e) {
            abandon(call, outbound, "the caller was interrupted");
            Thread.currentThread().interrupt();
            throw new ToolUnavailableException("call to " + server + "." + tool + " was interrupted", e);
        } catch (ExecutionException | CancellationException e) {
            Optional<String> abandoned = cancellation.reason();
            if (e instanceof CancellationException && abandoned.isPresent()) {
                throw new ToolUnavailableException("call to " + server + "." + tool + " cancelled before it answered: "
                        + abandoned.get());
            }
            Throwable cause = unwrap(e);
            if (cause instanceof McpError mcpError) {
                return UpstreamMapping.error(mcpError);
            }
            throw failed(conn, tool, cause);
        } finally {
            conn.inflight.remove(call);
        }
    }

    /** Stops waiting and, unless it has ended meanwhile, tells the upstream to stop working on it. */
    private static void abandon(CompletableFuture<?> call, CancellingTransport.OutboundCall outbound, String reason) {
        if (call.cancel(true)) {
            outbound.cancel(reason);
        }
    }

    /** A call that ended in an error: an upstream error is a tool error, anything else unavailability. */
    private ToolUnavailableException failed(UpstreamConnection conn, String tool, Throwable cause) {
        if (cause instanceof UpstreamConnection.ConnectionLost lost) {
            return new ToolUnavailableException("server '" + server + "' went away during the call to " + tool
                    + ": " + lost.getMessage() + restartNote.get());
        }
        if (conn.lost.isDone()) {
            return new ToolUnavailableException("server '" + server + "' went away during the call to " + tool
                    + ": " + conn.lost.getNow("connection lost") + restartNote.get(), cause);
        }
        if (hasCause(cause, TimeoutException.class)) {
            return new ToolUnavailableException("server '" + server + "' did not answer " + tool + " in time", cause);
        }
        String died = conn.lostReason(1000);
        if (died != null) {
            // e.g. the write failed because the process was already exiting: report the exit
            return new ToolUnavailableException("server '" + server + "' went away during the call to " + tool
                    + ": " + died + restartNote.get(), cause);
        }
        String reason = describe(cause);
        if (http && isTransportFailure(cause)) {
            // Over HTTP there is no process to watch: a failed exchange is how we learn it is gone.
            conn.markLost(reason);
        }
        return new ToolUnavailableException("server '" + server + "' failed the call to " + tool + ": " + reason,
                cause);
    }

    /** Waits for an SDK operation, but gives up at once when the connection is lost meanwhile. */
    <T> T await(UpstreamConnection conn, Mono<T> operation, Duration limit, String what) throws Exception {
        CompletableFuture<T> f = conn.track(operation.toFuture());
        try {
            return f.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new TimeoutException("no answer to " + what + " within " + human(limit));
        } catch (ExecutionException e) {
            Throwable cause = unwrap(e);
            if (cause instanceof UpstreamConnection.ConnectionLost || conn.lost.isDone()) {
                throw new IOException(conn.lost.getNow("connection lost"), cause);
            }
            throw cause instanceof Exception ex ? ex : new IOException(cause);
        } finally {
            conn.inflight.remove(f);
        }
    }
}
