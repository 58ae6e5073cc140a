package dev.mcpsandbox.sandbox.language;

import dev.mcpsandbox.sandbox.backend.GoLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * TypeScript, checked and compiled by the native TypeScript 7 compiler (a Go binary, {@code tsc} of the
 * npm package {@code typescript@7}; the {@code tsc} on PATH is a Node.js launcher for it) to an ES module
 * with a source map, run by the same Node.js and preload as JavaScript (so {@code tools}, top-level
 * {@code await} and {@code require} work the same), with {@code --enable-source-maps} so stack traces name
 * the TypeScript lines. The code is a {@code .mts} file: always an ES module, whatever surrounds it.
 * Compiler defaults of TypeScript 7 apply ({@code strict} on); type errors stop the run ({@code noEmitOnError}).
 */
final class TypeScriptLanguage implements Language {
    /** Declares the code-mode globals the preload defines; compiled along with the code. */
    static final String TOOLS_DECLARATION = "ts/tools.d.ts";
    private static final String SESSION_DECLARATIONS = "session-globals.d.ts";
    /**
     * Globals the checker already knows with their own types (@types/node's CommonJS names, code mode's): declaring
     * them again as {@code any} would be an error in the declarations file, and the code may assign them.
     */
    private static final Set<String> DECLARED_ELSEWHERE = Set.of("module", "exports", "require", "__filename",
            "__dirname", "global", "tools", "ToolError");
    private static final String NATIVE_PACKAGE = "@typescript/typescript-linux-x64/lib/tsc";
    private static final List<String> NODE_CANDIDATES = List.of("/usr/bin/node", "/usr/local/bin/node", "/usr/bin/nodejs");
    private static final Pattern DIAGNOSTIC = Pattern.compile("^(.+?)\\((\\d+),(\\d+)\\): error (TS\\d+: .*)$");
    private static final Pattern GLOBAL_DIAGNOSTIC = Pattern.compile("^error (TS\\d+: .*)$");
    /**
     * tsc on hello world with @types/node: ~72 MB resident, 7 threads, needs about 800 MB of address space (Go).
     * Under gVisor its file reads block longer, so the Go runtime starts more threads: 33 seen on a loaded host,
     * where a cap of 32 made it die with "failed to create new OS thread".
     */
    private static final CompilerNeeds NEEDS = new CompilerNeeds(512, 96, 1536);

    private final JavaScriptLanguage javascript = new JavaScriptLanguage();

    @Override
    public String id() {
        return "typescript";
    }

    @Override
    public List<String> aliases() {
        return List.of("ts");
    }

    @Override
    public String displayName() {
        return "TypeScript";
    }

    @Override
    public String extension() {
        return "mts";
    }

    /** The native compiler itself, never the Node.js launcher script in front of it. */
    @Override
    public List<String> candidateBinaries() {
        List<String> candidates = new ArrayList<>();
        for (String root : List.of("/usr/local/lib/node_modules", "/usr/lib/node_modules")) {
            candidates.add(root + "/typescript/node_modules/" + NATIVE_PACKAGE);
            candidates.add(root + "/" + NATIVE_PACKAGE);
        }
        return List.copyOf(candidates);
    }

    @Override
    public List<String> versionArguments() {
        return List.of("--version");
    }

    @Override
    public String parseVersion(String output) {
        return output.strip().replaceFirst("^Version\\s+", "");
    }

    /** The Node.js that runs the compiled code: the first one found, as a real path. */
    static Optional<String> node() {
        for (String candidate : NODE_CANDIDATES) {
            try {
                Path real = Path.of(candidate).toRealPath();
                if (Files.isExecutable(real)) {
                    return Optional.of(real.toString());
                }
            } catch (IOException e) {
                // try the next one
            }
        }
        return Optional.empty();
    }

