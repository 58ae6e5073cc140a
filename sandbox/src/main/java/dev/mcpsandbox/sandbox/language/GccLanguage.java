package dev.mcpsandbox.sandbox.language;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * C and C++ with GCC, one class for both dialects. A crashed native program prints nothing, so what the run
 * can tell about an error comes from three places, read in this order: glibc's {@code assert} message
 * ({@code main: main.c:7: main: Assertion `n > 0' failed.}, a real line), libstdc++'s uncaught-exception
 * message (type and {@code what()}, no line), UBSan's {@code main.c:6:12: runtime error: …} (C only, see
 * {@link Dialect#C}), and last the signal named by the {@link NativeSignals} wrapper.
 */
final class GccLanguage implements Language {

    /** What differs between the two languages. */
    enum Dialect {
        /**
         * C17 with {@code -lm}, and UBSan ({@code -fsanitize=undefined}): it turns a null dereference, an
         * out-of-bounds index into a sized array or a division by zero into a message with the line, for next to
         * no compile time in C (measured: 0.07 s either way); the program still continues after a report.
         */
        C("c", List.of(), "C", "c", List.of("/usr/bin/gcc", "/usr/bin/cc", "/usr/local/bin/gcc"),
                List.of("-std=c17", "-Wall"), List.of("-O2", "-fsanitize=undefined"), List.of("-lm"),
                new CompilerNeeds(512, 32, 2048)),
        /**
         * C++20. No UBSan here: its instrumentation of template code doubles the compile time (a program
         * including bits/stdc++.h and regex: 7 s plain, 15 s with UBSan, 22 s with a lighter subset).
         * cc1plus on such a program needs about 450 MiB resident.
         */
        CPP("cpp", List.of("c++", "cxx", "cplusplus"), "C++", "cpp",
                List.of("/usr/bin/g++", "/usr/bin/c++", "/usr/local/bin/g++"),
                List.of("-std=c++20", "-Wall"), List.of("-O2"), List.of(),
                new CompilerNeeds(1024, 32, 2048));

        final String id;
        final List<String> aliases;
        final String displayName;
        final String extension;
        final List<String> candidates;
        final List<String> checkedFlags;
        final List<String> buildFlags;
        final List<String> libraries;
        final CompilerNeeds needs;

        Dialect(String id, List<String> aliases, String displayName, String extension, List<String> candidates,
                List<String> checkedFlags, List<String> buildFlags, List<String> libraries, CompilerNeeds needs) {
            this.id = id;
            this.aliases = aliases;
            this.displayName = displayName;
            this.extension = extension;
            this.candidates = candidates;
            this.checkedFlags = checkedFlags;
            this.buildFlags = buildFlags;
            this.libraries = libraries;
            this.needs = needs;
        }
    }

    private static final Pattern TERMINATE = Pattern.compile(
            "^terminate called after throwing an instance of '(.+)'$(?:\\n\\s*what\\(\\):\\s+(.*)$)?", Pattern.MULTILINE);

    private final Dialect dialect;

    GccLanguage(Dialect dialect) {
        this.dialect = dialect;
    }

    @Override
    public String id() {
        return dialect.id;
    }

    @Override
    public List<String> aliases() {
        return dialect.aliases;
    }

    @Override
    public String displayName() {
        return dialect.displayName;
    }

    @Override
    public String extension() {
        return dialect.extension;
    }

    @Override
    public List<String> candidateBinaries() {
        return dialect.candidates;
    }

    @Override
    public List<String> versionArguments() {
        return List.of("-dumpfullversion");
    }

    @Override
    public String parseVersion(String output) {
        return output.strip();
    }

    @Override
    public Optional<List<String>> compileCommand(String binary, String entryFile) {
        List<String> command = new ArrayList<>();
        command.add(binary);
        command.addAll(dialect.checkedFlags);
        command.addAll(dialect.buildFlags);
        command.addAll(List.of("-o", BUILD_DIR + "/main", entryFile));
        command.addAll(dialect.libraries);
        return Optional.of(List.copyOf(command));
    }

    @Override
    public CompilerNeeds compilerNeeds() {
        return dialect.needs;
    }

    @Override
    public List<String> runCommand(String binary, String entryFile, RunOptions options) {
        return NativeSignals.wrapped(BUILD_DIR + "/main");
    }

    @Override
    public List<String> checkCommand(String binary, String entryFile) {
        List<String> command = new ArrayList<>();
        command.add(binary);
        command.addAll(dialect.checkedFlags);
        command.addAll(List.of("-fsyntax-only", entryFile));
        return List.copyOf(command);
    }

    @Override
    public Optional<CodeError> runtimeError(String stderr, String entryFile) {
        String file = CompilerDiagnostics.filePattern(entryFile);
        Matcher assertion = Pattern.compile("^[^\\n:]*: " + file + ":(\\d+): (.*?): (Assertion `.*' failed\\.)$",
                Pattern.MULTILINE).matcher(stderr);
        if (assertion.find()) {
            return Optional.of(new CodeError("AssertionError", assertion.group(3) + " (in " + assertion.group(2) + ")",
                    ErrorText.parse(assertion.group(1))));
        }
        Matcher uncaught = TERMINATE.matcher(stderr);
        if (uncaught.find()) {
            return Optional.of(new CodeError(uncaught.group(1),
                    uncaught.group(2) == null ? "uncaught exception" : uncaught.group(2).strip(), Optional.empty()));
        }
        Matcher undefined = Pattern.compile("^" + file + ":(\\d+):(\\d+): runtime error: (.*)$", Pattern.MULTILINE)
                .matcher(stderr);
        if (undefined.find()) {
            return Optional.of(new CodeError("UndefinedBehavior", undefined.group(3), ErrorText.parse(undefined.group(1))));
        }
        return NativeSignals.fromStderr(stderr);
    }

    /**
     * Errors ({@code error:} and {@code fatal error:}) located in the user's file; warnings and notes are not
     * problems, so valid code with warnings validates. A failed link has no line: its
     * {@code undefined reference to …} is the message.
     */
    @Override
    public List<SyntaxProblem> syntaxProblems(String stdout, String stderr, String entryFile) {
        List<SyntaxProblem> problems = new ArrayList<>();
        Matcher m = CompilerDiagnostics.located(entryFile).matcher(stderr);
        while (m.find()) {
            String rest = m.group(3);
            String message;
            if (rest.startsWith("error: ")) {
                message = rest.substring("error: ".length());
            } else if (rest.startsWith("fatal error: ")) {
                message = rest.substring("fatal error: ".length());
            } else {
                continue;
            }
            problems.add(new SyntaxProblem(ErrorText.parse(m.group(1)),
                    m.group(2) == null ? Optional.empty() : ErrorText.parse(m.group(2)), message));
        }
        if (problems.isEmpty()) {
            Matcher link = Pattern.compile("undefined reference to (.*)$", Pattern.MULTILINE).matcher(stderr);
            if (link.find()) {
                problems.add(new SyntaxProblem(Optional.empty(), Optional.empty(), "undefined reference to " + link.group(1)));
            } else {
                Matcher other = Pattern.compile("^(?:.*: )?(?:fatal )?error: (.*)$", Pattern.MULTILINE).matcher(stderr);
                if (other.find()) {
                    problems.add(new SyntaxProblem(Optional.empty(), Optional.empty(), other.group(1)));
                }
            }
        }
        return problems;
    }

    @Override
    public boolean reportsOutOfMemory(String stderr) {
        return stderr.contains("terminate called after throwing an instance of 'std::bad_alloc'");
    }
}
