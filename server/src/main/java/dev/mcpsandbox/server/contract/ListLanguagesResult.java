package dev.mcpsandbox.server.contract;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Optional;

/** The structured result of {@code list_languages}. */
public record ListLanguagesResult(
        @JsonPropertyDescription("Runnable now.") List<Language> languages,
        @JsonPropertyDescription("Known but not runnable here, and why.") List<Unavailable> unavailable,
        @JsonPropertyDescription("defaults: what a run gets; maxima: what it may ask for.") Limits limits,
        String backend,
        @JsonPropertyDescription("Whether execute_code may ask for network: true, and where to.") Network network,
        @JsonPropertyDescription("Your open sessions (execute_code's session).") Sessions sessions) {

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

    /** @param unavailable why calls cannot name a session here; null when they can */
    public record Sessions(boolean available, Optional<String> unavailable, List<OpenSession> open) {
        public Sessions {
            open = List.copyOf(open);
        }
    }

    public record OpenSession(String name, long calls, String createdAt, String lastUsedAt, String expiresAt,
                              boolean busy, List<String> languages, Optional<Long> memoryBytes,
                              Optional<Long> diskBytes) {
        public OpenSession {
            languages = List.copyOf(languages);
        }
    }

    /**
     * @param packageInstalls language ids whose package manager (pip --user, npm install) has an index configured
     */
    public record Network(boolean available,
                          @JsonPropertyDescription("Why not, when not available.") Optional<String> reason,
                          @JsonPropertyDescription("Host patterns the operator allows; ports 80 and 443 unless given.")
                          List<String> allowed,
                          @JsonPropertyDescription("Languages whose package manager installs through the network.")
                          List<String> packageInstalls) {
        public Network {
            allowed = List.copyOf(allowed);
            packageInstalls = List.copyOf(packageInstalls);
        }
    }

    /** Limit values by their names in {@code execute_code}'s arguments and the configuration. */
    public record Limits(Map<String, Long> defaults, Map<String, Long> maxima) {
    }
}
