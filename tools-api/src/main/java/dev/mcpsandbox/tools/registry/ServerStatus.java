package dev.mcpsandbox.tools.registry;

import java.time.Instant;
import java.util.Optional;

/** Whether an upstream server can be called right now, and if not, why (shown in discovery and call errors). */
public record ServerStatus(String server, State state, String detail, Optional<Instant> since) {

    public enum State {
        CONNECTING, AVAILABLE, UNAVAILABLE
    }

    public boolean available() {
        return state == State.AVAILABLE;
    }
}
