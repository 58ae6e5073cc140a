package dev.mcpsandbox.tools.registry;

import dev.mcpsandbox.tools.ToolName;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One upstream tool as the sandbox sees it: its name, what it does, the schema its arguments must
 * match, and the hints that policy cares about.
 *
 * @param title       display name: the tool's {@code title}, else its annotations' title, else its name
 * @param description what the tool does ({@code ""} when the server gives none)
 * @param inputSchema the JSON schema of the arguments, top-level key order as the server sent it
 * @param readOnly    the tool's {@code readOnlyHint} (false when absent)
 * @param destructive the tool's {@code destructiveHint}; MCP says to assume true when a tool that is
 *                    not read-only leaves it out
 */
public record ToolDescriptor(ToolName name, String title, String description, Map<String, Object> inputSchema,
                             Optional<Map<String, Object>> outputSchema, boolean readOnly, boolean destructive) {
    public ToolDescriptor {
        Objects.requireNonNull(name, "name");
        // Not Map.copyOf: schemas may legitimately hold JSON null values (e.g. "default": null), and the
        // property order the server chose is worth keeping for stubs and discovery.
        inputSchema = Collections.unmodifiableMap(new LinkedHashMap<>(inputSchema));
        outputSchema = outputSchema == null ? Optional.empty()
                : outputSchema.map(s -> Collections.unmodifiableMap(new LinkedHashMap<>(s)));
    }
}
