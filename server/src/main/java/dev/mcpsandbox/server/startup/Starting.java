package dev.mcpsandbox.server.startup;

import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A part of the server that starts on a thread of its own while the transport already answers {@code initialize}
 * (issue 17: a client waits for that answer, and the code runner and the upstream MCP servers are not needed for
 * it). A call that needs the part waits for it with {@link #await}; a start that failed stays failed, and every
 * wait after it says what could not start and why.
 *
 * @param <T> the part
 */
public final class Starting<T> {
    private final String what;
    private final CompletableFuture<T> result;

    private Starting(String what, CompletableFuture<T> result) {
        this.what = what;
        this.result = result;
    }

    /**
     * Starts {@code work} on a new daemon thread (a process told to exit does not wait for a start).
     *
     * @param what names the part in the error of a failed start, e.g. "the code runner"
     */
    public static <T> Starting<T> on(String threadName, String what, Callable<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                result.complete(work.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, threadName);
        thread.setDaemon(true);
        thread.start();
        return new Starting<>(what, result);
    }

    /** The part, once started; waits while it starts. */
    public T await() {
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failed("interrupted while waiting for " + what + " to start", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new Failed("mcp-sandbox could not start " + what + ": "
                    + (cause.getMessage() == null ? cause.toString() : cause.getMessage()), cause);
        }
    }

    /** The part if it has started by now, without waiting; empty while it starts and after a failed start. */
    public Optional<T> ifStarted() {
        return result.isDone() && !result.isCompletedExceptionally() ? Optional.of(result.join()) : Optional.empty();
    }

    /** True once the start has ended, either way. */
    public boolean ended() {
        return result.isDone();
    }

    /** A piece of the part, started when the part is (and failed when it fails, with the same error). */
    public <U> Starting<U> map(Function<? super T, ? extends U> piece) {
        return new Starting<>(what, result.thenApply(piece));
    }

    /** Runs {@code action} with the part once it has started (at once if it has); never after a failed start. */
    public void whenStarted(Consumer<? super T> action) {
        result.thenAccept(action);
    }

    /** What a wait gets when the start failed: the message names the part and the cause. */
    public static final class Failed extends RuntimeException {
        Failed(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
