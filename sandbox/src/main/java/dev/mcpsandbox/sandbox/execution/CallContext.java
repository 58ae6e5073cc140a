package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.tools.bridge.Confirmer;

import java.util.function.Consumer;

/**
 * What the transport lends one execution: a way to cancel it, a human to confirm tool calls, a listener for
 * stderr lines as they arrive (MCP log notifications), and who is calling.
 *
 * @param caller who owns what the server keeps between calls (sessions): the stdio client, an HTTP client's MCP
 *               session or token; callers never see each other's
 */
public record CallContext(Cancellation cancellation, Confirmer confirmer, Consumer<String> stderrLines,
                          String caller) {

    /** The caller of a server with one client (stdio), and of calls made outside any transport. */
    public static final String ONLY_CLIENT = "local";

    public CallContext(Cancellation cancellation, Confirmer confirmer, Consumer<String> stderrLines) {
        this(cancellation, confirmer, stderrLines, ONLY_CLIENT);
    }

    public static CallContext detached() {
        return new CallContext(new Cancellation(), Confirmer.CANNOT_ASK, line -> { });
    }
}
