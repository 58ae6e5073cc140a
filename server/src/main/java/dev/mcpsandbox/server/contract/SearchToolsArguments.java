package dev.mcpsandbox.server.contract;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.Optional;

/** The arguments of {@code search_tools}. */
public record SearchToolsArguments(
        @JsonPropertyDescription("Words to match; empty lists all.")
        Optional<String> query,
        @JsonPropertyDescription("Also input schemas and an example call.")
        Optional<Boolean> detail,
        @JsonPropertyDescription("Of the example: python, javascript or bash.")
        Optional<String> language,
        @JsonPropertyDescription("Max matches, default {searchLimit.default}, max {searchLimit.max}.")
        Optional<Long> limit) {

    public SearchToolsArguments {
        query = query == null ? Optional.empty() : query;
        detail = detail == null ? Optional.empty() : detail;
        language = language == null ? Optional.empty() : language;
        limit = limit == null ? Optional.empty() : limit;
    }
}
