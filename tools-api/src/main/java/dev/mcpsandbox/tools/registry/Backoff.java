package dev.mcpsandbox.tools.registry;

import java.time.Duration;
import java.time.Instant;

/**
 * The delays between attempts to reach one upstream server: doubling from the initial delay up to the
 * maximum, and back to the start once a connection has lasted long enough to count as stable.
 * Not thread-safe: the source uses it under its lock.
 */
final class Backoff {

    private final Duration initial;
    private final Duration max;
    private final Duration stableAfter;
    private int failures;

    Backoff(Duration initial, Duration max, Duration stableAfter) {
        this.initial = initial;
        this.max = max;
        this.stableAfter = stableAfter;
    }

    /** The delay before the next attempt, each one longer than the last up to the maximum. */
    Duration next() {
        return delay(failures++, initial, max);
    }

    /** A connection made at {@code connectedAt} (null: never made) was just lost. */
    void lost(Instant connectedAt) {
        if (connectedAt != null && Duration.between(connectedAt, Instant.now()).compareTo(stableAfter) >= 0) {
            failures = 0;
        }
    }

    static Duration delay(int failures, Duration initial, Duration max) {
        long millis = initial.toMillis();
        for (int i = 0; i < failures && millis < max.toMillis(); i++) {
            millis *= 2;
        }
        return Duration.ofMillis(Math.min(millis, max.toMillis()));
    }
}
