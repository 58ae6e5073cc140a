package dev.mcpsandbox.sandbox.session;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One open session as its owner sees it in {@code list_languages}.
 *
 * @param languages   the languages whose interpreters hold state now
 * @param memoryBytes memory the session's sandbox uses now, when the backend can tell
 * @param diskBytes   bytes in its work directory and /tmp, when the backend can tell
 */
public record SessionSummary(String name, long calls, Instant createdAt, Instant lastUsedAt, Instant expiresAt,
                             boolean busy, List<String> languages, Optional<Long> memoryBytes,
                             Optional<Long> diskBytes) {
    public SessionSummary {
        languages = List.copyOf(languages);
    }
}
