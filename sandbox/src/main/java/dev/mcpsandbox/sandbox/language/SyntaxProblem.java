package dev.mcpsandbox.sandbox.language;

import java.util.Optional;

/** One problem {@code validate_code} found, at a 1-based line and column when the checker tells them. */
public record SyntaxProblem(Optional<Integer> line, Optional<Integer> column, String message) {
}
