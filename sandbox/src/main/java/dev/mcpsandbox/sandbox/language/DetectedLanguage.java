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

    /** The file the code is placed in, relative to /workspace. */
    public String entryFile(String code) {
        return language.entryFileName(code);
    }

    public boolean compiled() {
        return language.compileCommand(binary, entryFile("")).isPresent();
    }
}
