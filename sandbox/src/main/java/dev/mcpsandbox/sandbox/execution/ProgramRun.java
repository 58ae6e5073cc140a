package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.config.ResourceLimits;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mcpsandbox.sandbox.backend.Launcher;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import dev.mcpsandbox.sandbox.language.CodeError;
import dev.mcpsandbox.sandbox.language.DetectedLanguage;
import dev.mcpsandbox.sandbox.language.Language;
import dev.mcpsandbox.sandbox.language.RunOptions;
import dev.mcpsandbox.sandbox.language.SessionKernel;
import dev.mcpsandbox.sandbox.language.SyntaxProblem;
import dev.mcpsandbox.sandbox.limits.LimitKind;
import dev.mcpsandbox.sandbox.network.EgressSession;
import dev.mcpsandbox.sandbox.network.NetworkAccess;
import dev.mcpsandbox.sandbox.output.CapturedOutput;
import dev.mcpsandbox.sandbox.output.Harvest;
import dev.mcpsandbox.sandbox.output.ProducedFile;
import dev.mcpsandbox.sandbox.output.SecretRedactor;
import dev.mcpsandbox.sandbox.pool.WarmPool;
import dev.mcpsandbox.sandbox.session.SessionReport;
import dev.mcpsandbox.sandbox.session.Turn;
import dev.mcpsandbox.tools.ToolLayer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One admitted request, step by step: compile (or take the build from the cache), take a pre-started sandbox
 * or create one, run, then read how it ended. A cancel is honoured between every step, not only while the code
 * runs, so a cancel that arrives while the request waits or compiles still wins.
 */
final class ProgramRun {
    private static final Logger log = LoggerFactory.getLogger(ProgramRun.class);

    /** What every run shares: the machinery, and the operator's settings that shape a run. */
    record Machinery(Sandboxes sandboxes, WarmPool warmPool, ToolLayer tools, Compilation compilation,
                     Harvest outputFiles, Optional<SecretRedactor> redactor, ResourceLimits maxima,
                     int compileTimeoutSeconds, NetworkAccess network) {
    }

    private final Machinery machinery;

    ProgramRun(Machinery machinery) {
        this.machinery = machinery;
    }

    /** @param turn the session the call runs in, its turn held; empty for a single-use sandbox */
    ExecutionOutcome run(String id, RequestCheck.Admitted request, CallContext context, Optional<Turn> turn)
            throws SandboxException, InterruptedException {
        ExecutionOutcome outcome = runIn(id, request, context, turn);
        return turn.isPresent() ? inSession(outcome, turn.get()) : outcome;
    }

