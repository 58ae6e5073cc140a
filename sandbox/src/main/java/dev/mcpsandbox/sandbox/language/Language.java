package dev.mcpsandbox.sandbox.language;

import dev.mcpsandbox.sandbox.backend.GoLine;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How one language is found, run and checked. A new language is one implementation of this
 * interface, registered in {@link LanguageCatalog}; nothing outside this package changes.
 */
public interface Language {

    /** The id clients pass as {@code language}, e.g. {@code python}. */
    String id();

    /** Other names clients commonly use, e.g. {@code py}, {@code js}, {@code sh}. */
    List<String> aliases();

    String displayName();

    /** Extension of the file that holds the code, without the dot. */
    String extension();

    /** Absolute paths tried, in order, when the operator names no interpreter. */
    List<String> candidateBinaries();

    /**
     * Host paths outside the base runtime (/usr and the few /etc files every sandbox gets) that the toolchain
     * at {@code binary} reads, bound read-only at the same place in every sandbox of this language; e.g. the
     * JDK's configuration under /etc. Only paths that exist.
     */
    default List<String> hostPathsNeeded(String binary) {
        return List.of();
    }

    /**
     * Why the language cannot run although {@code binary} was found: a second program it needs (the runtime
     * that runs what a compiler emitted) is missing. The reason says what to install. Empty when it can run.
     */
    default Optional<String> missingCompanion(String binary) {
        return Optional.empty();
    }

    /** Arguments that make the interpreter print its version, appended to the binary. */
    List<String> versionArguments();

    /** The version as people write it, read from the output of {@link #versionArguments()}. */
    String parseVersion(String output);

    /**
     * The name of the file that holds {@code code} in the work directory. Most languages use
     * {@code main.<extension>}; Java needs the file named after its public class.
     */
    default String entryFileName(String code) {
        return "main." + extension();
    }

    /**
     * The command that runs {@code entryFile} inside the sandbox (the working directory is /workspace).
     * For a compiled language it runs what {@link #compileCommand} left under {@link #BUILD_DIR}.
     */
    List<String> runCommand(String binary, String entryFile, RunOptions options);

    /**
     * How a session runs this language: in a kernel kept between its calls, or, when empty, as a new process per
     * call ({@link #runCommand}) in the session's sandbox, which keeps the work directory and nothing else.
     */
    default Optional<SessionKernel> sessionKernel(String binary, String entryFile, RunOptions options) {
        return Optional.empty();
    }

    /** Where a compiler writes everything the run needs; the host caches this directory's files. */
    String BUILD_DIR = ".build";

    /**
     * For compiled languages: the command that compiles {@code entryFile} in a sandbox of its own (which
     * holds only the source), writing what the run needs under {@code /workspace/.build}. Diagnostics go to
     * stdout/stderr and are read with {@link #syntaxProblems}. Empty for languages that run their source.
     * The command and its flags are part of the build cache key.
     */
    default Optional<List<String>> compileCommand(String binary, String entryFile) {
        return Optional.empty();
    }

    /**
     * The compile step of a call in a session whose kernel already holds {@code names} (top-level bindings that
     * earlier calls left), for a compiler that checks one file at a time and would otherwise refuse every use of
     * them (TypeScript). Empty: the session compiles as {@link #compileCommand} does.
     */
    default Optional<SessionCompile> sessionCompile(String binary, String entryFile, List<String> names) {
        return Optional.empty();
    }

    /** A compile command and the files it reads beside the source (relative path to content). */
    record SessionCompile(List<String> command, Map<String, String> files) {
        public SessionCompile {
            command = List.copyOf(command);
            files = Map.copyOf(files);
        }
    }

    /**
     * Seconds {@link #checkCommand} may run (also its CPU seconds, less one); the operator's maximum timeout
     * still caps it. A parser is the toolchain's code, not the user's: it gets what it needs to load.
     */
    default int checkTimeoutSeconds() {
        return 15;
    }

    /** What {@link #compileCommand} and {@link #checkCommand} need at least (memory, threads, address space). */
    default CompilerNeeds compilerNeeds() {
        return CompilerNeeds.MODEST;
    }

    /**
     * The least a run needs whatever the request asked for (a headless browser's threads and memory); the
     * operator's maxima still cap it. Empty: the request's limits as they are.
     */
    default Optional<RunNeeds> runNeeds() {
        return Optional.empty();
    }

    /**
     * Host files besides the binary without which the language cannot run (a renderer's script, the browser
     * it drives). Detection reports the language missing, with its install hint, when one is absent.
     */
    default List<String> requiredFiles() {
        return List.of();
    }

    /** Who waits for the go line when {@link #runCommand} runs, so how much can be started ahead of demand. */
    default GoLine goLine() {
        return GoLine.LAUNCHER;
    }

    /** The command that checks {@code entryFile} without running it, printing diagnostics. */
    List<String> checkCommand(String binary, String entryFile);

    /** Virtual address space to allow each process; the cgroup enforces the real memory cap. */
    default long addressSpaceMb(long memoryMb) {
        return memoryMb;
    }

    /**
     * A program in this language that loads {@code modules} as {@link #modulePreload} would and ends its stdout with
     * a line {@link ModulePreload#FAILED_MARK} followed by a JSON array of {@code [module, reason]} pairs, one per
     * module that did not load; empty when the language cannot preload modules in a pre-started sandbox.
     */
    default Optional<String> modulePreloadCheck(List<String> modules) {
        return Optional.empty();
    }

    /**
     * How a sandbox started ahead of its call (the warm pool) loads the operator's {@code modules} before it waits
     * for its go line: the command to start it with instead of {@link #runCommand}, and the guest files that command
     * reads. Empty when the language cannot. A sandbox created for a call never loads them, so no call waits for them.
     */
    default Optional<ModulePreload> modulePreload(String binary, String entryFile, RunOptions options,
                                                  List<String> modules) {
        return Optional.empty();
    }

    /** A pre-started sandbox's command with the operator's modules, and the guest files it reads. */
    record ModulePreload(List<String> command, Map<String, String> guestFiles) {
        /** Starts the last line of a {@link #modulePreloadCheck} program's stdout. */
        public static final String FAILED_MARK = "mcp-sandbox-preload-failed ";

        public ModulePreload {
            command = List.copyOf(command);
            guestFiles = Map.copyOf(guestFiles);
        }
    }

    /** Files this language needs under the guest directory (/opt/mcp-sandbox), by relative path. */
    default Map<String, String> guestFiles() {
        return Map.of();
    }

    /** The error the code died of, read from its stderr, with the line in the user's file. */
    Optional<CodeError> runtimeError(String stderr, String entryFile);

    /** Syntax problems from the output of {@link #checkCommand}. */
    List<SyntaxProblem> syntaxProblems(String stdout, String stderr, String entryFile);

    /** True when {@code stderr} shows the runtime itself ran out of memory. */
    default boolean reportsOutOfMemory(String stderr) {
        return false;
    }
}