    @Override
    public Optional<String> missingCompanion(String binary) {
        return node().isPresent() ? Optional.empty()
                : Optional.of("the TypeScript compiler was found at " + binary + " but no Node.js to run what it emits"
                + " (looked for " + String.join(", ", NODE_CANDIDATES) + "); install it with: apt-get install nodejs");
    }

    @Override
    public Optional<List<String>> compileCommand(String binary, String entryFile) {
        return Optional.of(tsc(binary, List.of("--noEmitOnError", "--sourceMap", "--outDir", BUILD_DIR), entryFile));
    }

    @Override
    public List<String> checkCommand(String binary, String entryFile) {
        return tsc(binary, List.of("--noEmit"), entryFile);
    }

    /**
     * In a session, the names earlier calls left in the JavaScript kernel are declared to the type checker as
     * {@code any} (their values are known only at run time; types and interfaces do not outlive their call), so a
     * call may use what an earlier one defined. The call's own declarations shadow them: the file is a module.
     */
    @Override
    public Optional<SessionCompile> sessionCompile(String binary, String entryFile, List<String> names) {
        StringBuilder declarations = new StringBuilder(
                "// What earlier calls of this session left in its JavaScript kernel, for the type checker.\n");
        names.stream().filter(name -> !DECLARED_ELSEWHERE.contains(name)).sorted()
                .forEach(name -> declarations.append("declare var ").append(name).append(": any;\n"));
        List<String> command = new ArrayList<>(tsc(binary, List.of("--noEmitOnError", "--sourceMap", "--outDir",
                BUILD_DIR), entryFile));
        command.add(SESSION_DECLARATIONS);
        return Optional.of(new SessionCompile(command, Map.of(SESSION_DECLARATIONS, declarations.toString())));
    }

