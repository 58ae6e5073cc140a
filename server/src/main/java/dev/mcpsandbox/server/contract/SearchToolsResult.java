package dev.mcpsandbox.server.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The structured result of {@code search_tools}. */
public record SearchToolsResult(
        @JsonPropertyDescription("Matching tools the code may call.") List<Match> tools,
        @JsonPropertyDescription("Upstream servers and whether they are available.") List<Server> servers) {

    public SearchToolsResult {
        tools = List.copyOf(tools);
        servers = List.copyOf(servers);
    }

    public record Match(
            @JsonPropertyDescription("Qualified name, server.tool.") String name,
            String description,
            @JsonPropertyDescription("A human must approve each call.") boolean needsConfirmation,
            @JsonInclude(JsonInclude.Include.NON_ABSENT) @JsonPropertyDescription("With detail: true.")
            Optional<Map<String, Object>> inputSchema,
            @JsonInclude(JsonInclude.Include.NON_ABSENT)
            @JsonPropertyDescription("With detail: true: a call in the requested language.") Optional<String> example) {
    }

    public record Server(String name, String state, String detail) {
    }
}
