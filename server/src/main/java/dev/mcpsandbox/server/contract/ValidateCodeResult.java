package dev.mcpsandbox.server.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.List;
import java.util.Optional;

/** The structured result of {@code validate_code}. */
public record ValidateCodeResult(
        @JsonPropertyDescription("True when the language's parser accepts the code.") boolean valid,
        @JsonPropertyDescription("MCP tools the code refers to (code mode), and whether each is allowed.")
        List<ToolReference> tools,
        @JsonPropertyDescription("Syntax errors, with 1-based line and column.") List<SyntaxError> errors,
        @JsonPropertyDescription("{advisoryNote}") List<Finding> findings,
        String note) {

    public ValidateCodeResult {
        tools = List.copyOf(tools);
        errors = List.copyOf(errors);
        findings = List.copyOf(findings);
    }

    public record SyntaxError(Optional<Integer> line, Optional<Integer> column, String message) {
    }

    public record Finding(String category, String message, int line,
                          @JsonPropertyDescription("Always true.") boolean advisory) {
    }

    public record ToolReference(
            @JsonPropertyDescription("Qualified name server.tool, or the name as written when unknown.") String name,
            int line,
            @JsonPropertyDescription("The operator's policy lets the code call it.") boolean allowed,
            boolean needsConfirmation,
            @JsonInclude(JsonInclude.Include.NON_ABSENT)
            @JsonPropertyDescription("Why it is not callable, when it is not.") Optional<String> reason) {
    }
}
