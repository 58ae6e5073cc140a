package dev.mcpsandbox.sandbox.backend.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import com.github.dockerjava.api.model.WaitResponse;
import dev.mcpsandbox.sandbox.backend.Launcher;
import dev.mcpsandbox.sandbox.backend.RunLimits;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.scratch.ScratchSpace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One container plus its scratch space; see {@link Sandbox}. Its streams are attached before it starts, so
 * nothing it prints is lost, and its stdin carries the go line and then the code's own stdin.
 *
 * <p>Lifecycle: {@link #start} attaches and starts the container (its launcher then waits for the go line);
 * the engine's wait call completes {@link #exit} with the exit status, after the OOM flag has been read;
 * {@link #close} kills and removes the container, then the scratch space. A container left behind by a
 * crashed server is removed by {@link OrphanSweeper} at the next start.
 */
final class DockerSandbox implements Sandbox {
    private static final Logger log = LoggerFactory.getLogger(DockerSandbox.class);
    private static final int PIPE_BYTES = 256 * 1024;
    private static final Duration ENGINE_CALL_LIMIT = Duration.ofSeconds(15);
    /** Daemon threads, so an engine call that never returns cannot keep the JVM alive. */
    private static final java.util.concurrent.ExecutorService ENGINE_CALLS = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "docker-teardown");
        t.setDaemon(true);
        return t;
    });

    private final DockerClient docker;
    private final String name;
    private final String id;
    private final ScratchSpace scratch;
    private final Runnable onClose;
    private final Executor io;
    private final BytePipe stdout = new BytePipe(PIPE_BYTES);
    private final BytePipe stderr = new BytePipe(PIPE_BYTES);
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    /** Completed when the engine ends the attach stream: no process of the container holds its stdout any more. */
    private final CompletableFuture<Void> outputEnded = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CompletableFuture<Void> tornDown = new CompletableFuture<>();
    private volatile boolean oomKilled;
    /** The engine still called the container running when its wait call ended (that call broke, not the container). */
    private volatile boolean runningAtExit;
    /** Set once the engine's wait call is registered, which is what completes {@link #exit}. */
    private volatile boolean watched;
    private volatile ContainerCgroup cgroup;
    private ResultCallback.Adapter<Frame> attached;
    private StdinChannel stdin;

    DockerSandbox(DockerClient docker, String name, String id, ScratchSpace scratch, Runnable onClose, Executor io) {
        this.docker = docker;
        this.name = name;
        this.id = id;
        this.scratch = scratch;
        this.onClose = onClose;
        this.io = io;
    }

    /** Attaches to the created container, starts it, and watches for its end. */
    void start(java.net.URI engine, Duration attachTimeout) throws SandboxException {
        CountDownLatch attachedLatch = new CountDownLatch(1);
        attached = new ResultCallback.Adapter<>() {
            @Override
            public void onStart(java.io.Closeable stream) {
                super.onStart(stream);
                attachedLatch.countDown();
            }

            @Override
            public void onNext(Frame frame) {
                OutputStream target = frame.getStreamType() == StreamType.STDERR ? stderr.sink : stdout.sink;
                try {
                    target.write(frame.getPayload());
                } catch (IOException e) {
                    // the reader is gone: drop the output
                }
            }

            @Override
            public void onError(Throwable throwable) {
                if (!closed.get()) {
                    log.debug("{}: attach stream failed: {}", name, throwable.toString());
                }
                endOfOutput();
                attachedLatch.countDown();
            }

            @Override
            public void onComplete() {
                endOfOutput();
            }
        };
        docker.attachContainerCmd(id).withStdOut(true).withStdErr(true)
                .withFollowStream(true).withLogs(false).exec(attached);
        try {
            if (!attachedLatch.await(attachTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new SandboxException("the engine did not attach to container " + name + " within " + attachTimeout);
            }
            stdin = StdinChannel.attach(engine, id);
            docker.startContainerCmd(id).exec();
        } catch (IOException e) {
            throw new SandboxException("cannot attach to the stdin of container " + name + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while starting container " + name, e);
        } catch (DockerException e) {
            throw new SandboxException("cannot start container " + name + ": " + e.getMessage(), e);
        }
        cgroup = ContainerCgroup.find(id);
        watched = true;
        docker.waitContainerCmd(id).exec(new ResultCallback.Adapter<WaitResponse>() {
            @Override
            public void onNext(WaitResponse response) {
                finished(Optional.ofNullable(response.getStatusCode()));
            }

            @Override
            public void onError(Throwable throwable) {
                finished(Optional.empty());
            }

            @Override
            public void onComplete() {
                finished(Optional.empty());
            }
        });
    }

    private void finished(Optional<Integer> status) {
        if (exit.isDone()) {
            return;
        }
        // Read why it ended before anyone sees the end: the watch loop checks endSignals() right after.
        int code = status.orElse(-1);
        try {
            var state = docker.inspectContainerCmd(id).exec().getState();
            oomKilled = Boolean.TRUE.equals(state.getOOMKilled());
            runningAtExit = Boolean.TRUE.equals(state.getRunning());
            if (status.isEmpty() && state.getExitCodeLong() != null) {
                code = state.getExitCodeLong().intValue();
            }
        } catch (RuntimeException e) {
            log.debug("{}: cannot inspect after exit: {}", name, e.getMessage());
        }
        exit.complete(code);
    }

    private void endOfOutput() {
        stdout.endWriting();
        stderr.endWriting();
        outputEnded.complete(null);
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
    public void begin(RunLimits limits, byte[] input) throws IOException {
        if (exit.isDone()) {
            throw new IOException("container " + name + " ended before its go line");
        }
        stdin.write(Launcher.goLine(limits).getBytes(StandardCharsets.US_ASCII));
        // The code may never read its stdin; a writer blocked on a full socket must not hold up the run.
        io.execute(() -> {
            try {
                if (input.length > 0) {
                    stdin.write(input);
                }
                stdin.endOfInput();
            } catch (IOException e) {
                log.debug("{}: stdin closed early: {}", name, e.getMessage());
            }
        });
    }

    @Override
    public OutputStream beginSession(RunLimits limits) throws IOException {
        if (exit.isDone()) {
            throw new IOException("container " + name + " ended before its go line");
        }
        stdin.write(Launcher.goLine(limits).getBytes(StandardCharsets.US_ASCII));
        return stdin.asStream();
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
            return Optional.of(-1);
        }
    }

    /**
     * The engine's wait call answers when the container's init has ended; its other processes (a fork bomb's
     * orphans, or under runsc the sandbox's whole user-space kernel) may still be going down then, still writing.
     * The engine ends the attach stream only once nothing holds the container's output any more, so that end,
     * together with the engine no longer calling it running, is when the container is gone.
     */
    @Override
    public boolean awaitGone(Duration limit) throws InterruptedException {
        if (!watched) {
            return true; // never started: nothing of it ran
        }
        long end = System.nanoTime() + limit.toNanos();
        kill();
        try {
            CompletableFuture.allOf(exit, outputEnded).get(limit.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            // neither future is ever completed exceptionally
        }
        while (runningAtExit) {
            if (System.nanoTime() >= end) {
                return false;
            }
            Thread.sleep(50);
            try {
                runningAtExit = Boolean.TRUE.equals(docker.inspectContainerCmd(id).exec().getState().getRunning());
            } catch (NotFoundException e) {
                runningAtExit = false;
            } catch (RuntimeException e) {
                log.debug("{}: cannot inspect while waiting for its end: {}", name, e.getMessage());
            }
        }
        return true;
    }

    @Override
    public boolean alive() {
        return !exit.isDone() && !closed.get();
    }

    @Override
    public void kill() {
        if (exit.isDone() && !runningAtExit) {
            return;
        }
        // SIGKILL to the container's init: the PID namespace goes with it, whatever the code forked. Sent from
        // another thread: the engine answers a kill only once the container's output is drained, and the caller
        // may be the very thread that drains it (the output cap's reader). Callers wait with awaitExit.
        CompletableFuture.runAsync(() -> bounded("kill", () -> docker.killContainerCmd(id).withSignal("KILL").exec()),
                ENGINE_CALLS);
    }

    @Override
    public Optional<Usage> usage() {
        ContainerCgroup c = cgroup;
        return Optional.of(new Usage(c == null ? Optional.empty() : c.memoryInUse(), scratch.diskInUse()));
    }

    @Override
    public EndSignals endSignals() {
        ContainerCgroup c = cgroup;
        return new EndSignals(oomKilled || c != null && c.oomKilled(), c != null && c.processCapHit(), scratch.full());
    }

    /**
     * Returns once the container is gone (or the engine gave up): a second caller, such as the backend closing
     * while a run's teardown is under way, waits for the first, so the server cannot exit in between.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            tornDown.join();
            return;
        }
        // Teardown must finish even on an interrupted thread (a pool shutting down), or a container stays behind.
        boolean interrupted = Thread.interrupted();
        try {
            tearDown();
        } finally {
            tornDown.complete(null);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void tearDown() {
        kill();
        // Only a started container reports its end; one whose start failed (or never came) is just removed.
        if (watched) {
            try {
                exit.get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                log.warn("{}: container did not report its end 10 s after SIGKILL", name);
            }
        }
        remove();
        try {
            if (attached != null) {
                attached.close();
            }
        } catch (IOException e) {
            log.debug("{}: closing the attach stream: {}", name, e.getMessage());
        }
        if (stdin != null) {
            stdin.close();
        }
        stdout.stopReading();
        stderr.stopReading();
        scratch.close();
        onClose.run();
    }

    void remove() {
        bounded("remove", () -> docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec());
    }

    /**
     * Runs one engine call of the teardown, giving up after {@link #ENGINE_CALL_LIMIT}: the engine API has no
     * deadline of its own, and runsc 20221219 has been seen to hang a kill (and with it dockerd's lock on the
     * container) under load. A server must still finish its runs and exit; what stays behind is removed by the
     * next start's sweep.
     */
    private void bounded(String what, Runnable call) {
        CompletableFuture<Void> done = CompletableFuture.runAsync(call, ENGINE_CALLS);
        try {
            done.get(ENGINE_CALL_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (!(cause instanceof NotFoundException) && !(cause instanceof ConflictException)) {
                log.warn("{}: cannot {} container {}: {}", name, what, id, cause.getMessage());
            }
        } catch (TimeoutException e) {
            log.warn("{}: the engine did not {} container {} within {}; the next server start removes it", name, what,
                    id, ENGINE_CALL_LIMIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
