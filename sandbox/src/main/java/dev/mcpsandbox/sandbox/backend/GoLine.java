package dev.mcpsandbox.sandbox.backend;

/**
 * Who waits for a sandbox's go line (the signal that the code is in place, carrying the run's rlimits),
 * which decides how much of a runtime can be started ahead of demand.
 */
public enum GoLine {
    /** A shell launcher waits, applies the rlimits, then execs the runtime: only the sandbox is pre-started. */
    LAUNCHER,
    /** The runtime itself waits and applies the rlimits (Python): the interpreter is pre-started too. */
    RUNTIME,
    /**
     * The runtime waits but cannot set rlimits (Node.js): the launcher applies the limits the sandbox was
     * created with before exec, and the runtime only consumes the go line.
     */
    RUNTIME_WITH_CREATION_LIMITS
}
