package dev.mcpsandbox.sandbox.backend.bubblewrap.fork;

import dev.mcpsandbox.sandbox.backend.GoLine;
import dev.mcpsandbox.sandbox.backend.Launcher;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What one template can stand in for: a Python interpreter with these flags that would run {@code bootstrap} with
 * {@code -c}, seeing these read-only paths and this environment. Everything else of a sandbox (limits, files, stdin)
 * is per child. Two shapes have a key: a single-use run ({@code python FLAGS -c BOOTSTRAP ENTRY}, the runtime reads
 * its go line), and a Python script with no arguments behind the shell launcher ({@code python FLAGS /SCRIPT.py},
 * the session's agent), which gets {@link #SCRIPT_BOOTSTRAP} as its bootstrap: it does what the launcher would, then
 * runs the script as {@code python SCRIPT} would. A spec of another shape (another runtime, a call with the network,
 * whose filter and relay differ) gets no key and takes the cold path.
 *
 * @param interpreter the binary and the flags before {@code -c}
 */
public record ForkKey(List<String> interpreter, String bootstrap, List<String> readOnlyPaths,
                      Map<String, String> environment) {
    /** Entry files the fork protocol carries as they are (one word on a line); others take the cold path. */
    private static final Pattern PLAIN_ENTRY = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_./-]{0,200}");
    /** Flags a script's interpreter may have; a flag that takes a value (-X, -W) would hide the script's place. */
    private static final Pattern PLAIN_FLAG = Pattern.compile("-[bBdEiIOqsSuv]+");

    /**
     * The launcher's work in Python (Launcher.LAUNCHER: the go line's five rlimits, in ulimit's units, hard and soft
     * as {@code ulimit} sets them), then the script whose path, without its leading slash, is the entry, as
     * {@code __main__}. The go line is read a byte at a time, so what follows it on stdin is the script's.
     */
    static final String SCRIPT_BOOTSTRAP = """
            import builtins, os, resource, sys, types
            """ + Launcher.PYTHON_GO_LINE + """
            _go()
            _script = '/' + sys.argv[1]
            sys.argv = [_script]
            sys.path[0] = os.path.dirname(_script)
            _module = types.ModuleType('__main__')
            _module.__file__, _module.__builtins__ = _script, builtins
            sys.modules['__main__'] = _module
            with open(_script, 'rb') as _source:
                _code = compile(_source.read(), _script, 'exec')
            exec(_code, _module.__dict__)
            """;

    /**
     * What the scripts served by the script shape import as they start (the session's agent, and Python's kernel,
     * which the agent forks from itself): imported once by their template, not by each session. ast and traceback
     * alone are 11 ms of a first call's 60 (measured on a loaded 2-core machine).
     */
    private static final List<String> SCRIPT_PRELOAD = List.of("ast", "base64", "fcntl", "json", "selectors", "traceback");

    public ForkKey {
        interpreter = List.copyOf(interpreter);
        readOnlyPaths = List.copyOf(readOnlyPaths);
        environment = Map.copyOf(environment);
    }

    /** Modules the template imports for this key's runs, before the operator's. */
    public List<String> preload() {
        return bootstrap.equals(SCRIPT_BOOTSTRAP) ? SCRIPT_PRELOAD : List.of();
    }

    /** A run a template can serve: its key, and the file the bootstrap gets as its argument. */
    public record ForkableRun(ForkKey key, String entryFile) {
    }

    public static Optional<ForkableRun> of(SandboxSpec spec) {
        List<String> command = spec.command();
        int n = command.size();
        if (spec.network() || n < 2 || !Path.of(command.get(0)).getFileName().toString().startsWith("python")) {
            return Optional.empty();
        }
        if (spec.goLine() == GoLine.LAUNCHER) {
            return script(spec);
        }
        if (spec.goLine() != GoLine.RUNTIME || n < 4 || !"-c".equals(command.get(n - 3)) || !plain(command.get(n - 1))) {
            return Optional.empty();
        }
        return Optional.of(new ForkableRun(new ForkKey(command.subList(0, n - 3), command.get(n - 2),
                spec.readOnlyPaths(), spec.environment()), command.get(n - 1)));
    }

    /** {@code python FLAGS /SCRIPT.py}: a script with no arguments, every word before it a plain flag. */
    private static Optional<ForkableRun> script(SandboxSpec spec) {
        List<String> command = spec.command();
        int n = command.size();
        String script = command.get(n - 1);
        if (!script.startsWith("/") || !script.endsWith(".py") || !plain(script.substring(1))
                || !command.subList(1, n - 1).stream().allMatch(f -> PLAIN_FLAG.matcher(f).matches())) {
            return Optional.empty();
        }
        return Optional.of(new ForkableRun(new ForkKey(command.subList(0, n - 1), SCRIPT_BOOTSTRAP,
                spec.readOnlyPaths(), spec.environment()), script.substring(1)));
    }

    private static boolean plain(String entry) {
        return PLAIN_ENTRY.matcher(entry).matches() && !entry.contains("..");
    }
}
