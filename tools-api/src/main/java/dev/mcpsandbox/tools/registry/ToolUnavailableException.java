package dev.mcpsandbox.tools.registry;

/** The upstream server could not answer: not connected, crashed, timed out. Our environment, not the code. */
public final class ToolUnavailableException extends Exception {
    public ToolUnavailableException(String message) {
        super(message);
    }

    public ToolUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
