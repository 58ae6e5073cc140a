package dev.mcpsandbox.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** SQL on in-memory SQLite: CSV inputs as tables, text tables on stdout, rows as the result, errors with lines. */
@SuppressWarnings("unchecked")
class SqlIT {
    private static SandboxServer server;

    @BeforeAll
    static void start() {
        server = SandboxServer.start();
        Map<String, Object> hello = server.execute("sql", "SELECT 1;");
        SandboxServer.requireOrSkip(hello != null && !String.valueOf(hello.get("stderr")).contains("not available"),
                "SQL is not available here");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void csvInputsBecomeTypedTablesNamedAfterTheirFiles() {
        Map<String, Object> r = server.execute(Map.of("language", "sql", "code", """
                SELECT name, amount, zip, typeof(amount) AS t FROM sales ORDER BY amount DESC;
                SELECT count(*) FROM "2024 q1";
                """, "files", Map.of(
                "sales.csv", "name,amount,zip\nAlice,10,007\n\"Smith, J\",25.5,123\nBob,,999\n",
                "2024 q1.csv", "x\n1\n2\n")));
        assertThat(r.get("exitCode")).as("result %s", r).isEqualTo(0);
        assertThat(r.get("stdout")).isEqualTo("""
                +----------+--------+-----+------+
                | name     | amount | zip | t    |
                +----------+--------+-----+------+
                | Smith, J |   25.5 | 123 | real |
                | Alice    |   10.0 | 007 | real |
                | Bob      |   NULL | 999 | null |
                +----------+--------+-----+------+

                2
                """);
    }

    @Test
    void rowsComeBackStructuredAsTheResult() {
        Map<String, Object> r = server.execute("sql", """
                CREATE TABLE t (id INTEGER, label TEXT);
                INSERT INTO t VALUES (1, 'one'), (2, NULL);
                SELECT * FROM t ORDER BY id;
                """);
        Map<String, Object> result = (Map<String, Object>) r.get("result");
        assertThat(result).as("result of %s", r).isNotNull();
        assertThat(result.get("sqlite")).asString().matches("3\\.\\d+\\.\\d+");
        List<Map<String, Object>> sets = (List<Map<String, Object>>) result.get("results");
        assertThat(sets).hasSize(1);
        assertThat(sets.get(0).get("line")).isEqualTo(3);
        assertThat(sets.get(0).get("columns")).isEqualTo(List.of("id", "label"));
        assertThat(sets.get(0).get("rows")).isEqualTo(List.of(List.of(1, "one"), java.util.Arrays.asList(2, null)));
        assertThat(sets.get(0).get("truncated")).isEqualTo(false);
    }

    @Test
    void emptyResultPrintsItsHeaderAndNoRows() {
        Map<String, Object> r = server.execute("sql", "CREATE TABLE t (a, b);\nSELECT * FROM t;\n");
        assertThat(r.get("stdout")).isEqualTo("+---+---+\n| a | b |\n+---+---+\n(0 rows)\n");
    }

    @Test
    void semicolonsInStringsAndTriggersDoNotSplitStatements() {
        Map<String, Object> r = server.execute("sql", """
                CREATE TABLE log (msg TEXT);
                CREATE TABLE t (x);
                CREATE TRIGGER tr AFTER INSERT ON t BEGIN
                  INSERT INTO log VALUES ('got; ' || NEW.x);
                END;
                INSERT INTO t VALUES ('a;b');
                SELECT msg FROM log;
                """);
        assertThat(r.get("stdout")).as("result %s", r).isEqualTo("got; a;b\n");
    }

    @Test
    void syntaxErrorStopsTheScriptBeforeAnyStatementRuns() {
        Map<String, Object> r = server.execute("sql", "SELECT 'first';\n\n-- a comment\nSELEC 2;\n");
        assertThat(r.get("stdout")).as("result %s", r).isEqualTo("");
        Map<String, Object> error = (Map<String, Object>) r.get("error");
        assertThat(error).as("result %s", r).isNotNull();
        assertThat(error.get("line")).isEqualTo(4);
        assertThat((String) error.get("message")).contains("syntax error");
    }

    @Test
    void runtimeErrorNamesTheLineItsStatementStartsOn() {
        Map<String, Object> r = server.execute("sql", "SELECT 1;\nSELECT *\n  FROM missing;\n");
        assertThat(r.get("stdout")).isEqualTo("1\n");
        Map<String, Object> error = (Map<String, Object>) r.get("error");
        assertThat(error).as("result %s", r).containsEntry("type", "OperationalError").containsEntry("line", 2);
        assertThat((String) error.get("message")).contains("no such table: missing");
    }

    @Test
    void csvRowLongerThanItsHeaderIsAnError() {
        Map<String, Object> r = server.execute(Map.of("language", "sql", "code", "SELECT * FROM bad;",
                "files", Map.of("bad.csv", "a,b\n1,2,3\n")));
        Map<String, Object> error = (Map<String, Object>) r.get("error");
        assertThat(error).as("result %s", r).containsEntry("type", "CsvError");
        assertThat((String) error.get("message")).contains("bad.csv row 2");
    }
}
