package dev.mcpsandbox.tools.bridge;

import java.util.Optional;

/** One call as the {@code execute_code} result lists it in {@code toolCalls}. */
public record ToolCallRecord(String tool, boolean ok, long durationMs, Optional<String> error) {
}
