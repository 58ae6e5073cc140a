package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.sandbox.language.AdvisoryScan;
import dev.mcpsandbox.sandbox.language.SyntaxProblem;

import java.util.List;

/**
 * The answer of {@code validate_code}: syntax problems found by the language's own parser, and
 * advisory findings of a pattern scan that nothing relies on for safety.
 */
public record ValidationReport(boolean valid, List<SyntaxProblem> errors, List<AdvisoryScan.Finding> findings) {
    public ValidationReport {
        errors = List.copyOf(errors);
        findings = List.copyOf(findings);
    }
}
