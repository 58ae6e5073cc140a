package dev.mcpsandbox.sandbox.language;

import dev.mcpsandbox.sandbox.backend.GoLine;

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
    /** Under the guest directory; TypeScript runs its compiled code with the same preload. */
    static final String PRELOAD = "js/preload.mjs";
    private static final Pattern ERROR_LINE = Pattern.compile("^(?:Uncaught )?([A-Za-z_$][\\w$]*(?:Error|Exception)|Error): (.*)$");
    private static final Pattern NODE_VERSION_LINE = Pattern.compile("^Node\\.js v\\d+\\S*$");
    private static final Pattern LOCATION_LINE = Pattern.compile("^\\S+:\\d+$");

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
    public List<String> runCommand(String binary, String entryFile, RunOptions options) {
        long heap = Math.max(16, options.memoryMb() * 3 / 4);
        return List.of(binary, "--max-old-space-size=" + heap, "--import", "/opt/mcp-sandbox/" + PRELOAD, entryFile);
    }

    @Override
    public List<String> checkCommand(String binary, String entryFile) {
        return List.of(binary, "--check", entryFile);
    }

    @Override
    public GoLine goLine() {
        return GoLine.RUNTIME_WITH_CREATION_LIMITS;
    }

    @Override
    public long addressSpaceMb(long memoryMb) {
        // V8 reserves large virtual areas up front; below about 1 GiB of address space node cannot start.
        return memoryMb + 2048;
    }

    /**
     * One worker thread per session holds the state: top-level bindings persist, a later call may declare a
     * {@code let} or {@code const} again, top-level {@code await} and the preload's globals work, and the completion
     * value is the call's result; SIGINT stops even a busy loop and keeps the state (see the kernel's header).
     * TypeScript's compiled code runs in the same kernel (same key), so the two share the session's JavaScript.
     */
    @Override
    public Optional<SessionKernel> sessionKernel(String binary, String entryFile, RunOptions options) {
        return Optional.of(kernel(binary, "/workspace/" + entryFile, options));
    }

    static SessionKernel kernel(String node, String file, RunOptions options) {
        long heap = Math.max(16, options.memoryMb() * 3 / 4);
        return new SessionKernel("javascript", List.of(node, "--max-old-space-size=" + heap, "/opt/mcp-sandbox/" + KERNEL),
                file);
    }

    /** Under the guest directory; the kernel loads the globals a single-use run gets from the preload. */
    static final String KERNEL = SessionKernel.GUEST_DIR + "js_kernel.mjs";
    /** The kernel's rewriting of module syntax, which it imports from beside itself. */
    static final String SCRIPT_SYNTAX = SessionKernel.GUEST_DIR + "js_script_syntax.mjs";
    static final String GLOBALS = "js/globals.mjs";

    /** The preload, the globals and the kernel: what a run of JavaScript or TypeScript needs in the sandbox. */
    static Map<String, String> runtimeFiles() {
        return Map.of(PRELOAD, PRELOAD_SOURCE, GLOBALS, GLOBALS_SOURCE, KERNEL, BundledScripts.text(KERNEL),
                SCRIPT_SYNTAX, BundledScripts.text(SCRIPT_SYNTAX));
    }

    @Override
    public Map<String, String> guestFiles() {
        return runtimeFiles();
    }

    // `tools` loads the bridge client on first use, so programs that never call a tool pay nothing.
    private static final String GLOBALS_BODY = """
                globalThis.require = createRequire('/workspace/');
                let client;
                const load = () => (client ??= import('/opt/mcp-sandbox/js/tools.mjs').then((m) => {
                  globalThis.ToolError = m.ToolError;
                  return m;
                }));
                const lazyServer = (server) => new Proxy(function () {}, {
                  get: (_, tool) => (tool === 'then' ? undefined
                    : (...args) => load().then((m) => m.tools[server][tool](...args))),
                });
                globalThis.tools = new Proxy({}, {
                  get: (_, name) => {
                    if (name === 'then') return undefined;
                    if (name === 'call' || name === 'result' || name === 'list') {
                      return (...args) => load().then((m) => m.tools[name](...args));
                    }
                    return lazyServer(name);
                  },
                });
                """;

    /** What the preload gives a program besides waiting for the go line; a session's kernel imports it. */
    static final String GLOBALS_SOURCE = "import { createRequire } from 'node:module';\n" + GLOBALS_BODY;

    static final String PRELOAD_SOURCE = """
                import { readSync } from 'node:fs';
                import { createRequire } from 'node:module';
                // Pre-started: wait here, before the entry file is even loaded, for the go line (its rlimits were
                // applied by the launcher when the sandbox was created). Whatever follows on stdin is the program's.
                {
                  const one = Buffer.alloc(1);
                  for (;;) {
                    if (readSync(0, one, 0, 1, null) === 0) process.exit(125);
                    if (one[0] === 10) break;
                  }
                }
                """ + GLOBALS_BODY;

    /** Under the guest directory: the operator's modules (forkServer.preload.javascript), for pre-started sandboxes. */
    static final String PRELOADED_MODULES = "js/preloaded_modules.mjs";

    /**
     * Node cannot fork once V8 runs its threads, so there is no template: each pre-started node loads the modules
     * itself, with an {@code --import} that runs before the preload that waits for the go line. Each sandbox is a
     * process of its own, so what one run does to a loaded module dies with that run.
     */
    @Override
    public Optional<ModulePreload> modulePreload(String binary, String entryFile, RunOptions options,
                                                 List<String> modules) {
        if (modules.isEmpty()) {
            return Optional.empty();
        }
        List<String> command = new ArrayList<>(runCommand(binary, entryFile, options));
        command.addAll(1, List.of("--import", "/opt/mcp-sandbox/" + PRELOADED_MODULES));
        return Optional.of(new ModulePreload(command, Map.of(PRELOADED_MODULES, moduleLoader(modules, false))));
    }

    @Override
    public Optional<String> modulePreloadCheck(List<String> modules) {
        return modules.isEmpty() ? Optional.empty() : Optional.of(moduleLoader(modules, true));
    }

    /**
     * Loads each module as the code's own {@code require} would find it (a package, a {@code node:} built-in, an
     * absolute path), so the code's {@code require} finds it in the cache; an ES-only package is imported instead.
     * In a pre-started sandbox a module that fails is passed over in silence: its stderr is the run's.
     */
    static String moduleLoader(List<String> modules, boolean report) {
        String names;
        try {
            names = JSON.writeValueAsString(modules);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a list of strings is always JSON", e);
        }
        return """
                import { createRequire } from 'node:module';
                import { pathToFileURL } from 'node:url';
                const require = createRequire('/workspace/');
                const failed = [];
                const reason = (e) => String((e && (e.code || e.message)) || e).split('\\n')[0];
                for (const name of %s) {
                  try {
                    require(name);
                  } catch (e) {
                    if (!e || e.code !== 'ERR_REQUIRE_ESM') {
                      failed.push([name, reason(e)]);
                      continue;
                    }
                    try {
                      await import(pathToFileURL(require.resolve(name)).href);
                    } catch (e2) {
                      failed.push([name, reason(e2)]);
                    }
                  }
                }
                """.formatted(names)
                + (report ? "process.stdout.write('\\n" + ModulePreload.FAILED_MARK + "' + JSON.stringify(failed) + '\\n');\n" : "");
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /**
     * Node reports an uncaught exception as a block: {@code location:line}, the source line, a caret,
     * a blank line, the error ({@code Type: message}, or the thrown value itself), the stack, and
     * finally {@code Node.js vX}. Without that closing line the program exited on its own: no error.
     */
    @Override
    public Optional<CodeError> runtimeError(String stderr, String entryFile) {
        List<String> lines = ErrorText.lines(stderr);
        int end = -1;
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (NODE_VERSION_LINE.matcher(lines.get(i)).matches()) {
                end = i;
                break;
            }
        }
        if (end < 0) {
            return Optional.empty();
        }
        int header = -1;
        for (int i = end - 1; i >= 0; i--) {
            if (LOCATION_LINE.matcher(lines.get(i)).matches()) {
                header = i;
                break;
            }
        }
        Pattern userFile = Pattern.compile(Pattern.quote(entryFile) + ":(\\d+)");
        Optional<Integer> line = ErrorText.firstLineNumber(userFile,
                String.join("\n", lines.subList(Math.max(0, header), end)));
        int i = header + 1;
        if (header >= 0) {
            while (i < end && !lines.get(i).matches("^\\s*\\^+\\s*$")) {
                i++;
            }
            i++;
        }
        while (i < end && lines.get(i).isBlank()) {
            i++;
        }
        if (i >= end) {
            return Optional.of(new CodeError("Error", "uncaught exception", line));
        }
        Matcher m = ERROR_LINE.matcher(lines.get(i));
        if (m.matches()) {
            return Optional.of(new CodeError(m.group(1), m.group(2), line));
        }
        return Optional.of(new CodeError("Uncaught", lines.get(i).strip(), line));
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
