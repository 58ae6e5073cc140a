package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.config.ServerConfig;
import dev.mcpsandbox.sandbox.backend.GoLine;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxBackend;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import dev.mcpsandbox.sandbox.language.AdvisoryScan;
import dev.mcpsandbox.sandbox.language.CodeError;
import dev.mcpsandbox.sandbox.language.DetectedLanguage;
import dev.mcpsandbox.sandbox.language.Language;
import dev.mcpsandbox.sandbox.language.LanguageCatalog;
import dev.mcpsandbox.sandbox.language.RunOptions;
import dev.mcpsandbox.sandbox.language.SyntaxProblem;
import dev.mcpsandbox.sandbox.limits.LimitKind;
import dev.mcpsandbox.sandbox.build.BuildCache;
import dev.mcpsandbox.sandbox.output.CapturedOutput;
import dev.mcpsandbox.sandbox.output.Harvest;
import dev.mcpsandbox.sandbox.output.ProducedFile;
import dev.mcpsandbox.sandbox.output.SecretRedactor;
import dev.mcpsandbox.sandbox.pool.WarmPool;
import dev.mcpsandbox.tools.audit.AuditEvent;
import dev.mcpsandbox.tools.audit.AuditSink;
import dev.mcpsandbox.tools.ToolLayer;
import dev.mcpsandbox.tools.bridge.GuestLibraries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * The sandbox module's entry point: checks a request, admits it, runs it in a fresh single-use
 * sandbox, interprets how it ended, redacts and audits. Blocking; callers run it off event loops.
 */
