package dev.mcpsandbox.sandbox.execution;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.backend.GoLine;
import dev.mcpsandbox.sandbox.backend.RunLimits;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import dev.mcpsandbox.sandbox.language.DetectedLanguage;
import dev.mcpsandbox.sandbox.language.Language;
import dev.mcpsandbox.sandbox.limits.LimitKind;
import dev.mcpsandbox.sandbox.output.CapturedOutput;
import dev.mcpsandbox.sandbox.output.Harvest;
import dev.mcpsandbox.sandbox.output.ProducedFile;
import dev.mcpsandbox.sandbox.output.OutputCapture;
import dev.mcpsandbox.tools.bridge.BridgeSession;
import dev.mcpsandbox.tools.bridge.ToolCallRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One program in one single-use sandbox, step by step: create the sandbox, place the code and files,
 * start draining output, send the go signal, watch the clock and the cgroup counters, collect.
 * Every process of the sandbox is dead before this returns, whatever happened; removing its files and
 * cgroups happens off the request path, on {@code io}.
 */
final class SandboxRun {
    private static final Logger log = LoggerFactory.getLogger(SandboxRun.class);
    private static final Duration WATCH_INTERVAL = Duration.ofMillis(25);
    /**
     * How long a result waits, after the code ended or was killed, for the sandbox to be gone (every process
     * ended, every stream at its end). A loaded machine has taken seconds to kill a gVisor sandbox.
     */
    private static final Duration SETTLE = Duration.ofSeconds(5);
    /** How long the readers get to hand over what they read, once the streams have ended. */
    private static final Duration DRAIN_GRACE = Duration.ofSeconds(2);
    /**
     * Per process. Node reads an ES module graph's files all at once: Mermaid's parser (about 1,240 modules) needs
     * between 256 and 512 open at its peak (render.mjs relies on this). The Docker backend's hard ulimit is 1024
     * as well.
     */
    private static final long OPEN_FILES = 1024;
    /** The bridge socket's name in the sandbox's bridge directory, seen inside as /run/mcp/tools.sock. */
    static final String BRIDGE_SOCKET = "tools.sock";

    /** What the run produced; {@code stoppedFor} is set when we killed it for a limit. */
    record Raw(Optional<Integer> exitCode, Optional<LimitKind> stoppedFor, boolean cancelled, CapturedOutput stdout,
               CapturedOutput stderr, Duration duration, Sandbox.EndSignals signals, Optional<JsonNode> result,
               List<ToolCallRecord> toolCalls, boolean toolCallLimitHit, Harvest.Result produced) {

        /** The same run with a line of the server's own at the end of its stderr. */
        Raw withServerNote(String line) {
            String text = stderr.text();
            String noted = text + (text.isEmpty() || text.endsWith("\n") ? "" : "\n") + "mcp-sandbox: " + line + "\n";
            return new Raw(exitCode, stoppedFor, cancelled, stdout, stderr.withText(noted), duration, signals, result,
                    toolCalls, toolCallLimitHit, produced);
        }
    }

    /**
     * What goes into the work directory before the go line.
     *
     * @param program a compiled program's files, placed under {@link Language#BUILD_DIR} with their modes
     */
    record Inputs(String entryFile, String code, Map<String, byte[]> files, List<ProducedFile> program, byte[] stdin) {
        static Inputs source(String entryFile, String code) {
            return new Inputs(entryFile, code, Map.of(), List.of(), new byte[0]);
        }
    }

    /** Opens the tool bridge of a run at a host socket path inside its sandbox; empty for runs without one. */
    @FunctionalInterface
    interface BridgeOpener {
        Optional<BridgeSession> open(Path socket) throws IOException;

        BridgeOpener NONE = socket -> Optional.empty();
    }

    private SandboxRun() {
    }

