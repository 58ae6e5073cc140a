package dev.mcpsandbox.sandbox.language;

import java.util.List;

/** A language whose runtime was found at start-up: the real binary (never a shim) and its version. */
public record DetectedLanguage(Language language, String binary, String version, List<String> extraReadOnlyPaths) {
    public DetectedLanguage {
        extraReadOnlyPaths = List.copyOf(extraReadOnlyPaths);
    }

    public String id() {
        return language.id();
    }

    public String entryFile() {
        return "main." + language.extension();
    }
}
