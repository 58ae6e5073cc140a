package dev.mcpsandbox.server.contract;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.Optional;

/** The arguments of {@code search_tools}. */
public record SearchToolsArguments(
        @JsonPropertyDescription("Words to look for in tool names and descriptions; empty lists all.")
        Optional<String> query,
        @JsonPropertyDescription("Also return each tool's input schema and a ready-to-paste call.")
        Optional<Boolean> detail,
        @JsonPropertyDescription("Language of the example call (python, javascript, bash); default python.")
        Optional<String> language,
        @JsonPropertyDescription("At most this many matches (default {searchLimit.default}, at most {searchLimit.max}).")
        Optional<Long> limit) {

    public SearchToolsArguments {
        query = query == null ? Optional.empty() : query;
        detail = detail == null ? Optional.empty() : detail;
        language = language == null ? Optional.empty() : language;
        limit = limit == null ? Optional.empty() : limit;
    }
}
