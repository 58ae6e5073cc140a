package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.sandbox.limits.LimitKind;

import java.util.Optional;

/**
 * How an {@code execute_code} call ended. Whatever untrusted code can cause is one of these values;
 * only a broken environment ends in {@link Failed}. Readers ask the value ({@link #kind()},
 * {@link #report()}, {@link #limit()}) instead of testing its class.
 */
public sealed interface ExecutionOutcome {

    /** The kind of ending, with the word the audit log and the metrics use for it. */
    enum Kind {
        EXITED("exited"), LIMIT("limit"), CANCELLED("cancelled"), STOPPED("stopped"), REJECTED("rejected"),
        FAILED("failed");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        /** True when code ran in a sandbox (its report exists). */
        public boolean ran() {
            return this == EXITED || this == LIMIT || this == CANCELLED || this == STOPPED;
        }
    }

    Kind kind();

    /** What was observed of the run; empty when no sandbox ran the code. */
    default Optional<RunReport> report() {
        return Optional.empty();
    }

    /** The limit that ended the run, if one did. */
    default Optional<LimitKind> limit() {
        return Optional.empty();
    }

    /** The code's own exit status; empty when it was killed or never ran. */
    default Optional<Integer> exitCode() {
        return Optional.empty();
    }

    /** True only when the code ran to its end and exited 0. */
    default boolean succeeded() {
        return exitCode().filter(code -> code == 0).isPresent() && kind() == Kind.EXITED;
    }

    /** One line for logs and the audit: the exit code, the limit, or the reason it did not run. */
    String detail();

    /** An outcome of code that reached its sandbox: its report is always there. */
    sealed interface Ran extends ExecutionOutcome {
        RunReport run();

        @Override
        default Optional<RunReport> report() {
            return Optional.of(run());
        }
    }

    /** The code ran to its end and exited with {@code exitCode} (zero or not). */
    record Finished(int code, RunReport run) implements Ran {
        @Override
        public Kind kind() {
            return Kind.EXITED;
        }

        @Override
        public Optional<Integer> exitCode() {
            return Optional.of(code);
        }

        @Override
        public String detail() {
            return Integer.toString(code);
        }
    }

    /** A limit ended the run; {@code exitCode} is empty when the sandbox was killed. */
    record LimitHit(LimitKind kindOfLimit, Optional<Integer> code, RunReport run) implements Ran {
        @Override
        public Kind kind() {
            return Kind.LIMIT;
        }

        @Override
        public Optional<LimitKind> limit() {
            return Optional.of(kindOfLimit);
        }

        @Override
        public Optional<Integer> exitCode() {
            return code;
        }

        @Override
        public String detail() {
            return kindOfLimit.wireName();
        }
    }

    /** The client cancelled the call and the sandbox was destroyed (or never made, when the cancel came first). */
    record Cancelled(RunReport run) implements Ran {
        @Override
        public Kind kind() {
            return Kind.CANCELLED;
        }

        @Override
        public String detail() {
            return "";
        }
    }

    /**
     * The server stopped the run while shutting down (after its grace period); {@code reason} says so and what
     * to do. Without it the model would read a bare kill. {@code run} is empty when it was stopped before its
     * sandbox ran.
     */
    record Stopped(String reason, Optional<RunReport> run) implements ExecutionOutcome {
        @Override
        public Kind kind() {
            return Kind.STOPPED;
        }

        @Override
        public Optional<RunReport> report() {
            return run;
        }

        @Override
        public String detail() {
            return reason;
        }
    }

    /** Refused before running; {@code message} tells the caller what to change. */
    record Rejected(String message) implements ExecutionOutcome {
        @Override
        public Kind kind() {
            return Kind.REJECTED;
        }

        @Override
        public String detail() {
            return message;
        }
    }

    /** The sandbox machinery failed; the code is not to blame. */
    record Failed(String message) implements ExecutionOutcome {
        @Override
        public Kind kind() {
            return Kind.FAILED;
        }

        @Override
        public String detail() {
            return message;
        }
    }
}
