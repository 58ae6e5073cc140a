package dev.mcpsandbox.sandbox.session;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.language.SessionKernel;

import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One call's hold on its session: while it is held no other call of the session runs. It hands out the call's
 * sandbox view, then says what the result reports about the session; closing it settles what the call left
 * (a lost kernel, a cap that costs the sandbox) and lets the next call in.
 */
public final class Turn implements AutoCloseable {
    private final LiveSession session;
    private final SessionRegistry registry;
    private final Clock clock;
    private final ScheduledExecutorService timers;
    private final boolean created;
    private final AtomicBoolean closed = new AtomicBoolean();
    private Optional<SessionCall> call = Optional.empty();
    private Optional<String> sandboxLost = Optional.empty();

    Turn(LiveSession session, SessionRegistry registry, Clock clock, ScheduledExecutorService timers, boolean created,
         Optional<String> endedBefore) {
        this.session = session;
        this.registry = registry;
        this.clock = clock;
        this.timers = timers;
        this.created = created;
        this.sandboxLost = endedBefore;
    }

    /** The caps the whole session runs under (its memory, processes and disk), fixed when it was created. */
    public ResourceLimits caps() {
        return session.caps;
    }

    /**
     * The sandbox this call runs in: the session's, started first when it has none.
     *
     * @param kernel         the language's kernel, or empty for a new process per call
     * @param processCommand the command of that process, launcher included
     */
    public Sandbox call(Optional<SessionKernel> kernel, List<String> processCommand)
            throws SandboxException, InterruptedException {
        AgentChannel agent = session.ready(registry.backend(), registry.plan());
        Sandbox sandbox = session.sandbox().orElseThrow(() -> new SandboxException("the session's sandbox is gone"));
        Optional<String> lost = session.beginCall();
        sandboxLost = sandboxLost.or(() -> lost);
        SessionCall made = new SessionCall(session, sandbox, agent, session.calls(), kernel, processCommand, timers);
        call = Optional.of(made);
        return made;
    }

    /** What the result says about the session, once the call has ended. */
    public SessionReport report() {
        Optional<CallSink.End> end = call.flatMap(SessionCall::end);
        Optional<SessionKernel> kernel = call.flatMap(SessionCall::kernel);
        Optional<String> kernelRestart = kernel.isPresent() && end.isPresent() && end.get().lost().isEmpty()
                ? session.kernelRestart(kernel.get().key(), end.get().fresh()) : Optional.empty();
        Optional<String> reason = sandboxLost.or(() -> kernelRestart.map(why -> "the " + kernel.get().key()
                + " state of earlier calls was lost: " + why));
        // A kernel that died during this call loses its state for the next one; the result says so now.
        Optional<String> lostNow = kernel.isPresent() && end.isPresent() && end.get().kernel().equals("died")
                ? Optional.of("the " + kernel.get().key() + " interpreter ended during this call (" + ended(end.get())
                + "): what it held is gone, and its next call starts afresh") : Optional.empty();
        return new SessionReport(session.key.name(), session.calls(), session.createdAt,
                registry.expiresAt(session, clock.instant()), created, reason.isPresent(), reason.or(() -> lostNow));
    }

    /**
     * The top-level names earlier calls left in the kernel {@code kernelKey} (JavaScript's, which TypeScript's calls
     * share), for a compiler that checks one call's file at a time.
     */
    public List<String> kernelGlobals(String kernelKey) {
        return session.globals(kernelKey);
    }

    /** The value of the call's last expression, from kernels that have one (a notebook cell's result). */
    public Optional<String> kernelResult() {
        return call.flatMap(SessionCall::end).flatMap(CallSink.End::result);
    }

    private static String ended(CallSink.End end) {
        return end.signal().map(s -> "signal " + s)
                .orElseGet(() -> "exit status " + end.code().map(String::valueOf).orElse("unknown"));
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            call.ifPresent(this::settle);
            session.used(clock.instant());
        } finally {
            session.turn.release();
            registry.released(session);
        }
    }

    /** What a call's end costs the session: a kernel's state when it died, the whole sandbox after a cap. */
    private void settle(SessionCall made) {
        made.kill();
        Optional<CallSink.End> end = made.end();
        Sandbox.EndSignals signals = made.endSignals();
        if (signals.memoryExhausted() || signals.processCapHit()) {
            session.loseSandbox("the previous call hit the session's " + (signals.memoryExhausted()
                    ? "memory cap (" + session.caps.memoryMb() + " MB)" : "process cap (" + session.caps.processes() + ")")
                    + ", which ended its sandbox with everything in it");
        } else if (end.isEmpty() || end.get().lost().isPresent()) {
            session.loseSandbox("the session's sandbox was lost: "
                    + end.flatMap(CallSink.End::lost).orElse("its call did not end"));
        } else if (end.get().kernel().equals("kept") && made.kernel().isPresent() && end.get().globals().isPresent()) {
            session.globals(made.kernel().get().key(), end.get().globals().get());
        } else if (end.get().kernel().equals("died") && made.kernel().isPresent()) {
            String key = made.kernel().get().key();
            session.kernelLost(key, "the " + key + " interpreter ended during the previous call (" + ended(end.get())
                    + ")");
        }
    }
}
