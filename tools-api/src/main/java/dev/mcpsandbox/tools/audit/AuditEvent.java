package dev.mcpsandbox.tools.audit;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** One audit line. Each kind is a record so the file's shape is fixed by code, not by string keys. */
public sealed interface AuditEvent permits AuditEvent.ExecutionFinished, AuditEvent.ToolCalled,
        AuditEvent.NetworkConnection {

    Instant at();

    String executionId();

    /**
     * One execution, whatever its outcome.
     *
     * @param codeSha256 hex SHA-256 of the code as UTF-8; the code itself is not logged
     * @param outcome    {@code exited}, {@code limit}, {@code cancelled}, {@code stopped} (by a server shutdown), {@code rejected} or {@code failed}
     * @param detail     exit code, limit name or refusal reason
     */
    record ExecutionFinished(Instant at, String executionId, String language, String codeSha256, int codeBytes,
                             Map<String, Long> limits, String outcome, String detail, long durationMs,
                             int toolCalls) implements AuditEvent {
        public ExecutionFinished {
            limits = Map.copyOf(limits);
        }
    }

    /** One connection sandboxed code asked the network proxy for, allowed or refused, with what flowed. */
    record NetworkConnection(Instant at, String executionId, String host, int port, boolean allowed, long bytesOut,
                             long bytesIn, String reason) implements AuditEvent {
    }

    /** One tool call made through the bridge. */
    record ToolCalled(Instant at, String executionId, String tool, int argumentBytes, String outcome,
                      Optional<String> reason, long durationMs) implements AuditEvent {
    }
}
