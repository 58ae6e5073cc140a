package dev.mcpsandbox.server.transport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Notices HTTP clients that hang up while their execute_code still runs. Jetty learns of a closed
 * connection only when it next reads or writes, and a tools/call blocks until its result; the kernel
 * knows at once: our end of the connection enters CLOSE_WAIT (or vanishes after a reset). One thread
 * reads /proc/net/tcp and tcp6 four times a second while any call is watched.
 */
final class ClientDisconnects implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClientDisconnects.class);
    private static final String CLOSE_WAIT = "08";
    private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));

    private record Connection(int localPort, int remotePort) {
    }

    private final Map<Connection, Runnable> watched = new ConcurrentHashMap<>();
    private final Map<Connection, Boolean> seen = new ConcurrentHashMap<>();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "http-disconnects");
        t.setDaemon(true);
        return t;
    });

    ClientDisconnects() {
        ticker.scheduleWithFixedDelay(this::check, 250, 250, TimeUnit.MILLISECONDS);
    }

    /** Runs {@code onGone} once if the connection closes before {@link AutoCloseable#close()} on the result. */
    AutoCloseable watch(int localPort, int remotePort, Runnable onGone) {
        Connection c = new Connection(localPort, remotePort);
        // Seen now, not at the next tick: a client that hangs up with unread bytes resets the connection, which
        // then leaves the table at once; one that did so within the first tick was never noticed (a warm sandbox
        // starts its code in less than the 250 ms between ticks).
        if (states().containsKey(c)) {
            seen.put(c, true);
        }
        watched.put(c, onGone);
        return () -> {
            watched.remove(c);
            seen.remove(c);
        };
    }

    private void check() {
        if (watched.isEmpty()) {
            return;
        }
        Map<Connection, String> states = states();
        watched.forEach((c, onGone) -> {
            String state = states.get(c);
            if (state != null && !state.equals(CLOSE_WAIT)) {
                seen.put(c, true);
                return;
            }
            // Gone only after we saw it alive: a connection not yet listed is not a disconnect.
            if (state != null || seen.containsKey(c)) {
                if (watched.remove(c) != null) {
                    seen.remove(c);
                    try {
                        onGone.run();
                    } catch (RuntimeException e) {
                        // A failing cancel must not end the ticker (a scheduled task that throws is never run again).
                        log.warn("cancelling the call of a client that hung up failed: {}", e.toString());
                    }
                }
            }
        });
    }

    /** Every TCP connection of this network namespace by its ports, with its state. */
    private static Map<Connection, String> states() {
        Map<Connection, String> states = new HashMap<>();
        for (Path table : TABLES) {
            try {
                for (String line : Files.readAllLines(table)) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 3 && f[1].contains(":") && f[2].contains(":")) {
                        states.put(new Connection(port(f[1]), port(f[2])), f[3]);
                    }
                }
            } catch (IOException | RuntimeException e) {
                log.debug("cannot read {}: {}", table, e.getMessage());
            }
        }
        return states;
    }

    private static int port(String hexAddress) {
        return Integer.parseInt(hexAddress.substring(hexAddress.lastIndexOf(':') + 1), 16);
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}
