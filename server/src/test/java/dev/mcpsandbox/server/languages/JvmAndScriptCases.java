package dev.mcpsandbox.server.languages;

import java.util.List;

/** The shared language suite's cases for Java, TypeScript and Ruby. */
final class JvmAndScriptCases {
    private JvmAndScriptCases() {
    }

    static List<LanguageCase> cases() {
        return List.of();
    }
}
