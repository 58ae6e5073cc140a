package dev.mcpsandbox.tools.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** How a failure of an upstream connection or call reads: its cause chain as one line, durations in words. */
final class Failures {

    private Failures() {
    }

    /** The messages along a cause chain, without repeats: "Client failed to initialize: Connection refused". */
    static String describe(Throwable t) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        for (Throwable c = t; c != null && depth < 6; c = c.getCause(), depth++) {
            String m = c.getMessage();
            if (m == null || m.isBlank()) {
                m = c instanceof ConnectException ? "connection refused" : c.getClass().getSimpleName();
            }
            String msg = m.strip();
            boolean bareClassName = msg.equals(c.getClass().getSimpleName()) || msg.equals(c.getClass().getName());
            if (bareClassName && !parts.isEmpty()) {
                continue;
            }
            if (parts.stream().noneMatch(p -> p.contains(msg))) {
                parts.add(msg);
            }
        }
        return parts.isEmpty() ? t.getClass().getSimpleName() : String.join(": ", parts);
    }

    /** The cause inside the wrappers of futures and of Reactor's {@code block()}. */
    static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof ExecutionException
                || t.getClass().getName().equals("reactor.core.Exceptions$ReactiveException"))
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** I/O failures and the SDK's transport exceptions (as opposed to, say, a result that did not parse). */
    static boolean isTransportFailure(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof IOException || c instanceof UncheckedIOException
                    || (c.getClass().getName().startsWith("io.modelcontextprotocol.")
                    && c.getClass().getSimpleName().contains("Transport"))) {
                return true;
            }
        }
        return false;
    }

    static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    static String human(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + " s";
        }
        return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }
}
