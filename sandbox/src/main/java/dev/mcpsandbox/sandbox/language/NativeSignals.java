package dev.mcpsandbox.sandbox.language;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names the signal a native program died of. A program killed by SIGSEGV prints nothing itself, so the run
 * goes through {@code sh}, which does not exec the program (a command follows it) and therefore reports a
 * child killed by a signal on stderr, as Debian's dash does: {@code Segmentation fault}, {@code Aborted}
 * (bash: {@code sh: line 1: 123 Segmentation fault  "$0" "$@"}). The exit status stays the program's (128+N).
 */
final class NativeSignals {
    /** {@code $0} is the program, the rest its arguments. */
    static final String WRAPPER = "\"$0\" \"$@\"\nexit $?\n";

    private static final Map<String, String> SIGNALS = Map.of(
            "Segmentation fault", "SIGSEGV",
            "Aborted", "SIGABRT",
            "Floating point exception", "SIGFPE",
            "Illegal instruction", "SIGILL",
            "Bus error", "SIGBUS");
    /** dash prints the description alone; bash prefixes the shell, line and pid and appends the command. */
    private static final Pattern SIGNAL_LINE = Pattern.compile(
            "^(?:.*: line \\d+: +\\d+ )?(" + String.join("|", SIGNALS.keySet()) + ")(?: \\(core dumped\\))?(?:\\s.*)?$",
            Pattern.MULTILINE);

    private NativeSignals() {
    }

    /** Runs {@code program} (relative to /workspace) under the shell. */
    static List<String> wrapped(String program) {
        return List.of("/bin/sh", "-c", WRAPPER, program);
    }

    /** The last signal the shell reported, as an error without a line (a signal knows no source line). */
    static Optional<CodeError> fromStderr(String stderr) {
        Matcher m = SIGNAL_LINE.matcher(stderr);
        Optional<CodeError> last = Optional.empty();
        while (m.find()) {
            last = Optional.of(new CodeError(SIGNALS.get(m.group(1)), m.group(1), Optional.empty()));
        }
        return last;
    }
}