    /** @param goLine who waits for the go line (see {@link GoLine}) */
    static SandboxSpec spec(String executionId, DetectedLanguage language, List<String> command,
                            GoLine goLine, ResourceLimits limits) {
        return spec(executionId, language, command, goLine, limits, language.language().addressSpaceMb(limits.memoryMb()));
    }

    /** @param addressSpaceMb per-process virtual memory (compilers need their own, see CompilerNeeds) */
    static SandboxSpec spec(String executionId, DetectedLanguage language, List<String> command,
                            GoLine goLine, ResourceLimits limits, long addressSpaceMb) {
        return spec(executionId, language.extraReadOnlyPaths(), command, goLine, limits, addressSpaceMb);
    }

    /** @param readOnly host paths besides the base runtime the sandbox sees read-only */
    static SandboxSpec spec(String executionId, List<String> readOnly, List<String> command,
                            GoLine goLine, ResourceLimits limits, long addressSpaceMb) {
        Map<String, String> env = Map.of(
                "PATH", "/opt/mcp-sandbox/bin:/usr/local/bin:/usr/bin:/bin",
                "HOME", "/workspace",
                "LANG", "C.UTF-8",
                "TMPDIR", "/tmp",
                "MCP_TOOLS_SOCKET", "/run/mcp/tools.sock",
                // glibc reserves 64 MiB of address space per thread arena; under the address-space rlimit that
                // leaves room for only a dozen threads. Two arenas cost little speed and allow many threads.
                "MALLOC_ARENA_MAX", "2");
        return new SandboxSpec(executionId, command, readOnly, env, limits, addressSpaceMb, goLine);
    }

