package dev.mcpsandbox.server.languages;

import java.util.List;

/** The shared language suite's cases for Go, Rust, C and C++. */
final class NativeCases {
    private NativeCases() {
    }

    static List<LanguageCase> cases() {
        return List.of();
    }
}
