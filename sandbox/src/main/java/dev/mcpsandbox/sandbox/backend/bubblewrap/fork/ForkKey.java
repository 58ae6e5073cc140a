package dev.mcpsandbox.sandbox.backend.bubblewrap.fork;

import dev.mcpsandbox.sandbox.backend.GoLine;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What one template can stand in for: a Python interpreter with these flags that would run {@code bootstrap} with
 * {@code -c}, seeing these read-only paths and this environment. Everything else of a single-use sandbox (limits,
 * files, stdin) is per child. A spec that does not have this shape (another runtime, a session's agent, a call with
 * the network, whose filter and relay differ) gets no key and takes the cold path.
 *
 * @param interpreter the binary and the flags before {@code -c}
 */
public record ForkKey(List<String> interpreter, String bootstrap, List<String> readOnlyPaths,
                      Map<String, String> environment) {
    /** Entry files the fork protocol carries as they are (one word on a line); others take the cold path. */
    private static final Pattern PLAIN_ENTRY = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_./-]{0,200}");

    public ForkKey {
        interpreter = List.copyOf(interpreter);
        readOnlyPaths = List.copyOf(readOnlyPaths);
        environment = Map.copyOf(environment);
    }

    /** A run a template can serve: its key, and the file the bootstrap gets as its argument. */
    public record ForkableRun(ForkKey key, String entryFile) {
    }

    public static Optional<ForkableRun> of(SandboxSpec spec) {
        List<String> command = spec.command();
        int n = command.size();
        if (spec.network() || spec.goLine() != GoLine.RUNTIME || n < 4 || !"-c".equals(command.get(n - 3))
                || !Path.of(command.get(0)).getFileName().toString().startsWith("python")
                || !PLAIN_ENTRY.matcher(command.get(n - 1)).matches() || command.get(n - 1).contains("..")) {
            return Optional.empty();
        }
        return Optional.of(new ForkableRun(new ForkKey(command.subList(0, n - 3), command.get(n - 2),
                spec.readOnlyPaths(), spec.environment()), command.get(n - 1)));
    }
}
