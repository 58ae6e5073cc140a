package dev.mcpsandbox.sandbox.backend.fake;

import dev.mcpsandbox.sandbox.backend.RunLimits;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import dev.mcpsandbox.sandbox.backend.scratch.WorkFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * One in-memory sandbox: real host directories for its work and bridge directories, a {@link FakeProgram} on a
 * thread of its own in place of processes. It keeps the promises of {@link Sandbox}: alive from creation until its
 * program ends or it is killed or closed; {@code kill()} and {@code close()} are safe from any thread, any number of
 * times; {@code close()} removes its directories; {@code awaitExit} is empty while the program still runs.
 */
public final class FakeSandbox implements Sandbox {
    /** What a SIGKILLed process reports (128 + 9), as {@link Process#exitValue()} does. */
    public static final int KILLED_EXIT_CODE = 137;

    private final SandboxSpec spec;
    private final FakeProgram program;
    private final FakeSandboxBackend backend;
    private final Path root;
    private final WorkFiles files;
    private final MemoryPipe stdout = new MemoryPipe();
    private final MemoryPipe stderr = new MemoryPipe();
    private final CountDownLatch killed = new CountDownLatch(1);
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final AtomicBoolean begun = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean killOnce = new AtomicBoolean();
    private final AtomicReference<EndSignals> signals = new AtomicReference<>(new EndSignals(false, false, false));
    private final AtomicReference<RunLimits> limits = new AtomicReference<>();
    private volatile Thread runner;

    FakeSandbox(SandboxSpec spec, FakeProgram program, FakeSandboxBackend backend, Path root) throws IOException {
        this.spec = spec;
        this.program = program;
        this.backend = backend;
        this.root = root;
        Files.createDirectories(workDir());
        Files.createDirectories(bridgeDir());
        this.files = new WorkFiles(workDir(), (Integer) Files.getAttribute(root, "unix:uid"));
    }

    public SandboxSpec spec() {
        return spec;
    }

    /** The limits the go line carried; empty before {@link #begin}. */
    public Optional<RunLimits> runLimits() {
        return Optional.ofNullable(limits.get());
    }

    public boolean begun() {
        return begun.get();
    }

    public boolean killed() {
        return killed.getCount() == 0;
    }

    public boolean closed() {
        return closed.get();
    }

    @Override
    public Path workDir() {
        return root.resolve("work");
    }

    @Override
    public Path bridgeDir() {
        return root.resolve("bridge");
    }

    @Override
    public void writeFile(String relativePath, byte[] content, boolean executable) throws IOException {
        requireOpen();
        files.write(relativePath, content, executable);
    }

    @Override
    public void createDirectory(String relativePath) throws IOException {
        requireOpen();
        files.createDirectory(relativePath);
    }

    @Override
    public void begin(RunLimits limits, byte[] stdin) throws IOException {
        if (!alive()) {
            throw new IOException("fake sandbox of " + spec.executionId() + " ended before its go line");
        }
        if (!begun.compareAndSet(false, true)) {
            throw new IllegalStateException("the go line was already sent: a sandbox runs its code once");
        }
        this.limits.set(limits);
        Thread t = new Thread(() -> run(new FakeRun(this, limits, stdin, stdout.sink, stderr.sink, killed)),
                "fake-sandbox-" + spec.executionId());
        t.setDaemon(true);
        runner = t;
        t.start();
    }

    /** A fake sandbox runs a Java program, not a session's agent; sessions are tested on the real backends. */
    @Override
    public java.io.OutputStream beginSession(RunLimits limits) throws IOException {
        throw new IOException("the fake backend cannot hold a session: it runs FakePrograms, not the session agent");
    }

    private void run(FakeRun run) {
        int code;
        try {
            code = program.run(run);
        } catch (InterruptedException e) {
            code = KILLED_EXIT_CODE;
        } catch (Exception | AssertionError e) {
            PrintStream err = new PrintStream(stderr.sink, true, StandardCharsets.UTF_8);
            e.printStackTrace(err);
            code = 1;
        }
        finish(killed() ? KILLED_EXIT_CODE : code);
    }

    private void finish(int code) {
        stdout.end();
        stderr.end();
        exit.complete(code);
    }

    @Override
    public InputStream stdout() {
        return stdout.source;
    }

    @Override
    public InputStream stderr() {
        return stderr.source;
    }

    @Override
    public Optional<Integer> awaitExit(Duration timeout) throws InterruptedException {
        try {
            return Optional.of(exit.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Its streams end when its program does, so the program's end is the sandbox's. */
    @Override
    public boolean awaitGone(Duration limit) throws InterruptedException {
        return awaitExit(limit).isPresent();
    }

    @Override
    public boolean alive() {
        return !exit.isDone() && !closed.get();
    }

    @Override
    public void kill() {
        if (!killOnce.compareAndSet(false, true)) {
            return;
        }
        backend.countKill();
        killed.countDown();
        // As SIGKILL: the run has ended now, whatever the program does; what it writes from here on is lost.
        finish(KILLED_EXIT_CODE);
        Thread t = runner;
        if (t != null) {
            t.interrupt(); // so that a program blocked in sleep or I/O stops too
        }
    }

    @Override
    public EndSignals endSignals() {
        return signals.get();
    }

    void signal(EndSignals observed) {
        signals.set(observed);
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        kill();
        Thread t = runner;
        if (t != null) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        deleteTree(root);
        backend.countClose();
    }

    private void requireOpen() throws IOException {
        if (closed.get()) {
            throw new IOException("fake sandbox of " + spec.executionId() + " is closed");
        }
    }

    /** Deletes a directory tree; parts another close removes at the same time are simply gone. */
    static void deleteTree(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // already gone, or going: a sandbox's own close and its backend's may overlap
        }
    }

    @Override
    public String toString() {
        return "fake sandbox " + spec.executionId();
    }
}
