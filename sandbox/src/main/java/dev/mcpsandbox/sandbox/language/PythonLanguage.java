package dev.mcpsandbox.sandbox.language;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** CPython 3. Runs unbuffered (-u) so output printed before a timeout still reaches the model. */
final class PythonLanguage implements Language {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern EXCEPTION_LINE = Pattern.compile("^([A-Za-z_][\\w.]*)(?:: (.*))?$");
    /** Compiles without running; prints a JSON list of problems. */
    private static final String CHECKER = """
            import json, sys
            src = open(sys.argv[1], 'rb').read()
            try:
                compile(src, sys.argv[1], 'exec', dont_inherit=True)
                problems = []
            except SyntaxError as e:
                problems = [{"line": e.lineno, "column": e.offset, "message": type(e).__name__ + ": " + str(e.msg)}]
            except ValueError as e:
                problems = [{"line": None, "column": None, "message": str(e)}]
            print(json.dumps(problems))
            """;

    @Override
    public String id() {
        return "python";
    }

    @Override
    public List<String> aliases() {
        return List.of("py", "python3");
    }

    @Override
    public String displayName() {
        return "Python";
    }

    @Override
    public String extension() {
        return "py";
    }

    @Override
    public List<String> candidateBinaries() {
        return List.of("/usr/bin/python3", "/usr/local/bin/python3");
    }

    @Override
    public List<String> versionArguments() {
        return List.of("--version");
    }

    @Override
    public String parseVersion(String output) {
        return output.strip().replaceFirst("^Python ", "");
    }

    @Override
    public List<String> runCommand(String binary, String entryFile, long memoryMb) {
        // -E: ignore PYTHON* variables; -s: no user site; -B: no __pycache__ in the work dir; -u: unbuffered.
        return List.of(binary, "-E", "-s", "-B", "-u", entryFile);
    }

    @Override
    public List<String> checkCommand(String binary, String entryFile) {
        return List.of(binary, "-E", "-s", "-B", "-c", CHECKER, entryFile);
    }

    @Override
    public Optional<CodeError> runtimeError(String stderr, String entryFile) {
        int traceback = stderr.lastIndexOf("Traceback (most recent call last):");
        boolean syntax = stderr.contains("File \"" + entryFile + "\"") && stderr.contains("Error");
        if (traceback < 0 && !syntax) {
            return Optional.empty();
        }
        String tail = traceback >= 0 ? stderr.substring(traceback) : stderr;
        Pattern frame = Pattern.compile("File \"" + Pattern.quote(entryFile) + "\", line (\\d+)");
        Optional<Integer> line = ErrorText.lastLineNumber(frame, tail);
        List<String> lines = ErrorText.lines(tail);
        for (int i = lines.size() - 1; i >= 0; i--) {
            String l = lines.get(i);
            if (l.startsWith(" ") || l.isBlank()) {
                continue;
            }
            Matcher m = EXCEPTION_LINE.matcher(l);
            if (m.matches()) {
                return Optional.of(new CodeError(m.group(1), m.group(2) == null ? "" : m.group(2), line));
            }
        }
        return Optional.empty();
    }

    @Override
    public List<SyntaxProblem> syntaxProblems(String stdout, String stderr, String entryFile) {
        List<SyntaxProblem> problems = new ArrayList<>();
        try {
            JsonNode list = JSON.readTree(stdout.strip());
            if (list == null || !list.isArray()) {
                throw new IllegalArgumentException("no problem list");
            }
            for (JsonNode p : list) {
                problems.add(new SyntaxProblem(optionalInt(p.get("line")), optionalInt(p.get("column")),
                        p.path("message").asText()));
            }
        } catch (Exception e) {
            problems.add(new SyntaxProblem(Optional.empty(), Optional.empty(),
                    "the checker failed: " + (stderr.isBlank() ? stdout : stderr).strip()));
        }
        return problems;
    }

    private static Optional<Integer> optionalInt(JsonNode node) {
        return node == null || !node.isInt() ? Optional.empty() : Optional.of(node.asInt());
    }

    @Override
    public boolean reportsOutOfMemory(String stderr) {
        return stderr.contains("\nMemoryError") || stderr.startsWith("MemoryError");
    }
}
