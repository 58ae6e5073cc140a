package dev.mcpsandbox.sandbox.language;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Node.js. The code is an ES module, so top-level {@code await} works; a preload puts {@code require}
 * on the global object so CommonJS-style code runs too.
 */
final class JavaScriptLanguage implements Language {
    private static final String PRELOAD = "js/preload.mjs";
    private static final Pattern ERROR_LINE = Pattern.compile("^(?:Uncaught )?([A-Za-z_$][\\w$]*(?:Error|Exception)?): (.*)$");

    @Override
    public String id() {
        return "javascript";
    }

    @Override
    public List<String> aliases() {
        return List.of("js", "node", "nodejs");
    }

    @Override
    public String displayName() {
        return "JavaScript (Node.js)";
    }

    @Override
    public String extension() {
        return "mjs";
    }

    @Override
    public List<String> candidateBinaries() {
        return List.of("/usr/bin/node", "/usr/local/bin/node", "/usr/bin/nodejs");
    }

    @Override
    public List<String> versionArguments() {
        return List.of("--version");
    }

    @Override
    public String parseVersion(String output) {
        return output.strip().replaceFirst("^v", "");
    }

    @Override
    public List<String> runCommand(String binary, String entryFile, long memoryMb) {
        long heap = Math.max(16, memoryMb * 3 / 4);
        return List.of(binary, "--max-old-space-size=" + heap, "--import", "/opt/mcp-sandbox/" + PRELOAD, entryFile);
    }

    @Override
    public List<String> checkCommand(String binary, String entryFile) {
        return List.of(binary, "--check", entryFile);
    }

    @Override
    public long addressSpaceMb(long memoryMb) {
        // V8 reserves large virtual areas up front; below about 1 GiB of address space node cannot start.
        return memoryMb + 2048;
    }

    @Override
    public Map<String, String> guestFiles() {
        return Map.of(PRELOAD, """
                import { createRequire } from 'node:module';
                globalThis.require = createRequire('/workspace/');
                """);
    }

    @Override
    public Optional<CodeError> runtimeError(String stderr, String entryFile) {
        Pattern location = Pattern.compile(Pattern.quote(entryFile) + ":(\\d+)");
        Optional<Integer> line = ErrorText.firstLineNumber(location, stderr);
        for (String l : ErrorText.lines(stderr)) {
            Matcher m = ERROR_LINE.matcher(l);
            if (m.matches()) {
                return Optional.of(new CodeError(m.group(1), m.group(2), line));
            }
        }
        if (line.isPresent() || stderr.contains("Uncaught")) {
            return Optional.of(new CodeError("Error", lastMeaningfulLine(stderr), line));
        }
        return Optional.empty();
    }

    private static String lastMeaningfulLine(String text) {
        List<String> lines = ErrorText.lines(text);
        for (int i = lines.size() - 1; i >= 0; i--) {
            String l = lines.get(i).strip();
            if (!l.isEmpty() && !l.startsWith("at ") && !l.startsWith("Node.js v")) {
                return l;
            }
        }
        return text.strip();
    }

    @Override
    public List<SyntaxProblem> syntaxProblems(String stdout, String stderr, String entryFile) {
        List<SyntaxProblem> problems = new ArrayList<>();
        if (stderr.isBlank()) {
            return problems;
        }
        List<String> lines = ErrorText.lines(stderr);
        Optional<Integer> line = ErrorText.firstLineNumber(Pattern.compile(Pattern.quote(entryFile) + ":(\\d+)"), stderr);
        Optional<Integer> column = Optional.empty();
        String message = lastMeaningfulLine(stderr);
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.strip().equals("^") || l.matches("^\\s*\\^+\\s*$")) {
                column = Optional.of(l.indexOf('^') + 1);
            }
            if (l.startsWith("SyntaxError") || ERROR_LINE.matcher(l).matches()) {
                message = l;
                break;
            }
        }
        problems.add(new SyntaxProblem(line, column, message));
        return problems;
    }

    @Override
    public boolean reportsOutOfMemory(String stderr) {
        return stderr.contains("JavaScript heap out of memory") || stderr.contains("Allocation failed");
    }
}