    private ExecutionOutcome runIn(String id, RequestCheck.Admitted request, CallContext context, Optional<Turn> turn)
            throws SandboxException, InterruptedException {
        DetectedLanguage language = request.language();
        String entry = request.entryFile();
        List<ProducedFile> program = List.of();
        Optional<RunReport.CompileReport> compiled = Optional.empty();
        RunOptions single = new RunOptions(request.limits().memoryMb(), request.imageFormat());
        RunOptions options = turn.isPresent() ? single.inSession() : single;
        Optional<SessionKernel> kernel = turn.isPresent()
                ? language.language().sessionKernel(language.binary(), entry, options) : Optional.empty();
        Optional<Language.SessionCompile> sessionCompile = kernel.flatMap(k -> language.language().sessionCompile(
                language.binary(), entry, turn.get().kernelGlobals(k.key())));
        Optional<List<String>> compileCommand = sessionCompile.map(Language.SessionCompile::command)
                .or(() -> language.language().compileCommand(language.binary(), entry));
        if (context.cancellation().requested()) {
            return cancelledBeforeRunning(id, request, compiled);
        }
        if (compileCommand.isPresent()) {
            ResourceLimits compileLimits = Compilation.limits(request.limits(), language.language().compilerNeeds(),
                    machinery.maxima(), machinery.compileTimeoutSeconds());
            Compilation.Built built = machinery.compilation().build(id, language, compileCommand.get(), entry,
                    request.code(), sessionCompile.map(Language.SessionCompile::files).orElse(Map.of()),
                    compileLimits, context);
            if (built instanceof Compilation.Rejected rejected) {
                return compileFailed(id, request, rejected);
            }
            Compilation.Ready ready = (Compilation.Ready) built;
            program = ready.program();
            compiled = Optional.of(new RunReport.CompileReport(ready.cached(), ready.took()));
            log.debug("{}: program {} in {} ms", id, ready.cached() ? "from the build cache" : "compiled",
                    ready.took().toMillis());
            if (context.cancellation().requested()) {
                return cancelledBeforeRunning(id, request, compiled);
            }
        }
        List<String> command = language.language().runCommand(language.binary(), entry, options);
        SandboxSpec plain = SandboxRun.spec(id, language, command, language.language().goLine(), request.limits());
        SandboxSpec spec = request.network() ? machinery.network().grant(plain) : plain;
        SandboxRun.BridgeOpener bridge = socket -> Optional.of(machinery.tools().openBridge(id, socket,
                request.limits(), context.confirmer()));
        Sandbox sandbox;
        if (turn.isPresent()) {
            // The session's sandbox already runs the relay when it was opened with the network.
            sandbox = turn.get().call(kernel, Launcher.command(command, plain.goLine(), Launcher.creationLimits(plain)));
        } else {
            Optional<Sandbox> warm = machinery.warmPool().take(language.id(), spec);
            sandbox = warm.isPresent() ? warm.get() : machinery.sandboxes().backend().create(spec);
            log.debug("{}: {} sandbox", id, warm.isPresent() ? "pre-started" : "new");
        }
        Optional<EgressSession> egress = Optional.empty();
        SandboxRun.Raw raw;
        try {
            if (request.network()) {
                egress = Optional.of(machinery.network().open(id, sandbox.bridgeDir()));
            }
            SandboxRun.Inputs inputs = new SandboxRun.Inputs(entry, request.code(), request.files(), program,
                    request.stdin());
            raw = machinery.sandboxes().run(sandbox, spec, inputs, machinery.outputFiles(), bridge, context);
            if (sandbox.lostToMachinery() && turn.isEmpty() && !raw.cancelled()) {
                // A fork server's template died under the run; the code did nothing to earn that. While its
                // replacement starts, the backend starts a sandbox of its own for this second try. Not after a
                // tool call: running the code again would repeat what that call did outside the sandbox.
                if (raw.toolCalls().isEmpty()) {
                    log.warn("{}: its sandbox was lost under the run; running the code again in a new one", id);
                    raw = machinery.sandboxes().runFresh(spec, inputs, machinery.outputFiles(), bridge, context);
                } else {
                    log.warn("{}: its sandbox was lost under the run after {} tool calls; not run again", id,
                            raw.toolCalls().size());
                    raw = raw.withServerNote("the sandbox was lost under this run (the server's Python template"
                            + " process ended); the code had made tool calls, so it was not run again");
                }
            }
        } catch (java.io.IOException e) {
            sandbox.close();
            throw new SandboxException("cannot open the network proxy: " + e.getMessage(), e);
        } finally {
            egress.ifPresent(EgressSession::close);
        }
        return outcome(id, request, raw, compiled, egress);
    }

    private ExecutionOutcome outcome(String id, RequestCheck.Admitted request, SandboxRun.Raw raw,
                                     Optional<RunReport.CompileReport> compiled, Optional<EgressSession> egress) {
        DetectedLanguage language = request.language();
        OutputRedaction redaction = new OutputRedaction(machinery.redactor());
        CapturedOutput stdout = redaction.apply(raw.stdout());
        CapturedOutput stderr = redaction.apply(raw.stderr());
        Harvest.Result files = redaction.apply(raw.produced());
        Optional<CodeError> error = raw.exitCode().filter(c -> c != 0).isPresent() || raw.stoppedFor().isPresent()
                ? language.language().runtimeError(stderr.text(), "/workspace/" + request.entryFile()) : Optional.empty();
        RunReport report = new RunReport(id, language.id(), stdout, stderr, raw.duration(), error, redaction.kinds(),
                request.limits(), raw.result(), raw.toolCalls(), compiled, files)
                .withNetwork(egress.map(EgressSession::connections).orElse(List.of()));
        Optional<LimitKind> limit = LimitClassifier.of(raw, language, stderr.text(), error)
                .or(() -> egress.filter(EgressSession::capHit).map(e -> LimitKind.NETWORK));
        return ending(raw, report, limit);
    }

