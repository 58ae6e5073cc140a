package dev.mcpsandbox.server.contract;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The arguments of {@code validate_code}. */
public record ValidateCodeArguments(
        @JsonProperty(required = true) @JsonPropertyDescription("One of: {languages}.") String language,
        @JsonProperty(required = true) @JsonPropertyDescription("The program to check.") String code) {
}
