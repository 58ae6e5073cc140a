package dev.mcpsandbox.tools.registry;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Lets whoever waits for tool calls give up on them all at once, with a reason: calls still pending
 * end at once, and an upstream MCP server that is still working on one is sent
 * {@code notifications/cancelled} for it, so its handler can stop. A call started after the
 * cancellation is not sent at all. Each execution's bridge holds one and cancels it when the
 * execution ends.
 *
 * <p>Thread-safe; cancelling twice keeps the first reason.
 */
public final class CallCancellation {

    /** Undoes an {@link #onCancel} registration once the call it was for has ended. */
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    private final Set<Consumer<String>> actions = new LinkedHashSet<>();
    private String reason;

    /** Cancels every call made under this, now and later; the actions run on the calling thread. */
    public void cancel(String why) {
        Objects.requireNonNull(why, "why");
        List<Consumer<String>> run;
        synchronized (this) {
            if (reason != null) {
                return;
            }
            reason = why;
            run = new ArrayList<>(actions);
            actions.clear();
        }
        for (Consumer<String> action : run) {
            action.accept(why);
        }
    }

    /** The reason, once cancelled. */
    public synchronized Optional<String> reason() {
        return Optional.ofNullable(reason);
    }

    /** Runs {@code action} with the reason when this is cancelled (at once when it already is). */
    public Registration onCancel(Consumer<String> action) {
        Objects.requireNonNull(action, "action");
        String already;
        synchronized (this) {
            already = reason;
            if (already == null) {
                actions.add(action);
            }
        }
        if (already != null) {
            action.accept(already);
            return () -> { };
        }
        return () -> {
            synchronized (this) {
                actions.remove(action);
            }
        };
    }
}
