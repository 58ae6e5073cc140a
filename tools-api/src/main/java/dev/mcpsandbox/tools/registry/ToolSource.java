package dev.mcpsandbox.tools.registry;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Where tools come from: one upstream MCP server (or a set of built-in tools). */
public interface ToolSource extends AutoCloseable {

    String server();

    ServerStatus status();

    /** The tools this source offers now (empty while unavailable). */
    List<ToolDescriptor> tools();

    /**
     * Calls one tool. Throws {@link ToolUnavailableException} when the server cannot be reached (or died
     * during the call), with a message that says so and whether a restart is under way, and when the call
     * timed out or {@code cancellation} was cancelled first; an upstream server still working on it is then
     * told to stop ({@code notifications/cancelled}).
     */
    UpstreamResult call(String tool, Map<String, Object> arguments, Duration timeout, CallCancellation cancellation)
            throws ToolUnavailableException;

    /** Calls one tool that nothing but its timeout cancels. */
    default UpstreamResult call(String tool, Map<String, Object> arguments, Duration timeout)
            throws ToolUnavailableException {
        return call(tool, arguments, timeout, new CallCancellation());
    }

    /** Notified whenever this source's tool list changes (list_changed, reconnect). */
    void onToolsChanged(Consumer<List<ToolDescriptor>> listener);

    @Override
    void close();
}
