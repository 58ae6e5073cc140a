package dev.mcpsandbox.tools.policy;

/** What the operator's tool rules say about one tool. Reasons name the rule, so a refusal can be acted on. */
public sealed interface PolicyDecision {

    /** The tool may be called without asking anyone. */
    record Allow() implements PolicyDecision {
    }

    /** The tool may not be called (and is not shown in discovery). */
    record Deny(String reason) implements PolicyDecision {
    }

    /** The tool is allowed, but each call needs a human's yes first. */
    record Confirm(String reason) implements PolicyDecision {
    }
}
