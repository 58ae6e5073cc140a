package dev.mcpsandbox.tools.bridge;

/** What the gate answers one call: the tool's value, or a refusal that names the check. */
sealed interface GateAnswer {

    record Returned(Object value, String text) implements GateAnswer {
    }

    record Refused(Refusal refusal, String message, String detail) implements GateAnswer {
        Refused(Refusal refusal, String message) {
            this(refusal, message, "");
        }
    }
}
