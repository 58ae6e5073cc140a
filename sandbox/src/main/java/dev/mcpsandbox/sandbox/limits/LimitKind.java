package dev.mcpsandbox.sandbox.limits;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The limit that ended a run, with the name the wire contract uses for {@code limitHit}: the one list of limit
 * names, read by the published output schema, the metrics' labels and the README's table.
 */
public enum LimitKind {
    TIMEOUT("timeout", "the run exceeded its time limit (timeoutSeconds)"),
    MEMORY("memory", "the run exceeded its memory limit (memoryMb)"),
    PROCESSES("processes", "the run tried to start more processes or threads than allowed (processes)"),
    OUTPUT("output", "the run wrote more output than allowed (outputBytes)"),
    FILE_SIZE("file_size", "the run wrote a file larger than allowed or filled its disk (fileSizeMb, diskMb)"),
    TOOL_CALLS("tool_calls", "the run made more tool calls than allowed (toolCalls)"),
    NETWORK("network", "the run's connections passed the operator's network cap (network.maxBytesPerCall or"
            + " network.maxConnectionsPerCall)");

    private final String wireName;
    private final String explanation;

    LimitKind(String wireName, String explanation) {
        this.wireName = wireName;
        this.explanation = explanation;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    /** One sentence for the model, naming the limit key it could raise. */
    public String explanation() {
        return explanation;
    }
}
