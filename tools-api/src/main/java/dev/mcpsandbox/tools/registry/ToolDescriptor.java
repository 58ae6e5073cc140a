package dev.mcpsandbox.tools.registry;

import dev.mcpsandbox.tools.ToolName;

import java.util.Map;
import java.util.Optional;

/**
 * One upstream tool as the sandbox sees it: its name, what it does, the schema its arguments must
 * match, and the hints that policy cares about.
 *
 * @param destructive the tool's {@code destructiveHint}; MCP says to assume true when a tool that is
 *                    not read-only leaves it out
 */
public record ToolDescriptor(ToolName name, String title, String description, Map<String, Object> inputSchema,
                             Optional<Map<String, Object>> outputSchema, boolean readOnly, boolean destructive) {
    public ToolDescriptor {
        inputSchema = Map.copyOf(inputSchema);
    }
}
