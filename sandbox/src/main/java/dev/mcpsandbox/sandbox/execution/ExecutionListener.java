package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.config.ResourceLimits;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Hears every {@code execute_code} call end, with its typed outcome: the audit log, the metrics. A listener
 * must not throw or block; it runs on the thread that answers the call.
 */
@FunctionalInterface
public interface ExecutionListener {

    void ended(Ended execution);

    /**
     * One call's end.
     *
     * @param languageId the detected language the request named (resolved through its aliases); empty when
     *                   the request named none this server knows
     * @param limits     the limits the run was admitted with; empty when it was refused before admission
     */
    record Ended(String executionId, Instant at, ExecutionRequest request, Optional<String> languageId,
                 Optional<ResourceLimits> limits, ExecutionOutcome outcome, Duration took) {
    }
}
