package dev.mcpsandbox.sandbox.backend.docker;

import java.time.Instant;
import java.util.Optional;

/**
 * Which server process made a container, written on every container as label {@value #LABEL}
 * ({@code host/pid/start-millis}), so that a server starting later can tell a live owner from a dead one
 * (the start time guards against a reused pid).
 */
record Session(String host, long pid, long startedMillis) {
    static final String LABEL = "dev.mcpsandbox.session";
    static final String EXECUTION_LABEL = "dev.mcpsandbox.execution";
    static final String BACKEND_LABEL = "dev.mcpsandbox.backend";

    static Session current(String host) {
        ProcessHandle self = ProcessHandle.current();
        return new Session(host, self.pid(), self.info().startInstant().map(Instant::toEpochMilli).orElse(0L));
    }

    String label() {
        return host + "/" + pid + "/" + startedMillis;
    }

    static Optional<Session> parse(String label) {
        String[] parts = label.split("/");
        if (parts.length != 3) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Session(parts[0], Long.parseLong(parts[1]), Long.parseLong(parts[2])));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** True when this session ran on {@code host} and its process is gone (or the pid now belongs to another). */
    boolean deadOn(String currentHost) {
        if (!host.equals(currentHost)) {
            return false;
        }
        Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        return process.isEmpty() || process.get().info().startInstant().map(Instant::toEpochMilli).orElse(-1L) != startedMillis;
    }
}
