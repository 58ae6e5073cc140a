package dev.mcpsandbox.server.contract;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.List;
import java.util.Map;

/** The structured result of {@code list_languages}. */
public record ListLanguagesResult(
        @JsonPropertyDescription("Runnable now.") List<Language> languages,
        @JsonPropertyDescription("Known but not runnable here, and why.") List<Unavailable> unavailable,
        @JsonPropertyDescription("defaults: what a run gets; maxima: what it may ask for.") Limits limits,
        String backend) {

    public ListLanguagesResult {
        languages = List.copyOf(languages);
        unavailable = List.copyOf(unavailable);
    }

    public record Language(
            @JsonPropertyDescription("Pass this as execute_code's language.") String id,
            String name,
            String version,
            String extension,
            List<String> aliases,
            @JsonPropertyDescription("Compiled before it runs; repeated programs come from the build cache.")
            boolean compiled) {
    }

    public record Unavailable(String id, String reason) {
    }

    /** Limit values by their names in {@code execute_code}'s arguments and the configuration. */
    public record Limits(Map<String, Long> defaults, Map<String, Long> maxima) {
    }
}
