package dev.mcpsandbox.sandbox.execution;

import java.util.concurrent.atomic.AtomicBoolean;

/** Lets a transport cancel a running execution (MCP {@code notifications/cancelled}, a client gone). */
public final class Cancellation {
    private final AtomicBoolean requested = new AtomicBoolean();

    public void cancel() {
        requested.set(true);
    }

    public boolean requested() {
        return requested.get();
    }
}
