package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.config.ServerConfig;
import dev.mcpsandbox.sandbox.backend.SandboxBackend;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import dev.mcpsandbox.sandbox.build.BuildCache;
import dev.mcpsandbox.sandbox.language.DetectedLanguage;
import dev.mcpsandbox.sandbox.language.LanguageCatalog;
import dev.mcpsandbox.sandbox.language.RunOptions;
import dev.mcpsandbox.sandbox.network.EgressPolicy;
import dev.mcpsandbox.sandbox.network.NetworkAccess;
import dev.mcpsandbox.sandbox.output.Harvest;
import dev.mcpsandbox.sandbox.output.SecretRedactor;
import dev.mcpsandbox.config.SessionsConfig;
import dev.mcpsandbox.sandbox.pool.WarmPool;
import dev.mcpsandbox.sandbox.session.SessionRefused;
import dev.mcpsandbox.sandbox.session.SessionRegistry;
import dev.mcpsandbox.sandbox.session.SessionSummary;
import dev.mcpsandbox.sandbox.session.Turn;
import dev.mcpsandbox.tools.ToolLayer;
import dev.mcpsandbox.tools.bridge.GuestLibraries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sandbox module's entry point. One {@code execute_code} call: check the request ({@link RequestCheck}),
 * admit it ({@link Admission}), run it ({@link ProgramRun}), tell the listeners how it ended (audit, metrics).
 * One {@code validate_code} call: check, admit, {@link CodeValidation}. Blocking; callers run it off event loops.
 */
