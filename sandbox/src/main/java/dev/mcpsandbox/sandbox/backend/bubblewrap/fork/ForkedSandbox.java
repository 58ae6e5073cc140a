package dev.mcpsandbox.sandbox.backend.bubblewrap.fork;

import dev.mcpsandbox.sandbox.backend.Launcher;
import dev.mcpsandbox.sandbox.backend.RunLimits;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.scratch.ScratchSpace;
import dev.mcpsandbox.sandbox.limits.Cgroups;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A sandbox forked from a template (a single-use run, or a session's agent): its own namespaces (nested in the
 * template's), cgroups, scratch space and streams, behind the same {@link Sandbox} contract as a bwrap sandbox, so a
 * run cannot tell them apart. Its processes are exactly those of its cgroups (it was moved in before it forked
 * anything), which is how it is killed. A session's child keeps its template alive (a retired template exits after
 * its last child), and dies with it: the session then finds its sandbox ended, as after any other end.
 */
final class ForkedSandbox implements Sandbox {
    private static final Logger log = LoggerFactory.getLogger(ForkedSandbox.class);
    /** A child connects within milliseconds of its go; a child that has not by then died or is stuck. */
    private static final Duration CONNECT = Duration.ofSeconds(10);

    private final ForkTemplate template;
    private final ForkTemplate.Child child;
    private final ScratchSpace scratch;
    private final Cgroups.Group group;
    private final ChildStreams streams;
    private final Executor io;
    private final Runnable closed;
    private final AtomicBoolean done = new AtomicBoolean();

    ForkedSandbox(ForkTemplate template, ForkTemplate.Child child, ScratchSpace scratch, Cgroups.Group group,
                  ChildStreams streams, Executor io, Runnable closed) {
        this.template = template;
        this.child = child;
        this.scratch = scratch;
        this.group = group;
        this.streams = streams;
        this.io = io;
        this.closed = closed;
    }

    @Override
    public Path workDir() {
        return scratch.workDir();
    }

    @Override
    public Path bridgeDir() {
        return scratch.bridgeDir();
    }

    @Override
    public void writeFile(String relativePath, byte[] content, boolean executable) throws IOException {
        scratch.files().write(relativePath, content, executable);
    }

    @Override
    public void createDirectory(String relativePath) throws IOException {
        scratch.files().createDirectory(relativePath);
    }

    /** The go line and stdin travel on the child's stdin connection, written off the caller's thread. */
    @Override
    public void begin(RunLimits limits, byte[] stdin) throws IOException {
        byte[] go = Launcher.goLine(limits).getBytes(StandardCharsets.US_ASCII);
        io.execute(() -> {
            try {
                Optional<OutputStream> connected = streams.stdin(CONNECT);
                if (connected.isEmpty()) {
                    log.debug("{}: the child never connected its stdin", child.name());
                    return;
                }
                try (OutputStream in = connected.get()) {
                    in.write(go);
                    if (stdin.length > 0) {
                        in.write(stdin);
                    }
                }
            } catch (IOException e) {
                log.debug("{}: stdin closed early: {}", child.name(), e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /**
     * A session's agent (ForkKey's script shape): the go line, then the stdin connection stays the host's for the
     * agent's commands. Waits on the caller's thread for the child to connect, which it does within milliseconds.
     */
    @Override
    public OutputStream beginSession(RunLimits limits) throws IOException {
        Optional<OutputStream> connected;
        try {
            connected = streams.stdin(CONNECT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while the forked child connected");
        }
        OutputStream in = connected.orElseThrow(() -> new IOException("the forked child " + child.name()
                + " did not connect its stdin within " + CONNECT.toSeconds() + " s"));
        in.write(Launcher.goLine(limits).getBytes(StandardCharsets.US_ASCII));
        in.flush();
        return in;
    }

    @Override
    public InputStream stdout() {
        return streams.stdout();
    }

    @Override
    public InputStream stderr() {
        return streams.stderr();
    }

    @Override
    public Optional<Integer> awaitExit(Duration timeout) throws InterruptedException {
        try {
            ForkTemplate.ChildEnd end = child.end().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return Optional.of(end instanceof ForkTemplate.ChildEnd.Exited exited ? exited.status() : 255);
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            return Optional.of(255);
        }
    }

    /** The child is gone once the template has reaped it and no process is left in its cgroups. */
    @Override
    public boolean awaitGone(Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        if (awaitExit(limit).isEmpty()) {
            return false;
        }
        while (!cgroupEmpty()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(2);
        }
        return true;
    }

    private boolean cgroupEmpty() {
        try {
            for (Path procs : group.procsFiles()) {
                if (!Files.readString(procs).isBlank()) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public boolean alive() {
        return !done.get() && !child.end().isDone() && template.alive();
    }

    /**
     * SIGKILL to every process of the child's cgroups; the first to die is PID 1's parent or PID 1 itself, and
     * either takes the whole PID namespace with it (PID 1 has a parent-death signal).
     */
    @Override
    public void kill() {
        group.killAll();
        streams.stopWaiting();
    }

    /**
     * True when the template died under the run, or the child ended before its set-up was done (it connects its
     * streams last, just before the user process starts): nothing the code did explains either.
     */
    @Override
    public boolean lostToMachinery() {
        ForkTemplate.ChildEnd end = child.end().getNow(null);
        return end instanceof ForkTemplate.ChildEnd.TemplateLost || end != null && !streams.allConnected();
    }

    @Override
    public EndSignals endSignals() {
        return new EndSignals(group.memoryExhausted(), group.processCapHit(), scratch.full());
    }

    @Override
    public Optional<Usage> usage() {
        return Optional.of(new Usage(group.memoryInUse(), scratch.diskInUse()));
    }

    @Override
    public void close() {
        if (!done.compareAndSet(false, true)) {
            return;
        }
        kill();
        try {
            if (!awaitGone(Duration.ofSeconds(5))) {
                log.warn("{}: the forked child was not gone 5 s after SIGKILL", child.name());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        streams.close();
        group.close();
        scratch.close();
        template.childClosed();
        closed.run();
    }

    @Override
    public String toString() {
        return child.name();
    }
}
