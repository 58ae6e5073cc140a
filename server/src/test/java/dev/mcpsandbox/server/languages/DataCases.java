package dev.mcpsandbox.server.languages;

import java.util.List;

/** The shared language suite's cases for SQL (SQLite); Graphviz and Mermaid have their own DiagramsIT. */
final class DataCases {
    private DataCases() {
    }

    static List<LanguageCase> cases() {
        return List.of();
    }
}
