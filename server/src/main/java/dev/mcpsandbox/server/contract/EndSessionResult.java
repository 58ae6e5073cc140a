package dev.mcpsandbox.server.contract;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The structured result of {@code end_session}. */
public record EndSessionResult(
        @JsonPropertyDescription("False when you had no open session by that name.") boolean ended,
        String message) {
}