    /**
     * @param sandbox a fresh sandbox made from {@code spec}, pre-started or just created; this run is its only use
     * @param spec    the plan it was made from, with this run's limits
     */
    static Raw run(Sandbox sandbox, SandboxSpec spec, Inputs inputs, Harvest harvest, BridgeOpener bridgeOpener,
                   CallContext context, Executor io, boolean perUidProcessLimit)
            throws SandboxException, InterruptedException {
        Cancellation cancellation = context.cancellation();
        ResourceLimits limits = spec.limits();
        Optional<BridgeSession> bridge = Optional.empty();
        try {
            place(sandbox, inputs.entryFile(), inputs.code().getBytes(StandardCharsets.UTF_8), false);
            for (Map.Entry<String, byte[]> f : inputs.files().entrySet()) {
                place(sandbox, f.getKey(), f.getValue(), false);
            }
            for (ProducedFile f : inputs.program()) {
                place(sandbox, Language.BUILD_DIR + "/" + f.path(), f.content().orElseThrow(), f.executable());
            }
            try {
                sandbox.createDirectory(harvest.directory());
            } catch (IOException e) {
                throw new SandboxException("cannot create " + harvest.directory() + "/ in the sandbox", e);
            }
            try {
                bridge = bridgeOpener.open(sandbox.bridgeDir().resolve(BRIDGE_SOCKET));
            } catch (IOException e) {
                throw new SandboxException("cannot open the tool bridge: " + e.getMessage(), e);
            }
            AtomicReference<LimitKind> stoppedFor = new AtomicReference<>();
            Runnable outputOverflow = () -> {
                stoppedFor.compareAndSet(null, LimitKind.OUTPUT);
                sandbox.kill();
            };
            OutputCapture out = OutputCapture.start(sandbox.stdout(), limits.outputBytes(), outputOverflow, io);
            OutputCapture err = OutputCapture.start(sandbox.stderr(), limits.outputBytes(), outputOverflow, io,
                    context.stderrLines());

            RunLimits runLimits = new RunLimits(limits.timeoutSeconds() + 1L, limits.fileSizeMb() * 1024L * 1024L,
                    OPEN_FILES, spec.addressSpaceMb() * 1024L * 1024L, perUidProcessLimit ? limits.processes() : 0);
            long started = System.nanoTime();
            try {
                sandbox.begin(runLimits, inputs.stdin());
            } catch (IOException e) {
                // The launcher died before reading its go line; what it printed says why.
                sandbox.kill();
            }
            long deadline = started + TimeUnit.SECONDS.toNanos(limits.timeoutSeconds());
            boolean cancelled = false;
            Optional<Integer> exit = Optional.empty();
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    stoppedFor.compareAndSet(null, LimitKind.TIMEOUT);
                    break;
                }
                exit = sandbox.awaitExit(Duration.ofNanos(Math.min(left, WATCH_INTERVAL.toNanos())));
                if (exit.isPresent() || stoppedFor.get() != null) {
                    break;
                }
                if (cancellation.requested()) {
                    cancelled = true;
                    break;
                }
                Sandbox.EndSignals signals = sandbox.endSignals();
                if (signals.processCapHit()) {
                    stoppedFor.compareAndSet(null, LimitKind.PROCESSES);
                    break;
                }
                if (signals.memoryExhausted()) {
                    stoppedFor.compareAndSet(null, LimitKind.MEMORY);
                    break;
                }
            }
            long settleBy = System.nanoTime() + SETTLE.toNanos();
            if (exit.isEmpty()) {
                // Killed by us: the exit status is ours, not the code's, so it is reported as none.
                sandbox.kill();
                sandbox.awaitExit(SETTLE);
            }
            Duration duration = Duration.ofNanos(System.nanoTime() - started);
            // No process of a finished run may go on running, and what the code wrote before its end belongs in
            // the result: both hold once the sandbox is gone.
            boolean gone = sandbox.awaitGone(Duration.ofNanos(Math.max(0, settleBy - System.nanoTime())));
            if (!gone) {
                log.warn("{}: the sandbox was not gone {} s after the end of its code; its result has what was"
                        + " read by then, and its teardown goes on", spec.executionId(), SETTLE.toSeconds());
            }
            Sandbox.EndSignals signals = sandbox.endSignals();
            Duration drain = gone ? DRAIN_GRACE : Duration.ofMillis(100);
            CapturedOutput stdout = collect(out, drain);
            CapturedOutput stderr = collect(err, drain);
            if (stoppedFor.get() == LimitKind.OUTPUT) {
                exit = Optional.empty();
            }
            bridge.ifPresent(BridgeSession::close);
            Harvest.Result produced;
            try {
                produced = sandbox.harvest(harvest);
            } catch (IOException e) {
                log.warn("{}: cannot collect {}/: {}", spec.executionId(), harvest.directory(), e.getMessage());
                produced = Harvest.Result.NONE;
            }
            return new Raw(exit, Optional.ofNullable(stoppedFor.get()), cancelled, stdout, stderr, duration, signals,
                    bridge.flatMap(BridgeSession::result), bridge.map(BridgeSession::toolCalls).orElse(List.of()),
                    bridge.map(BridgeSession::callLimitHit).orElse(false), produced);
        } finally {
            bridge.ifPresent(BridgeSession::close);
            sandbox.kill();
            try {
                io.execute(sandbox::close);
            } catch (RejectedExecutionException e) {
                // The server is closing and its teardown threads are gone: tear down here, so the run still ends
                // with its result (a shutdown's "server_shutdown") instead of an internal error.
                sandbox.close();
            }
        }
    }

    /** The message names the file as the caller gave it, never the host path behind it. */
    private static void place(Sandbox sandbox, String name, byte[] content, boolean executable)
            throws SandboxException {
        try {
            sandbox.writeFile(name, content, executable);
        } catch (IOException e) {
            throw new SandboxException("cannot write input file \"" + name + "\" into the sandbox ("
                    + e.getClass().getSimpleName() + ")", e);
        }
    }

    /** A stream whose end does not come in time still gives what was read of it, never nothing. */
    private static CapturedOutput collect(OutputCapture capture, Duration limit) throws InterruptedException {
        try {
            return capture.result().get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return capture.soFar();
        }
    }
}
