package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.sandbox.limits.LimitKind;

import java.util.Optional;

/**
 * How an {@code execute_code} call ended. Whatever untrusted code can cause is one of these values;
 * only a broken environment ends in {@link Failed}.
 */
public sealed interface ExecutionOutcome {

    /** The code ran to its end and exited with {@code exitCode} (zero or not). */
    record Finished(int exitCode, RunReport report) implements ExecutionOutcome {
    }

    /** A limit ended the run; {@code exitCode} is empty when the sandbox was killed. */
    record LimitHit(LimitKind limit, Optional<Integer> exitCode, RunReport report) implements ExecutionOutcome {
    }

    /** The client cancelled the call and the sandbox was destroyed. */
    record Cancelled(RunReport report) implements ExecutionOutcome {
    }

    /** Refused before running; {@code message} tells the caller what to change. */
    record Rejected(String message) implements ExecutionOutcome {
    }

    /** The sandbox machinery failed; the code is not to blame. */
    record Failed(String message) implements ExecutionOutcome {
    }
}
