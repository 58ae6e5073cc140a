package dev.mcpsandbox.server.contract;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The arguments of {@code validate_code}. */
public record ValidateCodeArguments(
        @JsonProperty(required = true) @JsonPropertyDescription("As for execute_code.") String language,
        @JsonProperty(required = true) @JsonPropertyDescription("The program.") String code) {
}
