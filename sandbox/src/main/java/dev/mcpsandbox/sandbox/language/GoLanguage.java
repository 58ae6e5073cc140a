package dev.mcpsandbox.sandbox.language;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Go, built with {@code go build} in GOPATH mode (no modules: there is no network to fetch them, and a
 * single file needs no go.mod) against the standard library the toolchain ships precompiled (Debian's
 * golang packages keep {@code pkg/linux_amd64/*.a}), so a build with an empty GOCACHE compiles only the
 * user's package: about 0.2 s. Options that would make the installed std stale are avoided: {@code -trimpath}
 * or {@code CGO_ENABLED=0} (with net or os/user) recompile parts of std, 5–10 s. Panics name
 * {@code /workspace/main.go:LINE}; compile errors {@code ./main.go:LINE:COLUMN: message}.
 */
final class GoLanguage implements Language {
    /**
     * The environment {@code go} needs, set per command because the sandbox's environment is shared by every
     * language: caches and GOPATH under the writable /tmp, no module mode, no user config file, no toolchain
     * switching (Go 1.21+ would try to download one), and two worker threads whatever the host's core count.
     */
    private static final List<String> ENV = List.of("/usr/bin/env", "GOCACHE=/tmp/go-cache", "GOPATH=/tmp/go-path",
            "GO111MODULE=off", "GOENV=off", "GOFLAGS=", "GOTOOLCHAIN=local", "GOMAXPROCS=2");
    /** Go reserves address space far beyond what it uses (hello world will not start under 650 MiB). */
    static final long RUNTIME_RESERVE_MB = 1024;
    private static final Pattern VERSION = Pattern.compile("go version go(\\S+)");
    private static final Pattern FAILURE = Pattern.compile("^(panic|fatal error): (.*)$", Pattern.MULTILINE);

    @Override
    public String id() {
        return "go";
    }

    @Override
    public List<String> aliases() {
        return List.of("golang");
    }

    @Override
    public String displayName() {
        return "Go";
    }

    @Override
    public String extension() {
        return "go";
    }

    @Override
    public List<String> candidateBinaries() {
        return List.of("/usr/bin/go", "/usr/local/go/bin/go", "/usr/lib/go/bin/go");
    }

    @Override
    public List<String> versionArguments() {
        return List.of("version");
    }

    @Override
    public String parseVersion(String output) {
        Matcher m = VERSION.matcher(output);
        return m.find() ? m.group(1) : output.strip();
    }

    @Override
    public Optional<List<String>> compileCommand(String binary, String entryFile) {
        // -s -w: no symbol table or DWARF; panics still name file and line (they read the pclntab).
        return Optional.of(go(binary, "build", "-p", "2", "-ldflags=-s -w", "-o", BUILD_DIR + "/main", entryFile));
    }

    /** Measured: go, compile, link (and gcc when cgo links net): 16 threads, under 100 MiB, 1 GiB of address space. */
    @Override
    public CompilerNeeds compilerNeeds() {
        return new CompilerNeeds(512, 32, 2048);
    }

    /** GOMEMLIMIT tells the collector the sandbox's memory cap, so it collects harder before the cgroup kills. */
    @Override
    public List<String> runCommand(String binary, String entryFile, RunOptions options) {
        long limit = Math.max(16, options.memoryMb() * 9 / 10);
        return List.of("/usr/bin/env", "GOMEMLIMIT=" + limit + "MiB", BUILD_DIR + "/main");
    }

    /** The compiler's own type check, so validate_code reports exactly what a run would. */
    @Override
    public List<String> checkCommand(String binary, String entryFile) {
        return go(binary, "build", "-p", "2", "-o", "/dev/null", entryFile);
    }

    private static List<String> go(String binary, String... arguments) {
        List<String> command = new ArrayList<>(ENV);
        command.add(binary);
        command.addAll(List.of(arguments));
        return List.copyOf(command);
    }

    @Override
    public long addressSpaceMb(long memoryMb) {
        return memoryMb + RUNTIME_RESERVE_MB;
    }

    /**
     * {@code panic: message} or {@code fatal error: message}, then the goroutine traces; the line is the first
     * frame in the user's file (the innermost: runtime frames come first for some panics).
     */
    @Override
    public Optional<CodeError> runtimeError(String stderr, String entryFile) {
        Matcher m = FAILURE.matcher(stderr);
        if (!m.find()) {
            return Optional.empty();
        }
        String message = m.group(2).replaceFirst(" \\[recovered\\]$", "");
        Pattern frame = Pattern.compile("^\\t" + CompilerDiagnostics.filePattern(entryFile) + ":(\\d+)",
                Pattern.MULTILINE);
        Optional<Integer> line = ErrorText.firstLineNumber(frame, stderr.substring(m.end()));
        return Optional.of(new CodeError(m.group(1), message, line));
    }

    /** {@code ./main.go:LINE:COLUMN: message}, continued on tab-indented lines ({@code have (int)}, {@code want (string)}). */
    @Override
    public List<SyntaxProblem> syntaxProblems(String stdout, String stderr, String entryFile) {
        List<SyntaxProblem> problems = new ArrayList<>();
        Pattern located = CompilerDiagnostics.located(entryFile);
        List<String> lines = ErrorText.lines(stderr);
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = located.matcher(lines.get(i));
            if (!m.matches()) {
                continue;
            }
            StringBuilder message = new StringBuilder(m.group(3));
            while (i + 1 < lines.size() && lines.get(i + 1).startsWith("\t")) {
                message.append('\n').append(lines.get(++i).strip());
            }
            problems.add(new SyntaxProblem(ErrorText.parse(m.group(1)),
                    m.group(2) == null ? Optional.empty() : ErrorText.parse(m.group(2)), message.toString()));
        }
        if (problems.isEmpty() && !stderr.isBlank()) {
            // Not about a line of the file: a missing package, a broken toolchain. The whole text is the message.
            String text = stderr.replaceAll("(?m)^# command-line-arguments\\R", "").strip();
            problems.add(new SyntaxProblem(Optional.empty(), Optional.empty(), text));
        }
        return problems;
    }

    @Override
    public boolean reportsOutOfMemory(String stderr) {
        return stderr.contains("fatal error: runtime: out of memory")
                || stderr.contains("runtime: out of memory: cannot allocate");
    }
}
