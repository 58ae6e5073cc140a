package dev.mcpsandbox.tools.registry;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The process of one stdio upstream server, from start to end: started with only PATH and HOME of
 * this process plus the configured environment; stderr logged at DEBUG with its last lines kept for
 * the exit reason; a watcher that reports an exit we did not ask for; and an end in steps (stdin
 * closed, SIGTERM to it and its descendants, SIGKILL after the grace period).
 */
final class UpstreamProcess {

    private static final Logger log = LoggerFactory.getLogger(UpstreamProcess.class);

    static final int LOGGED_LINE_CHARS = 300;
    private static final int RECENT_STDERR_LINES = 20;
    private static final Pattern TELLING = Pattern.compile(
            "(?i)\\b(error|exception|fatal|panic|failed|failure|cannot|can't|unable|denied|refused|not found|missing|invalid)\\b");

    private final String server;
    private final List<String> command;
    private final Map<String, String> environment;
    private final Duration stdinCloseWait;
    private final Duration killGrace;

    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicBoolean terminatedFired = new AtomicBoolean();
    private final ArrayDeque<String> recentStderr = new ArrayDeque<>();

    private volatile Consumer<String> onTerminated = reason -> { };
    private volatile String terminationReason;
    private volatile Process process;
    private volatile Thread stderrThread;

    UpstreamProcess(String server, String command, List<String> args, Map<String, String> env, Duration killGrace) {
        this.server = server;
        List<String> cmd = new ArrayList<>(1 + args.size());
        cmd.add(command);
        cmd.addAll(args);
        this.command = List.copyOf(cmd);
        this.environment = childEnvironment(env);
        this.stdinCloseWait = Duration.ofMillis(Math.min(500, killGrace.toMillis()));
        this.killGrace = killGrace;
    }

    /** PATH and HOME of this process, then the configured variables on top. */
    static Map<String, String> childEnvironment(Map<String, String> configured) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String name : List.of("PATH", "HOME")) {
            String value = System.getenv(name);
            if (value != null) {
                env.put(name, value);
            }
        }
        env.putAll(configured);
        return env;
    }

    /**
     * Called once with a reason when the process goes away without us closing it; at once when that
     * already happened (a server can die before the caller gets here).
     */
    void onTerminated(Consumer<String> callback) {
        String already;
        synchronized (terminatedFired) {
            this.onTerminated = callback;
            already = terminationReason;
        }
        if (already != null) {
            callback.accept(already);
        }
    }

    synchronized void start() throws IOException {
        if (process != null) {
            throw new IllegalStateException("already started");
        }
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().clear();
        pb.environment().putAll(environment);
        Process p = pb.start();
        this.process = p;
        log.debug("{}: started {} (pid {})", server, command, p.pid());
        Thread err = new Thread(() -> pumpStderr(p.getErrorStream()), "mcp-upstream-" + server + "-stderr");
        err.setDaemon(true);
        err.start();
        this.stderrThread = err;
        Thread watcher = new Thread(() -> watch(p), "mcp-upstream-" + server + "-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    boolean started() {
        return process != null;
    }

    String program() {
        return command.get(0);
    }

    long pid() {
        Process p = process;
        return p == null ? -1 : p.pid();
    }

    boolean alive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    boolean closing() {
        return closing.get();
    }

    /** The server's stdin, or null before the start. */
    OutputStream stdin() {
        Process p = process;
        return p == null ? null : p.getOutputStream();
    }

    InputStream stdout() {
        return process.getInputStream();
    }

    /**
     * stdout is gone. Normally the process has exited and the watcher reports its status; if it lingers
     * without stdout it is of no use to us.
     */
    void stdoutEnded() {
        if (closing.get()) {
            return;
        }
        Process p = process;
        try {
            if (p != null && p.waitFor(2, TimeUnit.SECONDS)) {
                return; // the watcher reports the exit
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        fireTerminated("closed its stdout but kept running");
        if (p != null) {
            p.destroyForcibly();
        }
    }

    /** Ends the process: stdin closed, SIGTERM to it and its descendants, SIGKILL after the grace period. */
    void shutdown() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        Process p = process;
        if (p == null) {
            return;
        }
        List<ProcessHandle> descendants = p.descendants().toList();
        closeQuietly(p.getOutputStream());
        try {
            if (p.isAlive() && !p.waitFor(stdinCloseWait.toMillis(), TimeUnit.MILLISECONDS)) {
                descendants.forEach(ProcessHandle::destroy);
                p.destroy();
                if (!p.waitFor(killGrace.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.debug("{}: did not end within {} ms of SIGTERM, sending SIGKILL", server, killGrace.toMillis());
                    p.destroyForcibly();
                    p.waitFor(2, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        closeQuietly(p.getInputStream());
        closeQuietly(p.getErrorStream());
        log.debug("{}: process {} ended", server, p.pid());
    }

    private void watch(Process p) {
        int status;
        try {
            status = p.waitFor();
        } catch (InterruptedException e) {
            return;
        }
        // Give stderr a moment to drain so the reason carries the server's last words.
        join(stderrThread, 500);
        List<String> recent;
        synchronized (recentStderr) {
            recent = List.copyOf(recentStderr);
        }
        fireTerminated(describeExit(status, recent));
    }

    /**
     * "exited with status 1: Error: boom". The stderr line shown is the last one that looks like an
     * error message (node ends a crash with its version line, so the plain last line often says
     * nothing), else the last line; for a death by signal only a line that looks like an error.
     */
    static String describeExit(int status, List<String> recentStderr) {
        boolean signal = status > 128 && status < 128 + 65;
        StringBuilder b = new StringBuilder("exited with status ").append(status);
        if (signal) {
            b.append(" (signal ").append(status - 128).append(')');
        }
        String telling = null;
        String last = null;
        if (recentStderr != null) {
            for (String line : recentStderr) {
                if (line == null || line.isBlank()) {
                    continue;
                }
                last = line;
                if (TELLING.matcher(line).find()) {
                    telling = line;
                }
            }
        }
        String shown = telling != null ? telling : signal ? null : last;
        if (shown != null) {
            b.append(": ").append(shown);
        }
        return b.toString();
    }

    private void fireTerminated(String reason) {
        if (closing.get() || !terminatedFired.compareAndSet(false, true)) {
            return;
        }
        Consumer<String> callback;
        synchronized (terminatedFired) {
            terminationReason = reason;
            callback = onTerminated;
        }
        try {
            callback.accept(reason);
        } catch (RuntimeException e) {
            log.warn("{}: termination handler failed", server, e);
        }
    }

    private void pumpStderr(InputStream err) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(err, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank()) {
                    synchronized (recentStderr) {
                        if (recentStderr.size() == RECENT_STDERR_LINES) {
                            recentStderr.removeFirst();
                        }
                        recentStderr.addLast(abbreviate(line.strip()));
                    }
                    log.debug("{}: stderr: {}", server, line);
                }
            }
        } catch (IOException e) {
            // process gone or we closed the stream
        }
    }

    static String abbreviate(String s) {
        return s.length() <= LOGGED_LINE_CHARS ? s : s.substring(0, LOGGED_LINE_CHARS) + "…";
    }

    private static void join(Thread t, long millis) {
        if (t == null) {
            return;
        }
        try {
            t.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // already gone
        }
    }
}
