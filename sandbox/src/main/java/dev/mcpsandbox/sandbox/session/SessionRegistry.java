package dev.mcpsandbox.sandbox.session;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.backend.RunLimits;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxBackend;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * Every open session, by caller and name. A call names its session; the first call with a name opens it (up to
 * the caps per caller and in total), later ones wait their turn in it. Sessions end when their owner ends them,
 * after an idle timeout, at their maximum age, and all at once when the server stops; each ends with its sandbox,
 * every process and file in it. A later call with an ended session's name opens a new one and says why the old
 * one ended.
 */
public final class SessionRegistry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SessionRegistry.class);
    private static final Duration SWEEP_EVERY = Duration.ofSeconds(5);
    private static final int REMEMBERED_ENDS = 4096;

    /**
     * @param idle      a session unused this long ends
     * @param maxAge    a session ends this long after it opened, used or not (after its running call)
     * @param perClient sessions one caller may hold open
     * @param total     sessions open at once on this server
     * @param queue     calls that may wait for a busy session; more are refused
     */
    public record Settings(Duration idle, Duration maxAge, int perClient, int total, int queue) {
    }

    /** How a session's sandbox is made: its plan for the session's caps, and its agent's rlimits. */
    public interface SandboxPlan {
        /** @param withNetwork the session was opened by a call that asked for the network */
        SandboxSpec spec(String id, ResourceLimits caps, boolean withNetwork);

        RunLimits agentLimits(ResourceLimits caps);
    }

    private final SandboxBackend backend;
    private final SandboxPlan plan;
    private final Settings settings;
    private final Clock clock;
    private final ScheduledExecutorService timers;
    private final Map<SessionKey, LiveSession> open = new ConcurrentHashMap<>();
    private final Map<SessionKey, String> endedWhy = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<SessionKey, String> eldest) {
            return size() > REMEMBERED_ENDS;
        }
    };

    private SessionRegistry(SandboxBackend backend, SandboxPlan plan, Settings settings, Clock clock,
                            ScheduledExecutorService timers) {
        this.backend = backend;
        this.plan = plan;
        this.settings = settings;
        this.clock = clock;
        this.timers = timers;
    }

    public static SessionRegistry start(SandboxBackend backend, SandboxPlan plan, Settings settings, Clock clock) {
        ScheduledExecutorService timers = Executors.newScheduledThreadPool(1, r -> {
            Thread t = new Thread(r, "sessions");
            t.setDaemon(true);
            return t;
        });
        SessionRegistry registry = new SessionRegistry(backend, plan, settings, clock, timers);
        timers.scheduleWithFixedDelay(registry::sweep, SWEEP_EVERY.toMillis(), SWEEP_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
        return registry;
    }

    /** The agent every session's sandbox runs first, to install under the guest directory. */
    public static String agentScript() {
        try (java.io.InputStream in = SessionRegistry.class.getResourceAsStream("agent.py")) {
            if (in == null) {
                throw new IllegalStateException("session/agent.py is missing from the jar");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read session/agent.py", e);
        }
    }

    SandboxBackend backend() {
        return backend;
    }

    SandboxPlan plan() {
        return plan;
    }

    public Settings settings() {
        return settings;
    }

    /**
     * Waits for the session's turn (opening the session when the caller has none by that name).
     *
     * @param limits    the call's limits; on the call that opens the session its memory, process and disk caps
     *                  become the session's
     * @param asked     the limits the call asked for by name: a later call may not ask for other caps
     * @param network   the call asks for the network: a session opened with it can grant it to later calls; one
     *                  opened without cannot
     * @param cancelled true once the call was cancelled while it waits
     * @return the turn, or empty when the call was cancelled while waiting
     */
    public Optional<Turn> acquire(String owner, String name, ResourceLimits limits,
                                  Map<ResourceLimits.Key, Long> asked, boolean network, BooleanSupplier cancelled)
            throws SessionRefused, InterruptedException {
        SessionKey key = new SessionKey(owner, name);
        boolean created = false;
        Optional<String> endedBefore = Optional.empty();
        LiveSession session;
        synchronized (this) {
            session = open.get(key);
            if (session == null) {
                refuseOverCaps(owner, name);
                session = new LiveSession(key, clock.instant(), limits, network);
                open.put(key, session);
                created = true;
                String why;
                synchronized (endedWhy) {
                    why = endedWhy.remove(key);
                }
                if (why != null) {
                    endedBefore = Optional.of("the earlier session \"" + name + "\" had ended (" + why + "); this call"
                            + " opened a new one, with nothing of the old one");
                }
            } else {
                refuseOtherCaps(session, asked);
                if (network && !session.network) {
                    throw new SessionRefused("session \"" + name + "\" was opened without the network, and a"
                            + " session's sandbox cannot gain it later; run this call without a session, or end the"
                            + " session (end_session) and open it again with network: true on its first call");
                }
            }
            // Those waiting, this call included: past the queue while a call runs, the call is refused.
            boolean idle = session.turn.availablePermits() > 0;
            if (session.waiting.incrementAndGet() > settings.queue() + (idle ? 1 : 0)) {
                session.waiting.decrementAndGet();
                throw new SessionRefused("session \"" + name + "\" is busy: a call is running in it and "
                        + settings.queue() + " more are waiting, the most it queues (sessions.queue); retry when one"
                        + " has finished");
            }
        }
        try {
            while (!session.turn.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                if (cancelled.getAsBoolean()) {
                    return Optional.empty();
                }
                if (session.ended()) {
                    throw new SessionRefused("session \"" + name + "\" was ended while this call waited for it");
                }
            }
        } finally {
            session.waiting.decrementAndGet();
        }
        if (session.ended()) {
            session.turn.release();
            throw new SessionRefused("session \"" + name + "\" was ended while this call waited for it");
        }
        return Optional.of(new Turn(session, this, clock, timers, created, endedBefore));
    }

    private void refuseOverCaps(String owner, String name) throws SessionRefused {
        List<String> mine = namesOf(owner);
        if (mine.size() >= settings.perClient()) {
            throw new SessionRefused("cannot open session \"" + name + "\": you have " + mine.size()
                    + " sessions open (" + String.join(", ", mine) + "), the most one client may hold"
                    + " (sessions.perClient); end one with end_session, or run this call in one of them");
        }
        if (open.size() >= settings.total()) {
            throw new SessionRefused("cannot open session \"" + name + "\": the server holds " + open.size()
                    + " sessions, the most it keeps (sessions.total)" + (mine.isEmpty() ? ""
                    : "; yours: " + String.join(", ", mine) + " (end one with end_session)")
                    + ", or run without a session");
        }
    }

    private static void refuseOtherCaps(LiveSession session, Map<ResourceLimits.Key, Long> asked)
            throws SessionRefused {
        for (ResourceLimits.Key cap : List.of(ResourceLimits.Key.MEMORY_MB, ResourceLimits.Key.PROCESSES,
                ResourceLimits.Key.DISK_MB)) {
            Long wanted = asked.get(cap);
            if (wanted != null && wanted != session.caps.get(cap)) {
                throw new SessionRefused("session \"" + session.key.name() + "\" runs with " + cap.jsonName() + " "
                        + session.caps.get(cap) + " for all its calls (set by the call that opened it); leave "
                        + cap.jsonName() + " out, or end the session (end_session) and open it again with "
                        + cap.jsonName() + " " + wanted);
            }
        }
    }

    /** Ends the caller's session {@code name}; false when the caller has none by that name. */
    public boolean end(String owner, String name) {
        LiveSession session = open.remove(new SessionKey(owner, name));
        if (session == null) {
            return false;
        }
        ended(session, "ended with end_session");
        return true;
    }

    /** The caller's open sessions, oldest first. */
    public List<SessionSummary> list(String owner) {
        Instant now = clock.instant();
        return open.values().stream()
                .filter(s -> s.key.owner().equals(owner))
                .sorted(Comparator.comparing(s -> s.createdAt))
                .map(s -> {
                    Optional<Sandbox.Usage> usage = s.sandbox().flatMap(Sandbox::usage);
                    return new SessionSummary(s.key.name(), s.calls(), s.createdAt, s.lastUsedAt(), expiresAt(s, now),
                            s.turn.availablePermits() == 0, s.languages(),
                            usage.flatMap(Sandbox.Usage::memoryBytes), usage.flatMap(Sandbox.Usage::diskBytes));
                })
                .toList();
    }

    /** When {@code session} ends unless used again: idle timeout or maximum age, whichever comes first. */
    Instant expiresAt(LiveSession session, Instant now) {
        Instant idleEnd = session.lastUsedAt().plus(settings.idle());
        Instant ageEnd = session.createdAt.plus(settings.maxAge());
        return idleEnd.isBefore(ageEnd) ? idleEnd : ageEnd;
    }

    /** A call gave its turn back: a session past its maximum age ends now rather than at the next sweep. */
    void released(LiveSession session) {
        if (!session.createdAt.plus(settings.maxAge()).isAfter(clock.instant())) {
            timers.execute(this::sweep);
        }
    }

    /** Ends sessions idle too long or too old; one whose call is running ends once that call has finished. */
    private void sweep() {
        Instant now = clock.instant();
        for (LiveSession session : List.copyOf(open.values())) {
            String why;
            if (!session.createdAt.plus(settings.maxAge()).isAfter(now)) {
                why = "it reached its maximum age of " + minutes(settings.maxAge()) + " (sessions.maxAgeMinutes)";
            } else if (!session.lastUsedAt().plus(settings.idle()).isAfter(now)) {
                why = "it was idle for " + minutes(settings.idle()) + " (sessions.idleMinutes)";
            } else {
                continue;
            }
            if (session.turn.tryAcquire()) {
                try {
                    if (open.remove(session.key, session)) {
                        ended(session, why);
                    }
                } finally {
                    session.turn.release();
                }
            }
        }
    }

    private void ended(LiveSession session, String why) {
        log.info("session \"{}\" of {} ended: {}", session.key.name(), session.key.owner(), why);
        synchronized (endedWhy) {
            endedWhy.put(session.key, why);
        }
        session.end();
    }

    private List<String> namesOf(String owner) {
        return open.keySet().stream().filter(k -> k.owner().equals(owner)).map(SessionKey::name).sorted()
                .collect(Collectors.toCollection(ArrayList::new));
    }

    public int openSessions() {
        return open.size();
    }

    private static String minutes(Duration d) {
        return d.toMinutes() >= 60 && d.toMinutes() % 60 == 0 ? d.toHours() + " h" : d.toMinutes() + " min";
    }

    /** Ends every session (the server is stopping): every sandbox, process and file of each. */
    @Override
    public void close() {
        timers.shutdownNow();
        for (LiveSession session : List.copyOf(open.values())) {
            open.remove(session.key);
            session.end();
        }
    }
}
