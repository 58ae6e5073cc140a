package dev.mcpsandbox.tools.registry;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What one upstream source reports about itself ({@link ServerStatus}) and how it words it: the state
 * with the reason and the next attempt ("exited with status 1: boom; restarting in 2 s"), logged once
 * per new reason. Updates are made under the source's lock; reads are not.
 */
final class UpstreamStatus {

    private static final Logger log = LoggerFactory.getLogger(UpstreamStatus.class);

    private final String server;
    private final boolean stdio;
    private volatile ServerStatus status;
    private String lastLoggedReason;

    UpstreamStatus(String server, boolean stdio) {
        this.server = server;
        this.stdio = stdio;
        this.status = new ServerStatus(server, ServerStatus.State.CONNECTING, "starting", Optional.of(Instant.now()));
    }

    ServerStatus get() {
        return status;
    }

    /** The state keeps its {@code since} when it does not change. */
    void set(ServerStatus.State state, String detail) {
        ServerStatus old = status;
        Optional<Instant> since = old != null && old.state() == state ? old.since() : Optional.of(Instant.now());
        status = new ServerStatus(server, state, detail, since);
    }

    void connected(String detail) {
        set(ServerStatus.State.AVAILABLE, detail);
        lastLoggedReason = null;
    }

    /** Unavailable for this reason until the next attempt after {@code delay}; a new reason is logged as a warning. */
    void unavailable(String reason, Duration delay) {
        set(ServerStatus.State.UNAVAILABLE, reason + "; " + restartVerb() + " in " + Failures.human(delay));
        if (!reason.equals(lastLoggedReason)) {
            log.warn("{}: unavailable: {}", server, status.detail());
            lastLoggedReason = reason;
        } else {
            log.debug("{}: still unavailable: {}", server, status.detail());
        }
    }

    /** A new attempt begins now: "exited with status 1: boom; restarting now". */
    void retryingNow() {
        set(ServerStatus.State.UNAVAILABLE, baseReason(status.detail()) + "; " + restartVerb() + " now");
    }

    String restartVerb() {
        return stdio ? "restarting" : "reconnecting";
    }

    /** The reason part of a detail such as "exited with status 1: boom; restarting in 2 s". */
    private String baseReason(String detail) {
        int i = detail.lastIndexOf("; " + restartVerb());
        return i < 0 ? detail : detail.substring(0, i);
    }

    String unavailableMessage() {
        ServerStatus s = status;
        if (s.state() == ServerStatus.State.CONNECTING) {
            return "server '" + server + "' is not connected yet (" + s.detail() + ")";
        }
        return "server '" + server + "' is unavailable: " + s.detail();
    }
}
