package dev.mcpsandbox.sandbox.language;

/** A known language this installation cannot run right now, and what would fix that. */
public record MissingLanguage(String id, String displayName, String reason) {
}