    /**
     * The outcome with what its session says about itself; a kernel's last-expression value becomes the result
     * when the code handed none back through the bridge.
     */
    private static ExecutionOutcome inSession(ExecutionOutcome outcome, Turn turn) {
        SessionReport session = turn.report();
        Optional<JsonNode> value = turn.kernelResult().flatMap(ProgramRun::json);
        java.util.function.UnaryOperator<RunReport> withSession = r -> {
            RunReport report = r.result().isEmpty() && value.isPresent() ? r.withResult(value) : r;
            return report.inSession(session);
        };
        if (outcome instanceof ExecutionOutcome.Finished f) {
            return new ExecutionOutcome.Finished(f.code(), withSession.apply(f.run()));
        }
        if (outcome instanceof ExecutionOutcome.LimitHit l) {
            return new ExecutionOutcome.LimitHit(l.kindOfLimit(), l.code(), withSession.apply(l.run()));
        }
        if (outcome instanceof ExecutionOutcome.Cancelled c) {
            return new ExecutionOutcome.Cancelled(withSession.apply(c.run()));
        }
        return outcome;
    }

    private static Optional<JsonNode> json(String text) {
        try {
            return Optional.of(JSON.readTree(text));
        } catch (java.io.IOException e) {
            return Optional.of(JSON.getNodeFactory().textNode(text));
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** The compiler refused the code or was stopped: its diagnostics, with the first problem as the error. */
    private ExecutionOutcome compileFailed(String id, RequestCheck.Admitted request, Compilation.Rejected rejected) {
        SandboxRun.Raw raw = rejected.raw();
        DetectedLanguage language = request.language();
        OutputRedaction redaction = new OutputRedaction(machinery.redactor());
        CapturedOutput stdout = redaction.apply(raw.stdout());
        CapturedOutput stderr = redaction.apply(raw.stderr());
        Optional<LimitKind> limit = LimitClassifier.of(raw, language, stderr.text(), Optional.empty());
        CodeError error;
        if (limit.isPresent()) {
            error = new CodeError("compile", "the compiler was stopped: " + limit.get().explanation()
                    + " (compilers get execution.compileTimeoutSeconds and at least "
                    + language.language().compilerNeeds().memoryMb() + " MB)", Optional.empty());
        } else if (raw.exitCode().orElse(-1) == 0) {
            error = new CodeError("compile", "the compiler left more output than the build cache keeps", Optional.empty());
        } else {
            List<SyntaxProblem> problems = language.language().syntaxProblems(stdout.text(), stderr.text(),
                    "/workspace/" + request.entryFile());
            error = problems.isEmpty()
                    ? new CodeError("compile", firstLine(stderr.text().isBlank() ? stdout.text() : stderr.text()),
                            Optional.empty())
                    : new CodeError("compile", problems.get(0).message(), problems.get(0).line());
        }
        RunReport report = new RunReport(id, language.id(), stdout, stderr, raw.duration(), Optional.of(error),
                redaction.kinds(), request.limits(), Optional.empty(), List.of(),
                Optional.of(new RunReport.CompileReport(false, rejected.took())), Harvest.Result.NONE);
        return ending(raw, report, limit);
    }

    private static ExecutionOutcome ending(SandboxRun.Raw raw, RunReport report, Optional<LimitKind> limit) {
        if (raw.cancelled()) {
            return new ExecutionOutcome.Cancelled(report);
        }
        if (limit.isPresent()) {
            return new ExecutionOutcome.LimitHit(limit.get(), raw.exitCode(), report);
        }
        return new ExecutionOutcome.Finished(raw.exitCode().orElse(-1), report);
    }

    /** A cancel that came before the code started: no sandbox runs, and the report says nothing ran. */
    private static ExecutionOutcome cancelledBeforeRunning(String id, RequestCheck.Admitted request,
                                                           Optional<RunReport.CompileReport> compiled) {
        log.debug("{}: cancelled before it ran", id);
        return new ExecutionOutcome.Cancelled(RunReport.nothingRan(id, request.language().id(), request.limits(),
                compiled));
    }

    private static String firstLine(String text) {
        String stripped = text.strip();
        int newline = stripped.indexOf('\n');
        return newline < 0 ? stripped : stripped.substring(0, newline);
    }
}
