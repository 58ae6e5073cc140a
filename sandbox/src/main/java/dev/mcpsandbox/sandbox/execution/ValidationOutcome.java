package dev.mcpsandbox.sandbox.execution;

/** How a {@code validate_code} call ended: checked, refused as asked, or not checked through no fault of the code. */
public sealed interface ValidationOutcome {

    /** The language's checker ran; the report says what it found. */
    record Checked(ValidationReport report) implements ValidationOutcome {
    }

    /** The request cannot be checked as asked; {@code message} says what to change (language, code). */
    record Rejected(String message) implements ValidationOutcome {
    }

    /** The server could not check it now (busy, shutting down, sandbox failure); retrying may work. */
    record Failed(String message) implements ValidationOutcome {
    }
}
