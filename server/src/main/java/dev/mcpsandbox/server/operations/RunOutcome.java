package dev.mcpsandbox.server.operations;

import io.modelcontextprotocol.spec.McpSchema.CallToolResult;

import java.util.Map;
import java.util.Set;

/**
 * How one {@code execute_code} call ended, read back from its published result (structured content:
 * {@code error.type}, {@code limitHit}, {@code exitCode}), so counting needs no hook in the execution path.
 */
record RunOutcome(String label, boolean ran) {
    /** The limit names of the wire contract; anything else (a newer limit) counts as {@code limit_other}. */
    private static final Set<String> LIMITS = Set.of("timeout", "memory", "processes", "output", "file_size", "tool_calls");

    static final RunOutcome EXCEPTION = new RunOutcome("exception", false);

    static RunOutcome of(CallToolResult result) {
        if (result == null) {
            return EXCEPTION;
        }
        if (!(result.structuredContent() instanceof Map<?, ?> s)) {
            return new RunOutcome(Boolean.TRUE.equals(result.isError()) ? "error" : "ok", true);
        }
        String errorType = s.get("error") instanceof Map<?, ?> e && e.get("type") instanceof String t ? t : null;
        if ("invalid_request".equals(errorType)) {
            return new RunOutcome("rejected", false);
        }
        if ("sandbox_failure".equals(errorType)) {
            return new RunOutcome("sandbox_failure", false);
        }
        if ("server_shutdown".equals(errorType)) {
            return new RunOutcome("shutdown", true);
        }
        if ("cancelled".equals(errorType)) {
            return new RunOutcome("cancelled", true);
        }
        if (s.get("limitHit") instanceof String limit) {
            return new RunOutcome(LIMITS.contains(limit) ? limit : "limit_other", true);
        }
        boolean exitedZero = s.get("exitCode") instanceof Number n && n.intValue() == 0;
        return new RunOutcome(exitedZero && !Boolean.TRUE.equals(result.isError()) ? "ok" : "error", true);
    }
}
