package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.sandbox.language.CodeError;
import dev.mcpsandbox.sandbox.language.DetectedLanguage;
import dev.mcpsandbox.sandbox.limits.LimitKind;

import java.util.Optional;

/**
 * Which limit ended a run. Our watchdog names the limits it enforced itself (time, output, cgroup counters);
 * the rest end a run without it noticing first: rlimit signals, OOM kills, a full disk, a refused fork.
 */
final class LimitClassifier {
    private static final int SIGXCPU = 24;
    private static final int SIGXFSZ = 25;

    private LimitClassifier() {
    }

    /**
     * A limit the code ran into counts even when the code then exited 0 (a fork bomb's script exits at once
     * while its children keep hitting the cap).
     */
    static Optional<LimitKind> of(SandboxRun.Raw raw, DetectedLanguage language, String stderr, Optional<CodeError> error) {
        return raw.stoppedFor().or(() -> fromEnding(raw, language, stderr, error));
    }

    private static Optional<LimitKind> fromEnding(SandboxRun.Raw raw, DetectedLanguage language, String stderr,
                                                  Optional<CodeError> error) {
        int code = raw.exitCode().orElse(0);
        if (code == 128 + SIGXCPU) {
            return Optional.of(LimitKind.TIMEOUT); // CPU seconds used up
        }
        if (code == 128 + SIGXFSZ || raw.signals().diskFull()
                || error.map(e -> e.message().contains("File too large")).orElse(false)) {
            return Optional.of(LimitKind.FILE_SIZE); // SIGXFSZ, EFBIG, or ENOSPC on the sandbox's own quota
        }
        if (raw.signals().memoryExhausted() || code != 0 && language.language().reportsOutOfMemory(stderr)) {
            return Optional.of(LimitKind.MEMORY);
        }
        if (raw.signals().processCapHit()) {
            return Optional.of(LimitKind.PROCESSES);
        }
        if (raw.toolCallLimitHit()) {
            return Optional.of(LimitKind.TOOL_CALLS);
        }
        return Optional.empty();
    }
}
