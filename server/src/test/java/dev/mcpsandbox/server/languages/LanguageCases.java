package dev.mcpsandbox.server.languages;

import java.util.List;
import java.util.stream.Stream;

/** Every family's cases in one list, for the language suite and the benchmarks. */
public final class LanguageCases {
    private LanguageCases() {
    }

    public static List<LanguageCase> all() {
        return Stream.of(CoreCases.cases(), NativeCases.cases(), JvmAndScriptCases.cases(), DataCases.cases())
                .flatMap(List::stream).toList();
    }
}