public final class CodeRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CodeRunner.class);
    /** Enough for the teardown of sandboxes whose runs have ended (a container's removal under load). */
    private static final Duration FINISHED_TEARDOWN = Duration.ofSeconds(3);
    private static final Duration TEARDOWN_GRACE = Duration.ofSeconds(10);

    private final SandboxBackend backend;
    private final WarmPool warmPool;
    private final LanguageCatalog languages;
    private final ServerConfig config;
    private final RequestCheck requestCheck;
    private final Admission admission;
    private final List<ExecutionListener> listeners = new CopyOnWriteArrayList<>();
    private final Clock clock;
    private final ExecutorService io;
    private final BuildCache buildCache;
    private final ProgramRun programRun;
    private final Sandboxes sandboxes;
    private final CodeValidation validation;
    private final AtomicLong sequence = new AtomicLong();
    /** Sessions, or why this server has none. */
    private final Optional<SessionRegistry> sessions;
    private final String noSessions;
    private final NetworkAccess network;
    private volatile Optional<String> stopReason = Optional.empty();

    private CodeRunner(SandboxBackend backend, ToolLayer tools, LanguageCatalog languages, ServerConfig config,
                       Clock clock, boolean perUidProcessLimit, BuildCache buildCache, NetworkAccess network) {
        this.backend = backend;
        this.network = network;
        this.warmPool = new WarmPool(backend, clock);
        this.languages = languages;
        this.config = config;
        this.requestCheck = new RequestCheck(languages, config.limits(), config.execution(), network.unavailable());
        this.admission = new Admission(config.execution().maxConcurrent(), config.execution().queueSize());
        this.clock = clock;
        this.io = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "execution-io");
            t.setDaemon(true);
            return t;
        });
        this.buildCache = buildCache;
        Optional<SecretRedactor> redactor = config.output().redactSecrets()
                ? Optional.of(SecretRedactor.standard()) : Optional.empty();
        Harvest outputFiles = new Harvest("out", config.output().maxFiles(), config.output().inlineBytesEach(),
                config.output().inlineBytesTotal());
        this.sandboxes = new Sandboxes(backend, io, perUidProcessLimit);
        this.programRun = new ProgramRun(new ProgramRun.Machinery(sandboxes, warmPool, tools,
                new Compilation(sandboxes, buildCache), outputFiles, redactor, config.limits().maxima(),
                config.execution().compileTimeoutSeconds(), network));
        this.validation = new CodeValidation(sandboxes, config.limits().maxima());
        Optional<DetectedLanguage> python = languages.find("python");
        SessionsConfig settings = config.sessions();
        if (!settings.enabled()) {
            this.sessions = Optional.empty();
            this.noSessions = "sessions are turned off on this server (sessions.enabled); leave \"session\" out";
        } else if (python.isEmpty()) {
            this.sessions = Optional.empty();
            this.noSessions = "sessions need Python 3 on this server (their agent is a Python program), which is not"
                    + " available; leave \"session\" out";
        } else {
            Duration maxAge = Duration.ofMinutes(settings.maxAgeMinutes());
            this.sessions = Optional.of(SessionRegistry.start(backend,
                    new SessionPlan(python.get(), languages.available(), maxAge, perUidProcessLimit, network),
                    new SessionRegistry.Settings(Duration.ofMinutes(settings.idleMinutes()), maxAge,
                            settings.perClient(), settings.total() > 0 ? settings.total()
                            : sessionsMemoryHolds(config.limits().defaults().memoryMb()), settings.queue()),
                    clock));
            this.noSessions = "";
        }
    }

    /** Sessions that half the machine's memory holds at {@code memoryMb} each (1 to 256). */
    private static int sessionsMemoryHolds(int memoryMb) {
        long total = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getTotalMemorySize();
        return (int) Math.max(1, Math.min(256, total / 2 / ((long) memoryMb << 20)));
    }

    /**
     * @param perUidProcessLimit true when no pids cgroup caps processes, so the per-uid rlimit must
     *                           (each sandbox then needs its own uid, which the backend guarantees)
     */
    public static CodeRunner create(SandboxBackend backend, ToolLayer tools, LanguageCatalog languages,
                                    ServerConfig config, Clock clock, boolean perUidProcessLimit)
            throws SandboxException {
        for (Map.Entry<String, String> f : languages.guestFiles().entrySet()) {
            backend.installGuestFile(f.getKey(), f.getValue(), false);
        }
        for (GuestLibraries.GuestFile f : GuestLibraries.files()) {
            backend.installGuestFile(f.relativePath(), f.content(), f.executable());
        }
        backend.installGuestFile(SessionPlan.AGENT, SessionRegistry.agentScript(), false);
        BuildCache buildCache;
        try {
            buildCache = BuildCache.create((long) config.execution().buildCacheMb() << 20);
        } catch (IOException e) {
            throw new SandboxException("cannot create the build cache directory: " + e.getMessage(), e);
        }
        NetworkAccess network = NetworkAccess.prepare(config, backend, EgressPolicy.Resolver.SYSTEM);
        CodeRunner runner = new CodeRunner(backend, tools, languages, config, clock, perUidProcessLimit, buildCache,
                network);
        runner.startWarmPools();
        return runner;
    }

    /**
     * Pre-starts sandboxes for the configured languages with the operator's default limits. A language whose
     * pre-started runtime loads the operator's modules (forkServer.preload) gets its lane after a check in the
     * background (ModulePreloads); Python's modules are its fork server's.
     */
    private void startWarmPools() {
        for (DetectedLanguage language : languages.available()) {
            // What a request that asks for nothing gets: the defaults, raised to the language's own needs.
            ResourceLimits defaults = RequestCheck.raisedToNeeds(config.limits().defaults(),
                    language.language().runNeeds(), config.limits().maxima());
            int size = config.pool().sizes().getOrDefault(language.id(), 0);
            RunOptions options = RunOptions.withMemory(defaults.memoryMb());
            List<String> command = language.language().runCommand(language.binary(), language.entryFile(""), options);
            SandboxSpec plain = SandboxRun.spec("pool", language, command, language.language().goLine(), defaults);
            List<String> modules = config.forkServer().preloadOf(language.id());
            Optional<String> check = size > 0 ? language.language().modulePreloadCheck(modules) : Optional.empty();
            if (check.isPresent()) {
                io.execute(() -> ModulePreloads.startLane(warmPool, sandboxes, language, options, plain, defaults,
                        modules, check.get(), size));
            } else {
                warmPool.keep(language.id(), plain, size);
            }
        }
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
            return ended(id, request, Optional.empty(), new ExecutionOutcome.Rejected(refused.message()), started);
        }
        RequestCheck.Admitted admitted = ((RequestCheck.Accepted) verdict).request();
        ExecutionOutcome outcome;
        try {
            if (admitted.session().isPresent()) {
                Optional<RequestCheck.Admitted> inSession = Optional.empty();
                try {
                    Optional<Turn> turn = openTurn(admitted, request, context);
                    if (turn.isEmpty()) {
                        outcome = cancelledWhileWaiting(id, admitted);
                    } else {
                        try (Turn held = turn.get()) {
                            inSession = Optional.of(admitted.withCaps(held.caps()));
                            outcome = admitAndRun(id, inSession.get(), context, turn);
                        }
                    }
                } catch (SessionRefused e) {
                    outcome = new ExecutionOutcome.Rejected(e.getMessage());
                }
                admitted = inSession.orElse(admitted);
            } else {
                outcome = admitAndRun(id, admitted, context, Optional.empty());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = new ExecutionOutcome.Failed("the server is shutting down");
        } catch (SandboxException e) {
            log.error("{}: sandbox failure", id, e);
            outcome = new ExecutionOutcome.Failed("the sandbox could not run the code: " + e.getMessage());
        }
        return ended(id, request, Optional.of(admitted.limits()), stoppedByShutdown(outcome), started);
    }

    /** Waits for the turn of the caller's session; empty when the call was cancelled while it waited. */
    private Optional<Turn> openTurn(RequestCheck.Admitted admitted, ExecutionRequest request, CallContext context)
            throws SessionRefused, InterruptedException {
        if (sessions.isEmpty()) {
            throw new SessionRefused(noSessions);
        }
        return sessions.get().acquire(context.caller(), admitted.session().orElseThrow(), admitted.limits(),
                request.requestedLimits(), admitted.network(), context.cancellation()::requested);
    }

    private ExecutionOutcome admitAndRun(String id, RequestCheck.Admitted admitted, CallContext context,
                                         Optional<Turn> turn) throws InterruptedException, SandboxException {
        Optional<Admission.Slot> slot = admission.enter(context.cancellation());
        if (slot.isPresent()) {
            try (Admission.Slot held = slot.get()) {
                return programRun.run(id, admitted, context, turn);
            }
        }
        return context.cancellation().requested() ? cancelledWhileWaiting(id, admitted)
                : new ExecutionOutcome.Rejected(busy());
    }

    private static ExecutionOutcome cancelledWhileWaiting(String id, RequestCheck.Admitted admitted) {
        return new ExecutionOutcome.Cancelled(RunReport.nothingRan(id, admitted.language().id(), admitted.limits(),
                Optional.empty()));
    }

    /** The caller's open sessions (list_languages); none where sessions are off. */
    public List<SessionSummary> sessions(String caller) {
        return sessions.map(s -> s.list(caller)).orElse(List.of());
    }

    /** Ends the caller's session {@code name}; false when the caller has none by that name. */
    public boolean endSession(String caller, String name) {
        return sessions.map(s -> s.end(caller, name)).orElse(false);
    }

    /** Why calls cannot name a session here; empty when they can. */
    public Optional<String> sessionsUnavailable() {
        return sessions.isPresent() ? Optional.empty() : Optional.of(noSessions);
    }

    /**
     * A call whose arguments could not be read as a request ends here too, so the audit and the metrics see
     * every call; {@code request} holds what could be read of it.
     */
    public ExecutionOutcome refuse(ExecutionRequest request, String message) {
        return ended(nextId(), request, Optional.empty(), new ExecutionOutcome.Rejected(message), System.nanoTime());
    }

    public ValidationOutcome validate(String languageId, String code) {
        String id = nextId();
        RequestCheck.Verdict verdict = requestCheck.check(ExecutionRequest.of(languageId, code), false);
        if (verdict instanceof RequestCheck.Refused refused) {
            return new ValidationOutcome.Rejected(refused.message());
        }
        DetectedLanguage language = ((RequestCheck.Accepted) verdict).request().language();
        try {
            Optional<Admission.Slot> slot = admission.enter(new Cancellation());
            if (slot.isEmpty()) {
                return new ValidationOutcome.Failed(busy());
            }
            try (Admission.Slot held = slot.get()) {
                return new ValidationOutcome.Checked(validation.check(id, language, code));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ValidationOutcome.Failed("the server is shutting down");
        } catch (SandboxException e) {
            log.error("{}: sandbox failure during validation", id, e);
            return new ValidationOutcome.Failed("the sandbox could not check the code: " + e.getMessage());
        }
    }

    /**
     * From now on the server is stopping runs on shutdown: a run that ends unsuccessfully ends as
     * {@link ExecutionOutcome.Stopped} with {@code why}, not as a bare kill.
     */
    public void stopRuns(String why) {
        stopReason = Optional.of(why);
    }

    private ExecutionOutcome stoppedByShutdown(ExecutionOutcome outcome) {
        Optional<String> why = stopReason;
        if (why.isEmpty() || outcome.succeeded() || outcome.kind() == ExecutionOutcome.Kind.REJECTED) {
            return outcome;
        }
        return new ExecutionOutcome.Stopped(why.get(), outcome.report());
    }

    private String busy() {
        return "the server is busy: " + config.execution().maxConcurrent() + " executions are running and "
                + config.execution().queueSize() + " are queued; retry in a few seconds";
    }

    private ExecutionOutcome ended(String id, ExecutionRequest request, Optional<ResourceLimits> limits,
                                   ExecutionOutcome outcome, long startedNanos) {
        ExecutionListener.Ended ended = new ExecutionListener.Ended(id, clock.instant(), request,
                languages.find(request.language()).map(DetectedLanguage::id), limits, outcome,
                Duration.ofNanos(System.nanoTime() - startedNanos));
        for (ExecutionListener listener : listeners) {
            try {
                listener.ended(ended);
            } catch (RuntimeException e) {
                log.warn("{}: an execution listener failed: {}", id, e.toString());
            }
        }
        return outcome;
    }

    /** {@code listener} hears every execution end from now on (audit, metrics). */
    public void listen(ExecutionListener listener) {
        listeners.add(listener);
    }

    private String nextId() {
        return "x" + ProcessHandle.current().pid() + "-" + sequence.incrementAndGet();
    }

    /** Whether calls may ask for the network here, and where packages install from. */
    public NetworkAccess network() {
        return network;
    }

    /** Executions waiting for a slot right now. */
    public int queued() {
        return admission.queued();
    }

    /** Pre-started sandboxes ready now, per language. */
    public Map<String, Integer> warmSandboxes() {
        return warmPool.ready();
    }

    /**
     * Lets background teardown of finished sandboxes complete, then destroys whatever is still alive. Runs still going
     * hold teardown threads (their output readers) until their sandboxes die, so with runs going the backend destroys
     * them at once (a SIGTERM past its grace), and the rest of the teardown finishes after that.
     */
    @Override
    public void close() {
        sessions.ifPresent(SessionRegistry::close);
        warmPool.close();
        io.shutdown();
        int running = admission.running(config.execution().maxConcurrent());
        if (running > 0) {
            log.info("{} runs still going at close; destroying their sandboxes", running);
        } else if (!awaitTeardown(FINISHED_TEARDOWN)) {
            log.info("sandbox teardown still running after {} s; destroying what is left", FINISHED_TEARDOWN.toSeconds());
        }
        backend.close();
        if (!awaitTeardown(TEARDOWN_GRACE)) {
            log.warn("sandbox teardown still running {} s after the backend closed", TEARDOWN_GRACE.toSeconds());
        }
        buildCache.close();
    }

    private boolean awaitTeardown(Duration limit) {
        try {
            return io.awaitTermination(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
