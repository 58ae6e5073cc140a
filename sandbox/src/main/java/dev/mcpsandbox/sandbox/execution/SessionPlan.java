package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.backend.GoLine;
import dev.mcpsandbox.sandbox.backend.RunLimits;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import dev.mcpsandbox.sandbox.language.DetectedLanguage;
import dev.mcpsandbox.sandbox.network.NetworkAccess;
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
 * @param python  the interpreter the agent runs on (the agent is Python, as is code mode's {@code tool} command)
 * @param network grants the network to sessions opened by a call that asked for it
 */
record SessionPlan(DetectedLanguage python, List<DetectedLanguage> languages, Duration maxAge,
                   boolean perUidProcessLimit, NetworkAccess network) implements SessionRegistry.SandboxPlan {
    static final String AGENT = "session/agent.py";
    private static final long OPEN_FILES = 1024;

    @Override
    public SandboxSpec spec(String id, ResourceLimits caps, boolean withNetwork) {
        Set<String> readOnly = new LinkedHashSet<>();
        languages.forEach(l -> readOnly.addAll(l.extraReadOnlyPaths()));
        List<String> command = List.of(python.binary(), "-E", "-s", "-B", "-u", "/opt/mcp-sandbox/" + AGENT);
        SandboxSpec spec = SandboxRun.spec(id, List.copyOf(readOnly), command, GoLine.LAUNCHER, caps, addressSpaceMb(caps));
        // With the network, the relay starts before the agent and serves every call; a call reaches out only while
        // its own proxy is open (network: true on that call).
        return withNetwork ? network.grant(spec) : spec;
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
