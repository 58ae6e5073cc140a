package dev.mcpsandbox.sandbox.language;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rust, one file compiled by {@code rustc}: Cargo would add a manifest and a second process for nothing, since
 * no crate can be fetched without a network (a multi-file crate builds with {@code cargo} from a bash run). Optimised
 * ({@code -C opt-level=2}): on a small program it compiles about as fast as a debug build (the link dominates),
 * and runs iterator-heavy code ten times faster; overflow checks stay on, as in a debug build, so an overflow
 * is a panic with a line rather than a silent wrap. Debug info is neither generated nor linked from std
 * ({@code strip=debuginfo}): the binary shrinks from 11 MB to 450 kB and links in a third of the time; panics
 * still name the line (locations are compiled in). {@code rustc} links with {@code cc} from PATH.
 */
final class RustLanguage implements Language {
    private static final List<String> FLAGS = List.of("--edition", "2021", "-C", "opt-level=2",
            "-C", "overflow-checks=on", "-C", "debuginfo=0", "-C", "strip=debuginfo");
    private static final Pattern VERSION = Pattern.compile("rustc (\\S+)");
    /** {@code error: message} or {@code error[E0425]: message}; warnings are not problems. */
    private static final Pattern ERROR_HEADER = Pattern.compile("^error(?:\\[(E\\d{4})\\])?: (.*)$");
    private static final Pattern LOCATION = Pattern.compile("^\\s*--> (.+?):(\\d+):(\\d+)$");
    /** Up to Rust 1.72: {@code thread 'main' panicked at 'message', main.rs:3:5}. */
    private static final Pattern OLD_PANIC = Pattern.compile(
            "^thread '([^']*)' panicked at '(.*?)', ([^\\n]+?):(\\d+):(\\d+)$", Pattern.MULTILINE | Pattern.DOTALL);
    /** From Rust 1.73: {@code thread 'main' panicked at main.rs:3:5:} and the message on the next lines. */
    private static final Pattern NEW_PANIC = Pattern.compile(
            "^thread '([^']*)' panicked at ([^\\n]+?):(\\d+):(\\d+):\\n(.*?)(?:\\nnote: |\\z)", Pattern.MULTILINE | Pattern.DOTALL);
    private static final Pattern FATAL = Pattern.compile("^fatal runtime error: (.*)$", Pattern.MULTILINE);

    @Override
    public String id() {
        return "rust";
    }

    @Override
    public List<String> aliases() {
        return List.of("rs", "rustc");
    }

    @Override
    public String displayName() {
        return "Rust";
    }

    @Override
    public String extension() {
        return "rs";
    }

    /** Never a rustup proxy (it reads ~/.rustup, outside the sandbox): the distribution's rustc. */
    @Override
    public List<String> candidateBinaries() {
        return List.of("/usr/bin/rustc", "/usr/local/bin/rustc");
    }

    @Override
    public List<String> versionArguments() {
        return List.of("--version");
    }

    @Override
    public String parseVersion(String output) {
        Matcher m = VERSION.matcher(output);
        return m.find() ? m.group(1) : output.strip();
    }

    @Override
    public Optional<List<String>> compileCommand(String binary, String entryFile) {
        List<String> command = new ArrayList<>();
        command.add(binary);
        command.addAll(FLAGS);
        command.addAll(List.of("-o", BUILD_DIR + "/main", entryFile));
        return Optional.of(List.copyOf(command));
    }

    /**
     * Measured: rustc runs up to 16 codegen threads plus cc and ld (24 tasks was the least that passed),
     * about 200 MiB resident for a small program, and works under a 512 MiB address-space cap.
     */
    @Override
    public CompilerNeeds compilerNeeds() {
        return new CompilerNeeds(1024, 48, 2048);
    }

    @Override
    public List<String> runCommand(String binary, String entryFile, RunOptions options) {
        return NativeSignals.wrapped(BUILD_DIR + "/main");
    }

    /** Type and borrow checking without code generation, as {@code cargo check} does. */
    @Override
    public List<String> checkCommand(String binary, String entryFile) {
        return List.of(binary, "--edition", "2021", "--emit=metadata", "-o", "/tmp/check.rmeta", entryFile);
    }

    @Override
    public Optional<CodeError> runtimeError(String stderr, String entryFile) {
        String fileName = CompilerDiagnostics.fileName(entryFile);
        Matcher old = OLD_PANIC.matcher(stderr);
        if (old.find()) {
            return Optional.of(new CodeError("panic", old.group(2), lineIn(old.group(3), old.group(4), fileName)));
        }
        Matcher current = NEW_PANIC.matcher(stderr);
        if (current.find()) {
            return Optional.of(new CodeError("panic", current.group(5).strip(),
                    lineIn(current.group(2), current.group(3), fileName)));
        }
        Matcher fatal = FATAL.matcher(stderr);
        if (fatal.find()) {
            return Optional.of(new CodeError("fatal runtime error", fatal.group(1), Optional.empty()));
        }
        return NativeSignals.fromStderr(stderr);
    }

    /** A location counts only in the user's file, not inside the standard library. */
    private static Optional<Integer> lineIn(String file, String line, String fileName) {
        String name = file.startsWith("./") ? file.substring(2) : file.replaceFirst("^/workspace/", "");
        return name.equals(fileName) ? ErrorText.parse(line) : Optional.empty();
    }

    /**
     * Each {@code error…:} header with the {@code --> main.rs:LINE:COLUMN} that follows it; headers without a
     * location in the user's file (a failed link) are problems without a line. The closing summary
     * ({@code aborting due to…}) is not a problem of its own.
     */
    @Override
    public List<SyntaxProblem> syntaxProblems(String stdout, String stderr, String entryFile) {
        String fileName = CompilerDiagnostics.fileName(entryFile);
        List<SyntaxProblem> problems = new ArrayList<>();
        List<String> lines = ErrorText.lines(stderr);
        for (int i = 0; i < lines.size(); i++) {
            Matcher header = ERROR_HEADER.matcher(lines.get(i));
            if (!header.matches() || header.group(2).startsWith("aborting due to")
                    || header.group(2).startsWith("could not compile")) {
                continue;
            }
            String message = header.group(1) == null ? header.group(2) : header.group(2) + " [" + header.group(1) + "]";
            Optional<Integer> line = Optional.empty();
            Optional<Integer> column = Optional.empty();
            for (int j = i + 1; j < lines.size() && !lines.get(j).isBlank()
                    && !ERROR_HEADER.matcher(lines.get(j)).matches(); j++) {
                Matcher at = LOCATION.matcher(lines.get(j));
                if (at.matches()) {
                    line = lineIn(at.group(1), at.group(2), fileName);
                    column = line.isPresent() ? ErrorText.parse(at.group(3)) : Optional.empty();
                    break;
                }
            }
            problems.add(new SyntaxProblem(line, column, message));
        }
        return problems;
    }

    @Override
    public boolean reportsOutOfMemory(String stderr) {
        return Pattern.compile("^memory allocation of \\d+ bytes failed", Pattern.MULTILINE).matcher(stderr).find();
    }
}
