package dev.mcpsandbox.sandbox.session;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxBackend;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One named session of one caller: its sandbox (made again when lost), what its kernels hold, and the turn that
 * lets its calls run one at a time in arrival order. Fields other than the turn's are read and written by the
 * call holding the turn, or by the registry under the session's monitor.
 */
final class LiveSession {
    private static final Logger log = LoggerFactory.getLogger(LiveSession.class);

    final SessionKey key;
    final Instant createdAt;
    final ResourceLimits caps;
    /** Opened by a call with the network: its sandbox runs the relay, and its calls may ask for the proxy. */
    final boolean network;
    final Semaphore turn = new Semaphore(1, true);
    final AtomicInteger waiting = new AtomicInteger();
    private volatile Instant lastUsedAt;
    private long calls;
    private long incarnation;
    private Optional<Sandbox> sandbox = Optional.empty();
    private Optional<AgentChannel> channel = Optional.empty();
    /** Why everything the session held was lost; said by the next call. */
    private Optional<String> sandboxLost = Optional.empty();
    /** Per kernel key: why its state was lost; said by the next call of that kernel. */
    private final Map<String, String> kernelLost = new HashMap<>();
    private final Set<String> kernelsStarted = new HashSet<>();
    /** Per kernel key: the top-level names it holds, as it last reported them. */
    private final Map<String, List<String>> globals = new HashMap<>();
    private volatile boolean ended;

    LiveSession(SessionKey key, Instant createdAt, ResourceLimits caps, boolean network) {
        this.key = key;
        this.createdAt = createdAt;
        this.caps = caps;
        this.network = network;
        this.lastUsedAt = createdAt;
    }

    Instant lastUsedAt() {
        return lastUsedAt;
    }

    synchronized long calls() {
        return calls;
    }

    boolean ended() {
        return ended;
    }

    /** The kernels that hold state now. */
    synchronized List<String> languages() {
        return List.copyOf(kernelsStarted);
    }

    synchronized Optional<Sandbox> sandbox() {
        return sandbox;
    }

    /**
     * The session's agent, its sandbox started first when there is none or the last one was lost (the turn is
     * held). Returns why earlier state was lost, when it was.
     */
    synchronized AgentChannel ready(SandboxBackend backend, SessionRegistry.SandboxPlan plan)
            throws SandboxException, InterruptedException {
        if (ended) {
            throw new SandboxException("the session " + key.name() + " was ended while this call waited");
        }
        if (channel.isPresent() && channel.get().brokenReason().isEmpty() && sandbox.get().alive()) {
            return channel.get();
        }
        if (sandbox.isPresent()) {
            // A sandbox seen dead before its agent's stream ended (a fork-server template that died takes its
            // children at once) was lost all the same.
            sandboxLost = sandboxLost.or(() -> Optional.of("the session's sandbox was lost ("
                    + channel.flatMap(AgentChannel::brokenReason).orElse("the session's sandbox ended") + ")"));
            discardSandbox();
        }
        String id = "s" + key.hashCode() + "-" + (++incarnation);
        Sandbox created = backend.create(plan.spec(id, caps, network));
        try {
            AgentChannel opened = AgentChannel.open(key.name(), created, plan.agentLimits(caps));
            sandbox = Optional.of(created);
            channel = Optional.of(opened);
            kernelsStarted.clear();
            kernelLost.clear();
            return opened;
        } catch (IOException e) {
            created.close();
            throw new SandboxException("cannot start the session's sandbox: " + e.getMessage(), e);
        }
    }

    /** Counts a call and says why the whole sandbox was lost since the last one, when it was (for its report). */
    synchronized Optional<String> beginCall() {
        calls++;
        Optional<String> lost = sandboxLost;
        sandboxLost = Optional.empty();
        return lost;
    }

    /**
     * After the call's end: whether its kernel started afresh for it, and why when that lost state. The first
     * start of a kernel loses nothing.
     */
    synchronized Optional<String> kernelRestart(String kernelKey, boolean fresh) {
        boolean knownBefore = kernelsStarted.contains(kernelKey);
        kernelsStarted.add(kernelKey);
        if (!fresh) {
            return Optional.empty(); // a loss during this very call is said by the next one
        }
        String why = kernelLost.remove(kernelKey);
        if (why != null) {
            return Optional.of(why);
        }
        return knownBefore ? Optional.of("its interpreter had ended between calls") : Optional.empty();
    }

    synchronized void kernelLost(String kernelKey, String why) {
        kernelLost.putIfAbsent(kernelKey, why);
        kernelsStarted.remove(kernelKey);
        globals.remove(kernelKey);
    }

    synchronized void globals(String kernelKey, List<String> names) {
        globals.put(kernelKey, names);
    }

    /** The top-level names the kernel {@code kernelKey} holds; none when it holds nothing or does not say. */
    synchronized List<String> globals(String kernelKey) {
        return globals.getOrDefault(kernelKey, List.of());
    }

    /** Ends the sandbox: everything in it is gone, and the next call starts a new one and says {@code why}. */
    synchronized void loseSandbox(String why) {
        sandboxLost = Optional.of(why);
        discardSandbox();
    }

    synchronized void used(Instant now) {
        lastUsedAt = now;
    }

    /** Ends the session for good: its sandbox, every process and file in it. */
    synchronized void end() {
        ended = true;
        discardSandbox();
    }

    private void discardSandbox() {
        channel.ifPresent(AgentChannel::close);
        sandbox.ifPresent(s -> {
            log.debug("session {}: ending its sandbox {}", key.name(), s);
            s.close();
        });
        channel = Optional.empty();
        sandbox = Optional.empty();
        kernelsStarted.clear();
        globals.clear();
    }
}