    /**
     * tsc prints its diagnostics on stdout; the wrapper moves them to stderr, where compilers' diagnostics go
     * (and where a failed compile's output is returned). GOMAXPROCS bounds the compiler's threads on hosts
     * with many cores (the pids cgroup counts threads). skipLibCheck: checking @types/node itself takes most
     * of a second and is not the user's problem.
     */
    private static List<String> tsc(String binary, List<String> mode, String entryFile) {
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", "GOMAXPROCS=4 exec \"$@\" >&2", "tsc",
                binary, "--pretty", "false",
                "--skipLibCheck", "--target", "es2022", "--lib", "es2023", "--module", "nodenext"));
        nodeTypes(binary).ifPresent(types -> command.addAll(List.of("--types", "node", "--typeRoots", types)));
        command.addAll(mode);
        command.add(entryFile);
        command.add("/opt/mcp-sandbox/" + TOOLS_DECLARATION);
        return List.copyOf(command);
    }

    /** The @types directory of the global node_modules the compiler came from, when it holds @types/node. */
    static Optional<String> nodeTypes(String binary) {
        int at = binary.indexOf("/node_modules/");
        if (at < 0) {
            return Optional.empty();
        }
        Path types = Path.of(binary.substring(0, at), "node_modules", "@types");
        return Files.isDirectory(types.resolve("node")) ? Optional.of(types.toString()) : Optional.empty();
    }

    @Override
    public CompilerNeeds compilerNeeds() {
        return NEEDS;
    }

    static String compiledFile(String entryFile) {
        return BUILD_DIR + "/" + entryFile.replaceFirst("\\.mts$", "") + ".mjs";
    }

    @Override
    public List<String> runCommand(String binary, String entryFile, RunOptions options) {
        long heap = Math.max(16, options.memoryMb() * 3 / 4);
        return List.of(node().orElse("/usr/bin/node"), "--enable-source-maps", "--max-old-space-size=" + heap,
                "--import", "/opt/mcp-sandbox/" + JavaScriptLanguage.PRELOAD, compiledFile(entryFile));
    }

    /**
     * The compiled file runs in the session's JavaScript kernel (the key is JavaScript's), so TypeScript and
     * JavaScript calls share one state; the kernel maps stack traces through the compiler's source map.
     */
    @Override
    public Optional<SessionKernel> sessionKernel(String binary, String entryFile, RunOptions options) {
        return Optional.of(JavaScriptLanguage.kernel(node().orElse("/usr/bin/node"), "/workspace/" + compiledFile(entryFile),
                options));
    }

    /** Node.js waits for the go line in the preload, as for JavaScript. */
    @Override
    public GoLine goLine() {
        return javascript.goLine();
    }

    @Override
    public long addressSpaceMb(long memoryMb) {
        return javascript.addressSpaceMb(memoryMb);
    }

    @Override
    public Map<String, String> guestFiles() {
        Map<String, String> files = new HashMap<>(JavaScriptLanguage.runtimeFiles());
        files.put(TOOLS_DECLARATION, """
                // Code mode (see /opt/mcp-sandbox/js/tools.mjs): defined by the preload, typed loosely on purpose,
                // since the tools a run may call are known only at run time.
                //   await tools.everything.echo({ message: 'hi' }); await tools.call('everything.echo', {...});
                //   await tools.list(); await tools.result(value);
                declare var tools: {
                  call(name: string, args?: Record<string, unknown>): Promise<any>;
                  result(value: unknown): Promise<void>;
                  list(): Promise<Array<{ name: string; description?: string; inputSchema?: unknown }>>;
                  [server: string]: any;
                };
                declare var ToolError: {
                  new (...args: any[]): Error & { tool: string | null; reason: string; code: number | null;
                    data: Record<string, any>; detail: string };
                };
                """);
        return Map.copyOf(files);
    }

    /** Node's report, whose stack the source map has already pointed at the .mts lines. */
    @Override
    public Optional<CodeError> runtimeError(String stderr, String entryFile) {
        return javascript.runtimeError(stderr, entryFile);
    }

    /** tsc writes {@code main.mts(3,7): error TS2322: message} (on stderr, see {@link #tsc}); indented lines continue it. */
    @Override
    public List<SyntaxProblem> syntaxProblems(String stdout, String stderr, String entryFile) {
        List<SyntaxProblem> problems = new ArrayList<>();
        List<String> lines = ErrorText.lines(stdout + "\n" + stderr);
        String name = entryFile.substring(entryFile.lastIndexOf('/') + 1);
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            Matcher m = DIAGNOSTIC.matcher(l);
            Matcher global = GLOBAL_DIAGNOSTIC.matcher(l);
            if (m.matches()) {
                String file = m.group(1);
                boolean user = file.equals(entryFile) || file.equals(name) || file.endsWith("/" + name);
                String message = m.group(4) + continuation(lines, i);
                problems.add(user
                        ? new SyntaxProblem(ErrorText.parse(m.group(2)), ErrorText.parse(m.group(3)), message)
                        : new SyntaxProblem(Optional.empty(), Optional.empty(), file + "(" + m.group(2) + ","
                        + m.group(3) + "): " + message));
            } else if (global.matches()) {
                problems.add(new SyntaxProblem(Optional.empty(), Optional.empty(), global.group(1) + continuation(lines, i)));
            }
        }
        // Problems in the user's file first: the first one becomes the compile error.
        problems.sort((a, b) -> Boolean.compare(a.line().isEmpty(), b.line().isEmpty()));
        if (problems.isEmpty() && !stderr.isBlank()) {
            problems.add(new SyntaxProblem(Optional.empty(), Optional.empty(), stderr.strip()));
        }
        return problems;
    }

    private static String continuation(List<String> lines, int at) {
        StringBuilder more = new StringBuilder();
        for (int j = at + 1; j < lines.size() && lines.get(j).startsWith("  "); j++) {
            more.append('\n').append(lines.get(j).strip());
        }
        return more.toString();
    }

    @Override
    public boolean reportsOutOfMemory(String stderr) {
        return javascript.reportsOutOfMemory(stderr);
    }
}
