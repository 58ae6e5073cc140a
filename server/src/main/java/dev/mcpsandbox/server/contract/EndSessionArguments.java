package dev.mcpsandbox.server.contract;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The arguments of {@code end_session}. */
public record EndSessionArguments(
        @JsonProperty(required = true) @JsonPropertyDescription("The name execute_code's calls used.")
        String session) {
}
