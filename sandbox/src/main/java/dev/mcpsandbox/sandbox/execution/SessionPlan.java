package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.backend.GoLine;
import dev.mcpsandbox.sandbox.backend.RunLimits;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import dev.mcpsandbox.sandbox.language.DetectedLanguage;
import dev.mcpsandbox.sandbox.session.SessionRegistry;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A session's sandbox: the single-use plan (same environment, same isolation), with the agent as its command,
 * every language's extra read-only paths (one session runs any of them), and rlimits that suit a sandbox living
 * for hours: CPU seconds for its whole age, address space for its hungriest runtime. Calls that start a process
 * lower them again through the launcher, as single-use runs do.
 *
 * @param python the interpreter the agent runs on (the agent is Python, as is code mode's {@code tool} command)
 */
record SessionPlan(DetectedLanguage python, List<DetectedLanguage> languages, Duration maxAge,
                   boolean perUidProcessLimit) implements SessionRegistry.SandboxPlan {
    static final String AGENT = "session/agent.py";
    private static final long OPEN_FILES = 1024;

    @Override
    public SandboxSpec spec(String id, ResourceLimits caps) {
        Set<String> readOnly = new LinkedHashSet<>();
        languages.forEach(l -> readOnly.addAll(l.extraReadOnlyPaths()));
        List<String> command = List.of(python.binary(), "-E", "-s", "-B", "-u", "/opt/mcp-sandbox/" + AGENT);
        return SandboxRun.spec(id, List.copyOf(readOnly), command, GoLine.LAUNCHER, caps, addressSpaceMb(caps));
    }

    @Override
    public RunLimits agentLimits(ResourceLimits caps) {
        return new RunLimits(maxAge.toSeconds() + 60, caps.fileSizeMb() * 1024L * 1024L, OPEN_FILES,
                addressSpaceMb(caps) * 1024L * 1024L, perUidProcessLimit ? caps.processes() : 0);
    }

    private long addressSpaceMb(ResourceLimits caps) {
        return languages.stream().mapToLong(l -> l.language().addressSpaceMb(caps.memoryMb())).max()
                .orElse(caps.memoryMb());
    }
}
