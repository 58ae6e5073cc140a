package dev.mcpsandbox.server.startup;

import java.util.Locale;
import java.util.StringJoiner;

/**
 * Where the start-up time goes: milliseconds per phase, from {@code main} on, in one line that the server logs at
 * debug once it can answer {@code initialize} ({@code MCP_SANDBOX_LOG=DEBUG}); the JVM's own start before
 * {@code main} is not in it (BENCHMARKS.md measures it beside a hello world).
 */
public final class StartupTimeline {
    private final long origin = System.nanoTime();
    private long last = origin;
    private final StringJoiner phases = new StringJoiner(", ");

    /** Ends the phase that ran since the previous mark (or since {@code main}). */
    public synchronized void mark(String phase) {
        long now = System.nanoTime();
        phases.add(String.format(Locale.ROOT, "%s %.0f ms", phase, (now - last) / 1e6));
        last = now;
    }

    /** The phases so far and their total. */
    public synchronized String summary() {
        return String.format(Locale.ROOT, "%s (%.0f ms after main)", phases, (last - origin) / 1e6);
    }
}
