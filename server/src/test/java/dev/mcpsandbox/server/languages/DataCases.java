package dev.mcpsandbox.server.languages;

import java.util.List;
import java.util.Optional;

/**
 * The shared language suite's cases for SQL (SQLite); Graphviz and Mermaid draw pictures instead of printing,
 * so they are tested in DiagramsIT. SQL prints a result of one row and one column as the bare value, and what
 * the execution receives on stdin is the table {@code stdin(line)}, so hello and stdin need no special casing.
 * SQL cannot start a process, so it has no {@code tool} command case.
 */
final class DataCases {
    private DataCases() {
    }

    static List<LanguageCase> cases() {
        return List.of(new LanguageCase("sql",
                "SELECT 'hello from sql';\n",
                "SELECT upper(line) FROM stdin;\n",
                "CREATE TABLE t (id INTEGER PRIMARY KEY);\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (1);\n", 3,
                "SELECT 1;\nSELEC 2;\n", 2,
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;\n",
                Optional.empty()));
    }
}
