package dev.mcpsandbox.sandbox.language.session;

import dev.mcpsandbox.sandbox.language.Language;
import dev.mcpsandbox.sandbox.language.RunOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SQL in a session: no kernel, a process per call (through the real agent, outside a sandbox), but one SQLite
 * database file in the work directory that every call of the session uses.
 */
class SqlSessionDatabaseTest {
    private static final Language SQL = AgentOutsideSandbox.language("sql");
    private static final RunOptions SINGLE_USE = RunOptions.withMemory(256);
    private static final List<String> IN_SESSION = SQL.runCommand("python3", "main.sql", SINGLE_USE.inSession());

    @TempDir
    Path root;

    @Test
    void onlyASessionsRunPointsAtTheDatabaseFileAndSqlHasNoKernel() {
        assertThat(SQL.sessionKernel("python3", "main.sql", SINGLE_USE.inSession())).isEmpty();
        assertThat(IN_SESSION).containsSubsequence("--database", "/workspace/session.sqlite", "main.sql");
        assertThat(SQL.runCommand("python3", "main.sql", SINGLE_USE)).doesNotContain("--database");
    }

    @Test
    void tablesAndRowsPersistAcrossTheCallsOfASession() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, SQL)) {
            AgentOutsideSandbox.End created = run(agent, 1, IN_SESSION,
                    "CREATE TABLE notes (id INTEGER, body TEXT);\nINSERT INTO notes VALUES (1, 'one'), (2, 'two');");
            assertThat(created.code()).as(created.stderr()).isZero();
            assertThat(created.kernel()).isEqualTo("none");
            AgentOutsideSandbox.End read = run(agent, 2, IN_SESSION, "SELECT group_concat(body, '+') FROM notes;");
            assertThat(read.stdout()).isEqualTo("one+two\n");
            // What ran before a failing statement stays: each statement commits as it runs.
            AgentOutsideSandbox.End failed = run(agent, 3, IN_SESSION, "INSERT INTO notes VALUES (3, 'three');\nSELECT nope;");
            assertThat(failed.code()).isEqualTo(1);
            assertThat(SQL.runtimeError(failed.stderr(), "/workspace/main.sql"))
                    .hasValueSatisfying(e -> assertThat(e.line()).contains(2));
            assertThat(run(agent, 4, IN_SESSION, "SELECT count(*) FROM notes;").stdout()).isEqualTo("3\n");
            // A single-use run of the same script still starts from an empty database.
            AgentOutsideSandbox.End alone = run(agent, 5, SQL.runCommand("python3", "main.sql", SINGLE_USE),
                    "SELECT count(*) FROM notes;");
            assertThat(alone.code()).isEqualTo(1);
            assertThat(alone.stderr()).contains("no such table: notes");
        }
    }

    @Test
    void anInputCsvIsLoadedOnceKeptAsTheCallsLeftItAndReplacedWhenTheFileChanges() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, SQL)) {
            Path csv = agent.workspace().resolve("sales.csv");
            Files.writeString(csv, "region,amount\nnorth,10\nsouth,20\n");
            AgentOutsideSandbox.End first = run(agent, 1, IN_SESSION, "INSERT INTO sales VALUES ('east', 5);\n"
                    + "SELECT sum(amount) FROM sales;");
            assertThat(first.code()).as(first.stderr()).isZero();
            assertThat(first.stdout()).isEqualTo("35\n");
            AgentOutsideSandbox.End second = run(agent, 2, IN_SESSION, "SELECT sum(amount) FROM sales;");
            assertThat(second.code()).as(second.stderr()).isZero();
            assertThat(second.stdout()).isEqualTo("35\n");

            Files.writeString(csv, "region,amount\nwest,100\n");
            AgentOutsideSandbox.End changed = run(agent, 3, IN_SESSION, "SELECT region || ':' || amount FROM sales;");
            assertThat(changed.code()).as(changed.stderr()).isZero();
            assertThat(changed.stdout()).isEqualTo("west:100\n");

            run(agent, 4, IN_SESSION, "DROP TABLE sales;");
            assertThat(run(agent, 5, IN_SESSION, "SELECT count(*) FROM sales;").stdout()).isEqualTo("1\n");
        }
    }

    @Test
    void eachCallsStdinReplacesTheStdinTable() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, SQL)) {
            assertThat(run(agent, 1, IN_SESSION, "SELECT count(*) FROM stdin;", "a\nb\n").stdout()).isEqualTo("2\n");
            assertThat(run(agent, 2, IN_SESSION, "SELECT group_concat(line) FROM stdin;", "c\n").stdout()).isEqualTo("c\n");
        }
    }

    private static AgentOutsideSandbox.End run(AgentOutsideSandbox agent, long call, List<String> argv, String script)
            throws Exception {
        return run(agent, call, argv, script, "");
    }

    private static AgentOutsideSandbox.End run(AgentOutsideSandbox agent, long call, List<String> argv, String script,
                                               String stdin) throws Exception {
        Files.writeString(agent.workspace().resolve("main.sql"), script);
        agent.startProcess(call, argv, stdin);
        return agent.awaitEnd(call);
    }
}
