package dev.mcpsandbox.sandbox.backend.bubblewrap;

import dev.mcpsandbox.sandbox.backend.Launcher;
import dev.mcpsandbox.sandbox.backend.RunLimits;
import dev.mcpsandbox.sandbox.backend.scratch.ScratchSpace;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.limits.Cgroups;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** One bwrap process tree plus its scratch space, cgroups and uid lease; see {@link Sandbox}. */
final class BubblewrapSandbox implements Sandbox {
    private static final Logger log = LoggerFactory.getLogger(BubblewrapSandbox.class);

    private final String name;
    private final Process process;
    private final ScratchSpace scratch;
    private final Optional<Cgroups.Group> cgroups;
    private final Runnable releaseIdentity;
    private final Executor io;
    private final AtomicBoolean closed = new AtomicBoolean();

    BubblewrapSandbox(String name, Process process, ScratchSpace scratch, Optional<Cgroups.Group> cgroups,
                      Runnable releaseIdentity, Executor io) {
        this.name = name;
        this.process = process;
        this.scratch = scratch;
        this.cgroups = cgroups;
        this.releaseIdentity = releaseIdentity;
        this.io = io;
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

    @Override
    public void begin(RunLimits limits, byte[] stdin) throws IOException {
        String go = Launcher.goLine(limits);
        OutputStream in = process.getOutputStream();
        in.write(go.getBytes(StandardCharsets.US_ASCII));
        in.flush();
        // The code may never read its stdin; a writer blocked on a full pipe must not hold up the run.
        io.execute(() -> {
            try (in) {
                if (stdin.length > 0) {
                    in.write(stdin);
                }
            } catch (IOException e) {
                log.debug("{}: stdin closed early: {}", name, e.getMessage());
            }
        });
    }

    @Override
    public OutputStream beginSession(RunLimits limits) throws IOException {
        OutputStream in = process.getOutputStream();
        in.write(Launcher.goLine(limits).getBytes(StandardCharsets.US_ASCII));
        in.flush();
        return in;
    }

    @Override
    public InputStream stdout() {
        return process.getInputStream();
    }

    @Override
    public InputStream stderr() {
        return process.getErrorStream();
    }

    @Override
    public Optional<Integer> awaitExit(Duration timeout) throws InterruptedException {
        if (process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            return Optional.of(process.exitValue());
        }
        return Optional.empty();
    }

    /** {@link #kill()} is synchronous; the namespace's init takes every other process of it when it dies. */
    @Override
    public boolean awaitGone(Duration limit) throws InterruptedException {
        return process.waitFor(limit.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public boolean alive() {
        return process.isAlive() && !closed.get();
    }

    @Override
    public void kill() {
        // The bwrap we started is the parent of the namespace's init; with --die-with-parent its death
        // takes every process in the PID namespace with it. The cgroup sweep catches any straggler.
        process.destroyForcibly();
        cgroups.ifPresent(Cgroups.Group::killAll);
    }

    @Override
    public EndSignals endSignals() {
        return new EndSignals(
                cgroups.map(Cgroups.Group::memoryExhausted).orElse(false),
                cgroups.map(Cgroups.Group::processCapHit).orElse(false),
                scratch.full());
    }

    @Override
    public Optional<Usage> usage() {
        return Optional.of(new Usage(cgroups.flatMap(Cgroups.Group::memoryInUse), scratch.diskInUse()));
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        kill();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                log.warn("{}: bwrap did not exit 5 s after SIGKILL", name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        cgroups.ifPresent(Cgroups.Group::close);
        scratch.close();
        releaseIdentity.run();
    }

    @Override
    public String toString() {
        return name;
    }
}
