package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.tools.bridge.Confirmer;

import java.util.function.Consumer;

/**
 * What the transport lends one execution: a way to cancel it, a human to confirm tool calls, and a
 * listener for stderr lines as they arrive (MCP log notifications).
 */
public record CallContext(Cancellation cancellation, Confirmer confirmer, Consumer<String> stderrLines) {

    public static CallContext detached() {
        return new CallContext(new Cancellation(), Confirmer.CANNOT_ASK, line -> { });
    }
}
