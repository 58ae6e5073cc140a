package dev.mcpsandbox.server.contract;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The arguments of {@code end_session}. */
public record EndSessionArguments(
        @JsonProperty(required = true) @JsonPropertyDescription("Its name.")
        String session) {
}
