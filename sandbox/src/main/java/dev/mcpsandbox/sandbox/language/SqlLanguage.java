package dev.mcpsandbox.sandbox.language;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SQL on an in-memory SQLite database (in a session: one database file kept in the work directory), through the sqlite3 module of the system's Python (so the version
 * reported is the SQLite library's). A runner script installed as a guest file splits the script into
 * statements, loads the input files {@code *.csv} and stdin as tables, prints each result as a text table
 * and hands the rows back as the execution's {@code result}; see {@code sql/sqlrun.py} for the rules.
 */
final class SqlLanguage implements Language {
    static final String RUNNER = "sql/sqlrun.py";
    /** What the runner prints on stderr for the error that stopped the script. */
    private static final Pattern ERROR = Pattern.compile("^(?:\\S*/)?([^/\\s:]+):(?:(\\d+):)? ([A-Za-z]\\w*): (.*)$",
            Pattern.MULTILINE);

    @Override
    public String id() {
        return "sql";
    }

    @Override
    public List<String> aliases() {
        return List.of("sqlite", "sqlite3");
    }

    @Override
    public String displayName() {
        return "SQL (SQLite)";
    }

    @Override
    public String extension() {
        return "sql";
    }

    @Override
    public List<String> candidateBinaries() {
        return List.of("/usr/bin/python3");
    }

    @Override
    public List<String> versionArguments() {
        return List.of("-E", "-s", "-c", "import sqlite3; print(sqlite3.sqlite_version)");
    }

    @Override
    public String parseVersion(String output) {
        return output.strip();
    }

    /**
     * A session's SQLite database; other languages in the session can open it too. The runner records beside it
     * which input files it loaded (see the runner's header: a changed {@code *.csv} replaces its table).
     */
    static final String SESSION_DATABASE = "/workspace/session.sqlite";

    /**
     * In a session (no kernel: a process per call), the script runs against {@link #SESSION_DATABASE}, so its
     * tables and rows outlive the call; otherwise against a database in memory.
     */
    @Override
    public List<String> runCommand(String binary, String entryFile, RunOptions options) {
        return options.session()
                ? List.of(binary, "-E", "-s", "-B", "/opt/mcp-sandbox/" + RUNNER, "--database", SESSION_DATABASE, entryFile)
                : List.of(binary, "-E", "-s", "-B", "/opt/mcp-sandbox/" + RUNNER, entryFile);
    }

    @Override
    public List<String> checkCommand(String binary, String entryFile) {
        return List.of(binary, "-E", "-s", "-B", "/opt/mcp-sandbox/" + RUNNER, "--check", entryFile);
    }

    @Override
    public Map<String, String> guestFiles() {
        return Map.of(RUNNER, BundledScripts.text(RUNNER));
    }

    /** The runner's last word: {@code main.sql:LINE: Type: message} (no line for a bad input file). */
    @Override
    public Optional<CodeError> runtimeError(String stderr, String entryFile) {
        String name = entryFile.substring(entryFile.lastIndexOf('/') + 1);
        Matcher m = ERROR.matcher(stderr);
        Optional<CodeError> last = Optional.empty();
        while (m.find()) {
            if (m.group(1).equals(name)) {
                last = Optional.of(new CodeError(m.group(3), m.group(4),
                        m.group(2) == null ? Optional.empty() : ErrorText.parse(m.group(2))));
            }
        }
        if (last.isEmpty()) {
            // Python itself failed (the runner could not start): its traceback's last line says why.
            List<String> lines = ErrorText.lines(stderr.strip());
            if (!lines.isEmpty() && lines.get(0).startsWith("Traceback")) {
                return Optional.of(new CodeError("RunnerError", lines.get(lines.size() - 1), Optional.empty()));
            }
        }
        return last;
    }

    /** The checker prints a JSON list of {line, column, message}. */
    @Override
    public List<SyntaxProblem> syntaxProblems(String stdout, String stderr, String entryFile) {
        return ProblemList.parse(stdout, stderr);
    }

    @Override
    public boolean reportsOutOfMemory(String stderr) {
        return stderr.contains("MemoryError") || stderr.contains(": OperationalError: out of memory")
                || stderr.contains("MemoryError: ");
    }
}
