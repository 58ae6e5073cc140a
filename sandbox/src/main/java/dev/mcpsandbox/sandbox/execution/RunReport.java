package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.language.CodeError;
import dev.mcpsandbox.sandbox.output.CapturedOutput;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Everything observed about one run that reached its sandbox.
 *
 * @param redactions kinds of secrets removed from stdout/stderr (empty when nothing was redacted)
 */
public record RunReport(String executionId, String language, CapturedOutput stdout, CapturedOutput stderr,
                        Duration duration, Optional<CodeError> error, List<String> redactions,
                        ResourceLimits limits) {
    public RunReport {
        redactions = List.copyOf(redactions);
    }
}
