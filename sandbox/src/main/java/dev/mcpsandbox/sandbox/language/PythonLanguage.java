package dev.mcpsandbox.sandbox.language;

import dev.mcpsandbox.sandbox.backend.GoLine;
import dev.mcpsandbox.sandbox.backend.Launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** CPython 3. Runs unbuffered (-u) so output printed before a timeout still reaches the model. */
final class PythonLanguage implements Language {
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

    /**
     * The interpreter starts first and then waits for its go line, so a pre-started sandbox has Python
     * already loaded. The go line carries the run's rlimits (see the launcher in BwrapArguments: the
     * same five fields, in ulimit's units), applied here before any user code. Then the user's file runs
     * as {@code __main__} (compiled and executed directly: runpy would import pkgutil, typing and re after
     * the go line, 8 ms) with {@code tools} and {@code ToolError} (code mode) as builtins; tracebacks
     * start at the user's own frames.
     */
    static final String BOOTSTRAP = """
            import builtins, os, resource, sys, types
            sys.path.insert(1, '/opt/mcp-sandbox/python')
            try:
                import mcp_tools
                builtins.tools, builtins.ToolError = mcp_tools.tools, mcp_tools.ToolError
                del mcp_tools
            except ImportError:
                pass
            """ + Launcher.PYTHON_GO_LINE + """
            _go()
            if os.environ.get('MCP_USER_SITE'):
                # A call with the network may pip install --user into /workspace/.local; -s left that site off
                # sys.path. Created now, so the finder sees packages installed later in this run.
                import site
                os.makedirs(site.getusersitepackages(), exist_ok=True)
                sys.path.append(site.getusersitepackages())
            sys.argv = sys.argv[1:]
            _main = '/workspace/' + sys.argv[0]
            def _hook(kind, value, tb, _default=sys.excepthook):
                t = tb
                while t is not None and t.tb_frame.f_code.co_filename != _main:
                    t = t.tb_next
                _default(kind, value, t if t is not None or issubclass(kind, SyntaxError) else tb)
            sys.excepthook = _hook
            del _hook, _go
            _module = types.ModuleType('__main__')
            _module.__file__, _module.__builtins__ = _main, builtins
            sys.modules['__main__'] = _module
            with open(_main, 'rb') as _source:
                _code = compile(_source.read(), _main, 'exec')
            del _source
            exec(_code, _module.__dict__)
            """;

    @Override
    public GoLine goLine() {
        return GoLine.RUNTIME;
    }

    @Override
    public List<String> runCommand(String binary, String entryFile, RunOptions options) {
        // -E: ignore PYTHON* variables; -s: no user site; -B: no __pycache__ in the work dir; -u: unbuffered.
        return List.of(binary, "-E", "-s", "-B", "-u", "-c", BOOTSTRAP, entryFile);
    }

    /** Globals and imports persist; a last expression's value is the call's result (see the kernel's header). */
    @Override
    public Optional<SessionKernel> sessionKernel(String binary, String entryFile, RunOptions options) {
        return Optional.of(new SessionKernel(id(), List.of(binary, "-E", "-s", "-B", "-u",
                "/opt/mcp-sandbox/" + KERNEL), "/workspace/" + entryFile));
    }

    private static final String KERNEL = SessionKernel.GUEST_DIR + "python_kernel.py";

    @Override
    public Map<String, String> guestFiles() {
        return Map.of(KERNEL, BundledScripts.text(KERNEL));
    }

    @Override
    public List<String> checkCommand(String binary, String entryFile) {
        return List.of(binary, "-E", "-s", "-B", "-c", CHECKER, entryFile);
    }

    /**
     * Reads the last traceback: its last frame in the user's file gives the line; the first unindented
     * line after the frames is {@code Type: message}, and any lines after it continue the message.
     */
    @Override
    public Optional<CodeError> runtimeError(String stderr, String entryFile) {
        List<String> lines = ErrorText.lines(stderr);
        int lastFrame = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("  File \"")) {
                lastFrame = i;
            }
        }
        if (lastFrame < 0) {
            return Optional.empty();
        }
        int traceStart = lastFrame;
        while (traceStart > 0 && !lines.get(traceStart).startsWith("Traceback (most recent call last):")) {
            traceStart--;
        }
        Pattern frame = Pattern.compile("^  File \"" + Pattern.quote(entryFile) + "\", line (\\d+)", Pattern.MULTILINE);
        Optional<Integer> line = ErrorText.lastLineNumber(frame,
                String.join("\n", lines.subList(traceStart, lastFrame + 1)));
        int i = lastFrame + 1;
        while (i < lines.size() && (lines.get(i).startsWith(" ") || lines.get(i).isBlank())) {
            i++;
        }
        if (i >= lines.size()) {
            return Optional.empty();
        }
        Matcher m = EXCEPTION_LINE.matcher(lines.get(i));
        if (!m.matches()) {
            return Optional.empty();
        }
        StringBuilder message = new StringBuilder(m.group(2) == null ? "" : m.group(2));
        for (int j = i + 1; j < lines.size() && !lines.get(j).startsWith("Traceback ")
                && !lines.get(j).startsWith("During handling"); j++) {
            message.append('\n').append(lines.get(j));
        }
        return Optional.of(new CodeError(m.group(1), message.toString().strip(), line));
    }

    @Override
    public List<SyntaxProblem> syntaxProblems(String stdout, String stderr, String entryFile) {
        return ProblemList.parse(stdout, stderr);
    }

    @Override
    public boolean reportsOutOfMemory(String stderr) {
        return stderr.contains("\nMemoryError") || stderr.startsWith("MemoryError");
    }
}
