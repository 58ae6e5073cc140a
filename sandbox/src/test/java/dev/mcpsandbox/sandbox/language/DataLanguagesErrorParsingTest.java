package dev.mcpsandbox.sandbox.language;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Error reading for SQL, Graphviz and Mermaid, on output captured from the real tools on Debian 12. */
class DataLanguagesErrorParsingTest {
    private final SqlLanguage sql = new SqlLanguage();
    private final GraphvizLanguage graphviz = new GraphvizLanguage();
    private final MermaidLanguage mermaid = new MermaidLanguage();

    @Test
    void sqlErrorTakesTypeMessageAndStatementLine() {
        assertThat(sql.runtimeError("main.sql:3: IntegrityError: UNIQUE constraint failed: t.id\n", "/workspace/main.sql"))
                .contains(new CodeError("IntegrityError", "UNIQUE constraint failed: t.id", Optional.of(3)));
    }

    @Test
    void sqlInputFileErrorHasNoLine() {
        String stderr = "main.sql: CsvError: sales.csv row 3 has 3 values but the header names 2 columns\n";
        assertThat(sql.runtimeError(stderr, "/workspace/main.sql")).contains(new CodeError("CsvError",
                "sales.csv row 3 has 3 values but the header names 2 columns", Optional.empty()));
    }

    @Test
    void sqlRunnerThatCouldNotStartIsReportedFromItsTraceback() {
        String stderr = """
                Traceback (most recent call last):
                  File "/opt/mcp-sandbox/sql/sqlrun.py", line 7, in <module>
                    import sqlite3
                ModuleNotFoundError: No module named '_sqlite3'
                """;
        assertThat(sql.runtimeError(stderr, "/workspace/main.sql")).contains(new CodeError("RunnerError",
                "ModuleNotFoundError: No module named '_sqlite3'", Optional.empty()));
    }

    @Test
    void sqlCheckerListIsReadWithLines() {
        String stdout = "[{\"line\": 2, \"column\": null, \"message\": \"OperationalError: near \\\"SELEC\\\": syntax error\"}]\n";
        assertThat(sql.syntaxProblems(stdout, "", "/workspace/main.sql")).containsExactly(new SyntaxProblem(
                Optional.of(2), Optional.empty(), "OperationalError: near \"SELEC\": syntax error"));
        assertThat(sql.syntaxProblems("[]\n", "", "/workspace/main.sql")).isEmpty();
    }

    @Test
    void graphvizSyntaxErrorCarriesItsLine() {
        String stderr = "Error: main.dot: syntax error in line 3 near '->'\n";
        assertThat(graphviz.runtimeError(stderr, "/workspace/main.dot"))
                .contains(new CodeError("SyntaxError", "syntax error near '->'", Optional.of(3)));
        assertThat(graphviz.syntaxProblems("", stderr, "/workspace/main.dot"))
                .containsExactly(new SyntaxProblem(Optional.of(3), Optional.empty(), "syntax error near '->'"));
    }

    @Test
    void graphvizUnterminatedStringAndEndOfFileKeepTheirLines() {
        String quoted = """
                Error: main.dot: syntax error in line 2 scanning a quoted string (missing endquote? longer than 16384?)
                String starting:"x]
                }
                """;
        assertThat(graphviz.syntaxProblems("", quoted, "/workspace/main.dot")).extracting(SyntaxProblem::line)
                .containsExactly(Optional.of(2));
        assertThat(graphviz.runtimeError("Error: main.dot: syntax error in line 3\n", "/workspace/main.dot"))
                .contains(new CodeError("SyntaxError", "syntax error", Optional.of(3)));
    }

    @Test
    void graphvizWarningsAreNotProblems() {
        String stderr = "Warning: using box for unknown shape nosuch\nWarning: blah is not a known color.\n";
        assertThat(graphviz.syntaxProblems("", stderr, "/workspace/main.dot")).isEmpty();
        assertThat(graphviz.runtimeError(stderr, "/workspace/main.dot")).isEmpty();
    }

    @Test
    void graphvizVersionIsReadFromTheMultiCallBinarysBanner() {
        assertThat(graphviz.parseVersion("libgvc6-config-update - graphviz version 2.43.0 (0)\n")).isEqualTo("2.43.0");
    }

    @Test
    void graphvizAlwaysNamesTheLayoutEngineAndWritesUnderOut() {
        assertThat(graphviz.runCommand("/usr/sbin/libgvc6-config-update", "main.dot", new RunOptions(512, "svg")))
                .containsExactly("/usr/sbin/libgvc6-config-update", "-Kdot", "-Tsvg", "-o", "out/diagram.svg", "main.dot");
    }

    @Test
    void mermaidParseErrorTakesTheMappedLine() {
        String stderr = "main.mmd:6: ParseError: Parse error: Expecting 'AMP', 'COLON', 'PIPE', got 'TAGEND'\n";
        assertThat(mermaid.runtimeError(stderr, "/workspace/main.mmd")).contains(new CodeError("ParseError",
                "Parse error: Expecting 'AMP', 'COLON', 'PIPE', got 'TAGEND'", Optional.of(6)));
    }

    @Test
    void mermaidBrowserFailureIsARenderErrorWithoutLine() {
        String stderr = """
                Error: Failed to launch the browser process!
                    at Interface.onClose (file:///usr/local/lib/node_modules/@mermaid-js/mermaid-cli/node_modules/@puppeteer/browsers/lib/esm/launch.js:303:24)
                main.mmd: RenderError: Failed to launch the browser process!
                """;
        assertThat(mermaid.runtimeError(stderr, "/workspace/main.mmd")).contains(new CodeError("RenderError",
                "Failed to launch the browser process!", Optional.empty()));
    }

    @Test
    void mermaidCheckerListKeepsLineAndColumn() {
        String stdout = "[{\"line\":3,\"column\":6,\"message\":\"Parse error: Expecting '+', '-', '()', 'ACTOR', got 'NEWLINE'\"}]\n";
        List<SyntaxProblem> problems = mermaid.syntaxProblems(stdout, "", "/workspace/main.mmd");
        assertThat(problems).containsExactly(new SyntaxProblem(Optional.of(3), Optional.of(6),
                "Parse error: Expecting '+', '-', '()', 'ACTOR', got 'NEWLINE'"));
    }

    @Test
    void checkerThatCrashedIsOneProblemWithItsOutput() {
        assertThat(mermaid.syntaxProblems("", "Error: EMFILE: too many open files\n", "/workspace/main.mmd"))
                .extracting(SyntaxProblem::message).containsExactly("the checker failed: Error: EMFILE: too many open files");
    }

    @Test
    void mermaidNeedsABrowsersLimitsAndAddressSpace() {
        assertThat(mermaid.runNeeds()).contains(new RunNeeds(1024, 128, 128));
        assertThat(mermaid.addressSpaceMb(512)).isGreaterThan(96L * 1024);
        assertThat(mermaid.requiredFiles()).contains("/usr/lib/chromium/chromium");
    }
}