public final class CodeRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CodeRunner.class);
    /** validate_code parses only; it gets tight limits of its own whatever the operator's defaults (the time is the language's). */
    private static final ResourceLimits CHECK_LIMITS = new ResourceLimits(15, 256, 16, 1 << 20, 1, 16, 0);
    /** A checker may write where a compiler would (javac -d, rustc metadata); nothing of it is read back. */
    private static final Harvest CHECK_SCRATCH = new Harvest(Language.BUILD_DIR, 0, 0, 0);

    private final SandboxBackend backend;
    private final WarmPool warmPool;
    private final ToolLayer tools;
    private final LanguageCatalog languages;
    private final ServerConfig config;
    private final RequestCheck requestCheck;
    private final Admission admission;
    private final AuditSink audit;
    private final Clock clock;
    private final Optional<SecretRedactor> redactor;
    private final boolean perUidProcessLimit;
    private final ExecutorService io;
    private final BuildCache buildCache;
    private final Compilation compilation;
    private final Harvest outputFiles;
    private final AtomicLong sequence = new AtomicLong();

    private CodeRunner(SandboxBackend backend, ToolLayer tools, LanguageCatalog languages, ServerConfig config,
                       AuditSink audit, Clock clock, boolean perUidProcessLimit, BuildCache buildCache) {
        this.backend = backend;
        this.warmPool = new WarmPool(backend, clock);
        this.tools = tools;
        this.languages = languages;
        this.config = config;
        this.requestCheck = new RequestCheck(languages, config.limits(), config.execution());
        this.admission = new Admission(config.execution().maxConcurrent(), config.execution().queueSize());
        this.audit = audit;
        this.clock = clock;
        this.redactor = config.output().redactSecrets() ? Optional.of(SecretRedactor.standard()) : Optional.empty();
        this.perUidProcessLimit = perUidProcessLimit;
        this.io = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "execution-io");
            t.setDaemon(true);
            return t;
        });
        this.buildCache = buildCache;
        this.compilation = new Compilation(backend, buildCache, io, perUidProcessLimit);
        this.outputFiles = new Harvest("out", config.output().maxFiles(), config.output().inlineBytesEach(),
                config.output().inlineBytesTotal());
    }

    /**
     * @param perUidProcessLimit true when no pids cgroup caps processes, so the per-uid rlimit must
     *                           (each sandbox then needs its own uid, which the backend guarantees)
     */
    public static CodeRunner create(SandboxBackend backend, ToolLayer tools, LanguageCatalog languages,
                                    ServerConfig config, AuditSink audit, Clock clock, boolean perUidProcessLimit)
            throws SandboxException {
        for (Map.Entry<String, String> f : languages.guestFiles().entrySet()) {
            backend.installGuestFile(f.getKey(), f.getValue(), false);
        }
        for (GuestLibraries.GuestFile f : GuestLibraries.files()) {
            backend.installGuestFile(f.relativePath(), f.content(), f.executable());
        }
        BuildCache buildCache;
        try {
            buildCache = BuildCache.create((long) config.execution().buildCacheMb() << 20);
        } catch (java.io.IOException e) {
            throw new SandboxException("cannot create the build cache directory: " + e.getMessage(), e);
        }
        CodeRunner runner = new CodeRunner(backend, tools, languages, config, audit, clock, perUidProcessLimit,
                buildCache);
        runner.startWarmPools();
        return runner;
    }

    /** Pre-starts sandboxes for the configured languages with the operator's default limits. */
    private void startWarmPools() {
        for (DetectedLanguage language : languages.available()) {
            // What a request that asks for nothing gets: the defaults, raised to the language's own needs.
            ResourceLimits defaults = RequestCheck.raisedToNeeds(config.limits().defaults(),
                    language.language().runNeeds(), config.limits().maxima());
            int size = config.pool().sizes().getOrDefault(language.id(), 0);
            List<String> command = language.language().runCommand(language.binary(), language.entryFile(""),
                    RunOptions.withMemory(defaults.memoryMb()));
            warmPool.keep(language.id(), SandboxRun.spec("pool", language, command, language.language().goLine(),
                    defaults), size);
        }
    }

    /** Pre-started sandboxes ready now, per language. */
    public Map<String, Integer> warmSandboxes() {
        return warmPool.ready();
    }

    public ToolLayer tools() {
        return tools;
    }

    public LanguageCatalog languages() {
        return languages;
    }

    public ServerConfig config() {
        return config;
    }

    /**
     * @param context lets the caller cancel the run, answers confirmation requests for tools on the confirm
     *                list, and hears stderr lines as they arrive
     */
    public ExecutionOutcome execute(ExecutionRequest request, CallContext context) {
        String id = nextId();
        long started = System.nanoTime();
        RequestCheck.Verdict verdict = requestCheck.check(request, true);
        if (verdict instanceof RequestCheck.Refused refused) {
            return audited(id, request, Optional.empty(), new ExecutionOutcome.Rejected(refused.message()), started);
        }
        RequestCheck.Admitted admitted = ((RequestCheck.Accepted) verdict).request();
        ExecutionOutcome outcome;
        try {
            Optional<Admission.Slot> slot = admission.enter();
            if (slot.isEmpty()) {
                outcome = new ExecutionOutcome.Rejected("the server is busy: " + config.execution().maxConcurrent()
                        + " executions are running and " + config.execution().queueSize()
                        + " are queued; retry in a few seconds");
            } else {
                try (Admission.Slot held = slot.get()) {
                    outcome = runAdmitted(id, admitted, context);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = new ExecutionOutcome.Failed("the server is shutting down");
        } catch (SandboxException e) {
            log.error("{}: sandbox failure", id, e);
            outcome = new ExecutionOutcome.Failed("the sandbox could not run the code: " + e.getMessage());
        }
        return audited(id, request, Optional.of(admitted.limits()), outcome, started);
    }

    private ExecutionOutcome runAdmitted(String id, RequestCheck.Admitted request, CallContext context)
            throws SandboxException, InterruptedException {
        DetectedLanguage language = request.language();
        String entry = request.entryFile();
        List<ProducedFile> program = List.of();
        Optional<RunReport.CompileReport> compiled = Optional.empty();
        Optional<List<String>> compileCommand = language.language().compileCommand(language.binary(), entry);
        if (compileCommand.isPresent()) {
            ResourceLimits compileLimits = Compilation.limits(request.limits(), language.language().compilerNeeds(),
                    config.limits().maxima(), config.execution().compileTimeoutSeconds());
            Compilation.Built built = compilation.build(id, language, compileCommand.get(), entry, request.code(),
                    compileLimits, context);
            if (built instanceof Compilation.Rejected rejected) {
                return compileFailed(id, request, rejected);
            }
            Compilation.Ready ready = (Compilation.Ready) built;
            program = ready.program();
            compiled = Optional.of(new RunReport.CompileReport(ready.cached(), ready.took()));
            log.debug("{}: program {} in {} ms", id, ready.cached() ? "from the build cache" : "compiled",
                    ready.took().toMillis());
        }
        List<String> command = language.language().runCommand(language.binary(), entry,
                new RunOptions(request.limits().memoryMb(), request.imageFormat()));
        SandboxSpec spec = SandboxRun.spec(id, language, command, language.language().goLine(), request.limits());
        SandboxRun.BridgeOpener bridge = socket -> Optional.of(tools.openBridge(id, socket, request.limits(),
                context.confirmer()));
        Sandbox sandbox = warmPool.take(language.id(), spec).orElse(null);
        boolean warm = sandbox != null;
        if (sandbox == null) {
            sandbox = backend.create(spec);
        }
        log.debug("{}: {} sandbox", id, warm ? "pre-started" : "new");
        SandboxRun.Raw raw = SandboxRun.run(sandbox, spec, new SandboxRun.Inputs(entry, request.code(), request.files(),
                program, request.stdin()), outputFiles, bridge, context, io, perUidProcessLimit);

        List<String> redactions = new ArrayList<>();
        CapturedOutput stdout = redact(raw.stdout(), redactions);
        CapturedOutput stderr = redact(raw.stderr(), redactions);
        Harvest.Result files = redact(raw.produced(), redactions);
        String guestEntry = "/workspace/" + entry;
        Optional<CodeError> error = raw.exitCode().filter(c -> c != 0).isPresent() || raw.stoppedFor().isPresent()
                ? language.language().runtimeError(stderr.text(), guestEntry) : Optional.empty();
        RunReport report = new RunReport(id, language.id(), stdout, stderr, raw.duration(), error,
                List.copyOf(new LinkedHashSet<>(redactions)), request.limits(), raw.result(), raw.toolCalls(), compiled,
                files);
        if (raw.cancelled()) {
            return new ExecutionOutcome.Cancelled(report);
        }
        Optional<LimitKind> limit = raw.stoppedFor().or(() -> limitFromEnding(raw, language, stderr.text(), error));
        if (limit.isPresent()) {
            return new ExecutionOutcome.LimitHit(limit.get(), raw.exitCode(), report);
        }
        return new ExecutionOutcome.Finished(raw.exitCode().orElse(-1), report);
    }

    /** The compiler refused the code or was stopped: its diagnostics, with the first problem as the error. */
    private ExecutionOutcome compileFailed(String id, RequestCheck.Admitted request, Compilation.Rejected rejected) {
        SandboxRun.Raw raw = rejected.raw();
        DetectedLanguage language = request.language();
        List<String> redactions = new ArrayList<>();
        CapturedOutput stdout = redact(raw.stdout(), redactions);
        CapturedOutput stderr = redact(raw.stderr(), redactions);
        Optional<LimitKind> limit = raw.stoppedFor().or(() -> limitFromEnding(raw, language, stderr.text(),
                Optional.empty()));
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
                List.copyOf(new LinkedHashSet<>(redactions)), request.limits(), Optional.empty(), List.of(),
                Optional.of(new RunReport.CompileReport(false, rejected.took())), Harvest.Result.NONE);
        if (raw.cancelled()) {
            return new ExecutionOutcome.Cancelled(report);
        }
        if (limit.isPresent()) {
            return new ExecutionOutcome.LimitHit(limit.get(), raw.exitCode(), report);
        }
        return new ExecutionOutcome.Finished(raw.exitCode().orElse(-1), report);
    }

    private static String firstLine(String text) {
        String stripped = text.strip();
        int newline = stripped.indexOf('\n');
        return newline < 0 ? stripped : stripped.substring(0, newline);
    }

    /**
     * Limits that end a run without our watchdog noticing first: rlimit signals, OOM kills, a full disk,
     * a refused fork. A limit the code ran into counts even when the code then exited 0 (a fork bomb's
     * script exits at once while its children keep hitting the cap).
     */
    private static Optional<LimitKind> limitFromEnding(SandboxRun.Raw raw, DetectedLanguage language, String stderr,
                                                       Optional<CodeError> error) {
        int code = raw.exitCode().orElse(0);
        if (code == 128 + 24) {
            return Optional.of(LimitKind.TIMEOUT); // SIGXCPU: CPU seconds used up
        }
        if (code == 128 + 25 || raw.signals().diskFull()
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

    private static String firstLines(String text, int lines) {
        return text.strip().lines().limit(lines).map(l -> l.length() > 300 ? l.substring(0, 300) + "…" : l)
                .collect(Collectors.joining("\n"));
    }

    public ValidationReport validate(String languageId, String code) {
        String id = nextId();
        RequestCheck.Verdict verdict = requestCheck.check(ExecutionRequest.of(languageId, code), false);
        if (verdict instanceof RequestCheck.Refused refused) {
            throw new IllegalArgumentException(refused.message());
        }
        DetectedLanguage language = ((RequestCheck.Accepted) verdict).request().language();
        List<AdvisoryScan.Finding> findings = AdvisoryScan.scan(language.id(), code);
        String entry = language.entryFile(code);
        List<String> command = language.language().checkCommand(language.binary(), entry);
        ResourceLimits checkLimits = CHECK_LIMITS.with(ResourceLimits.Key.TIMEOUT_SECONDS,
                Math.min(language.language().checkTimeoutSeconds(), config.limits().maxima().timeoutSeconds()));
        SandboxSpec spec = language.compiled()
                ? SandboxRun.spec(id, language, command, GoLine.LAUNCHER, Compilation.limits(checkLimits,
                        language.language().compilerNeeds(), config.limits().maxima(), checkLimits.timeoutSeconds()),
                        language.language().compilerNeeds().addressSpaceMb())
                : SandboxRun.spec(id, language, command, GoLine.LAUNCHER, checkLimits);
        try {
            Optional<Admission.Slot> slot = admission.enter();
            if (slot.isEmpty()) {
                throw new IllegalStateException("the server is busy; retry in a few seconds");
            }
            try (Admission.Slot held = slot.get()) {
                SandboxRun.Raw raw = SandboxRun.run(backend.create(spec), spec, SandboxRun.Inputs.source(entry, code),
                        CHECK_SCRATCH, SandboxRun.BridgeOpener.NONE, CallContext.detached(), io, perUidProcessLimit);
                List<SyntaxProblem> errors = raw.exitCode().orElse(1) == 0 && language.id().equals("python")
                        || raw.exitCode().orElse(1) == 0 && raw.stderr().text().isBlank()
                        ? language.language().syntaxProblems(raw.stdout().text(), "", "/workspace/" + entry)
                        : language.language().syntaxProblems(raw.stdout().text(), raw.stderr().text(), "/workspace/" + entry);
                Optional<LimitKind> stopped = raw.stoppedFor();
                if (stopped.isPresent() && (errors.isEmpty() || stopped.get() != LimitKind.OUTPUT)) {
                    // A checker that was cut short proves nothing either way; what it printed first says why.
                    log.warn("{}: {} checker stopped ({}); it printed: {}", id, language.id(), stopped.get().wireName(),
                            firstLines(raw.stderr().text() + raw.stdout().text(), 20));
                    String printed = firstLines(raw.stderr().text(), 3);
                    return new ValidationReport(false, List.of(new SyntaxProblem(Optional.empty(), Optional.empty(),
                            "the checker was stopped: " + stopped.get().explanation()
                                    + (printed.isEmpty() ? "" : "; it printed: " + printed))), findings);
                }
                int exit = raw.exitCode().orElse(-1);
                if (exit != 0 && raw.stdout().text().isBlank() && raw.stderr().text().isBlank()) {
                    // Killed without a word (RLIMIT_CPU, a signal): say how it ended, not "failed: " and nothing.
                    log.warn("{}: {} checker ended with exit code {} and printed nothing", id, language.id(), exit);
                    return new ValidationReport(false, List.of(new SyntaxProblem(Optional.empty(), Optional.empty(),
                            "the checker ended with exit code " + exit + (exit > 128 ? " (signal " + (exit - 128) + ")" : "")
                                    + " and printed nothing; the code was not checked")), findings);
                }
                // Diagnostics past the output cap are dropped; the first ones, which the cap keeps, matter most.
                return new ValidationReport(errors.isEmpty(), errors, findings);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("the server is shutting down");
        } catch (SandboxException e) {
            log.error("{}: sandbox failure during validation", id, e);
            throw new IllegalStateException("the sandbox could not check the code: " + e.getMessage());
        }
    }

    /** Text files the code wrote pass the same redactor as its stdout; pictures and binaries are left as they are. */
    private Harvest.Result redact(Harvest.Result produced, List<String> kinds) {
        if (redactor.isEmpty() || produced.files().isEmpty()) {
            return produced;
        }
        List<ProducedFile> files = new ArrayList<>();
        for (ProducedFile f : produced.files()) {
            if (f.content().isPresent() && f.isText() && !f.isImage()) {
                SecretRedactor.Redacted r = redactor.get().redact(new String(f.content().get(), StandardCharsets.UTF_8));
                kinds.addAll(r.kinds());
                if (r.changed()) {
                    byte[] text = r.text().getBytes(StandardCharsets.UTF_8);
                    f = new ProducedFile(f.path(), f.mimeType(), text.length, f.executable(), Optional.of(text));
                }
            }
            files.add(f);
        }
        return new Harvest.Result(files, produced.omitted());
    }

    private CapturedOutput redact(CapturedOutput output, List<String> kinds) {
        if (redactor.isEmpty() || output.text().isEmpty()) {
            return output;
        }
        SecretRedactor.Redacted r = redactor.get().redact(output.text());
        kinds.addAll(r.kinds());
        return r.changed() ? output.withText(r.text()) : output;
    }

    private ExecutionOutcome audited(String id, ExecutionRequest request, Optional<ResourceLimits> limits,
                                     ExecutionOutcome outcome, long startedNanos) {
        String kind;
        String detail;
        if (outcome instanceof ExecutionOutcome.Finished f) {
            kind = "exited";
            detail = Integer.toString(f.exitCode());
        } else if (outcome instanceof ExecutionOutcome.LimitHit l) {
            kind = "limit";
            detail = l.limit().wireName();
        } else if (outcome instanceof ExecutionOutcome.Cancelled) {
            kind = "cancelled";
            detail = "";
        } else if (outcome instanceof ExecutionOutcome.Rejected r) {
            kind = "rejected";
            detail = r.message();
        } else if (outcome instanceof ExecutionOutcome.Failed f) {
            kind = "failed";
            detail = f.message();
        } else {
            throw new IllegalStateException("unknown outcome " + outcome);
        }
        Map<String, Long> limitValues = new LinkedHashMap<>();
        limits.ifPresent(l -> {
            for (ResourceLimits.Key k : ResourceLimits.Key.values()) {
                limitValues.put(k.jsonName(), l.get(k));
            }
        });
        byte[] code = request.code().getBytes(StandardCharsets.UTF_8);
        long durationMs = Duration.ofNanos(System.nanoTime() - startedNanos).toMillis();
        audit.record(new AuditEvent.ExecutionFinished(clock.instant(), id, request.language(), sha256(code), code.length,
                limitValues, kind, detail, durationMs, toolCallCount(outcome)));
        log.info("{} {} {} {} in {} ms", id, request.language(), kind, detail.length() > 120 ? detail.substring(0, 120) : detail,
                durationMs);
        return outcome;
    }

    private static int toolCallCount(ExecutionOutcome outcome) {
        if (outcome instanceof ExecutionOutcome.Finished f) {
            return f.report().toolCalls().size();
        }
        if (outcome instanceof ExecutionOutcome.LimitHit l) {
            return l.report().toolCalls().size();
        }
        if (outcome instanceof ExecutionOutcome.Cancelled c) {
            return c.report().toolCalls().size();
        }
        return 0;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private String nextId() {
        return "x" + ProcessHandle.current().pid() + "-" + sequence.incrementAndGet();
    }

    /** Executions waiting for a slot right now. */
    public int queued() {
        return admission.queued();
    }

    /** Lets background teardown of finished sandboxes complete, then destroys whatever is still alive. */
    @Override
    public void close() {
        warmPool.close();
        io.shutdown();
        try {
            if (!io.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)) {
                log.warn("sandbox teardown still running after 10 s; destroying what is left");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        backend.close();
        buildCache.close();
    }
}
