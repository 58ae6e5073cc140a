package dev.mcpsandbox.sandbox.backend;

import dev.mcpsandbox.config.ResourceLimits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@link SandboxBackend} promises through {@link Sandbox}, whatever isolates it: files written before
 * the go line are the code's {@code /workspace}; stdin, stdout, stderr and the exit code make the round trip; a
 * pre-started sandbox waits alive for its go line; {@code awaitExit} is empty while the code runs; {@code kill}
 * ends the run and {@code alive()} turns false; {@code close} is safe twice and removes the work directory; the
 * memory and process caps show in {@link Sandbox.EndSignals} where the backend can see them. One subclass per
 * backend (bubblewrap, docker, gvisor, and the in-memory fake, which must keep the same promises); what only one
 * backend promises (host uids, containers' hardening) stays in that backend's own tests.
 *
 * <p>The code is shell, run by {@code /bin/sh -c}: the constants below are the programs, so the fake backend can
 * map each to a scripted equivalent.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AbstractSandboxBackendIT {
    /** Generous: container backends tear down in seconds, more under load on 2 cores. */
    protected static final Duration DEADLINE = Duration.ofSeconds(30);

    /** Reads an input file, then stdin; writes both streams and a file; exits 3. */
    protected static final String ROUND_TRIP = "cat /workspace/in/data.txt; cat; echo to-stderr >&2;"
            + " echo made > /workspace/out.txt; exit 3";
    protected static final String SLEEP = "sleep 600";
    protected static final String HELLO = "echo hello";
    /** Touches 512 MiB, 8 at a time (bytes multiplication writes every page), in a sandbox capped at 64 MiB. */
    protected static final String EXHAUST_MEMORY =
            "exec python3 -c \"hog = [b'x' * (8 << 20) for _ in range(64)]; print(len(hog))\"";
    /**
     * Starts 40 processes at once under a cap of 8 in a subshell (which a refused fork ends), then goes on running
     * without forking: the run is still there when the signal is read, as the runner reads it while code runs.
     */
    protected static final String FORK_PAST_THE_CAP =
            "(i=0; while [ $i -lt 40 ]; do sleep 600 & i=$((i+1)); done) 2>/dev/null; exec sleep 600";

    /**
     * Forks up to 40 children that sleep (with stdout closed, so the output ends when the parent does), stopping at
     * the first refused fork; prints how many it got.
     */
    protected static final String COUNT_FORKS = "exec python3 -c \"import os, time\nn = 0\nfor _ in range(40):\n"
            + "    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
            + "    if pid == 0:\n        os.closerange(0, 3)\n        time.sleep(600)\n        os._exit(0)\n"
            + "    n += 1\nprint('forked', n, flush=True)\"";

    protected static final ResourceLimits LIMITS = new ResourceLimits(30, 64, 8, 65_536, 1, 16, 0);

    private SandboxBackend backend;
    private final List<Sandbox> created = new ArrayList<>();

    /** Starts the backend under test, or skips the suite (with the reason) where it cannot run here. */
    protected abstract SandboxBackend startBackend() throws Exception;

    /** Whether this backend sees a run end on its memory cap (cgroup OOM counters; not a backend without cgroups). */
    protected boolean seesMemoryCap(SandboxBackend backend) {
        return true;
    }

    /** Whether this backend counts the code's processes itself (not when the cap travels as RLIMIT_NPROC). */
    protected boolean seesProcessCap(SandboxBackend backend) {
        return !backend.processCapByRlimit();
    }

    @BeforeAll
    final void startTheBackend() throws Exception {
        backend = startBackend();
    }

    @AfterAll
    final void stopTheBackend() {
        if (backend != null) {
            backend.close();
        }
    }

    @AfterEach
    final void closeSandboxes() {
        created.forEach(Sandbox::close);
        created.clear();
    }

    protected static List<String> sh(String script) {
        return List.of("/bin/sh", "-c", script);
    }

    protected Sandbox create(String script) throws SandboxException {
        Sandbox sandbox = backend.create(new SandboxSpec("contract", sh(script), List.of(),
                Map.of("PATH", "/usr/bin:/bin"), LIMITS, 4096, GoLine.LAUNCHER));
        created.add(sandbox);
        return sandbox;
    }

    /** The go line's limits: generous address space, so that the cgroup (not RLIMIT_AS) meets a memory hog first. */
    private RunLimits runLimits() {
        return new RunLimits(30, 1 << 20, 64, 4L << 30, backend.processCapByRlimit() ? LIMITS.processes() : 0);
    }

    @Test
    void filesWrittenBeforeTheGoLineAreTheCodesWorkspaceAndItsOutputAndExitCodeComeBack() throws Exception {
        Sandbox sandbox = create(ROUND_TRIP);
        sandbox.writeFile("in/data.txt", "from a file\n".getBytes(StandardCharsets.UTF_8));

        sandbox.begin(runLimits(), "from stdin\n".getBytes(StandardCharsets.UTF_8));

        CompletableFuture<String> stdout = readAll(sandbox.stdout());
        CompletableFuture<String> stderr = readAll(sandbox.stderr());
        assertThat(sandbox.awaitExit(DEADLINE)).contains(3);
        assertThat(stdout.get(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isEqualTo("from a file\nfrom stdin\n");
        assertThat(stderr.get(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isEqualTo("to-stderr\n");
        assertThat(Files.readString(sandbox.workDir().resolve("out.txt"))).isEqualTo("made\n");
        assertThat(sandbox.alive()).as("alive after the code ended").isFalse();
    }

    @Test
    void aPreStartedSandboxWaitsAliveForItsGoLine() throws Exception {
        Sandbox sandbox = create(HELLO);
        Thread.sleep(500);

        assertThat(sandbox.alive()).as("alive while waiting for the go line").isTrue();
        assertThat(sandbox.awaitExit(Duration.ofMillis(200))).as("exit before the go line").isEmpty();

        sandbox.begin(runLimits(), new byte[0]);
        CompletableFuture<String> stdout = readAll(sandbox.stdout());
        assertThat(sandbox.awaitExit(DEADLINE)).contains(0);
        assertThat(stdout.get(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isEqualTo("hello\n");
    }

    @Test
    void awaitExitIsEmptyWhileTheCodeRuns() throws Exception {
        Sandbox sandbox = create(SLEEP);
        sandbox.begin(runLimits(), new byte[0]);

        assertThat(sandbox.awaitExit(Duration.ofMillis(500))).isEmpty();
        assertThat(sandbox.alive()).isTrue();
    }

    @Test
    void killEndsTheRunItsOutputAndAliveness() throws Exception {
        Sandbox sandbox = create(SLEEP);
        sandbox.begin(runLimits(), new byte[0]);
        CompletableFuture<String> stdout = readAll(sandbox.stdout());
        assertThat(sandbox.awaitExit(Duration.ofMillis(300))).as("running before the kill").isEmpty();

        sandbox.kill();
        sandbox.kill(); // any number of times

        assertThat(sandbox.awaitExit(DEADLINE)).as("exit after kill").isPresent().get().isNotEqualTo(0);
        assertThat(sandbox.alive()).isFalse();
        assertThat(stdout.get(DEADLINE.toSeconds(), TimeUnit.SECONDS)).as("stdout reaches its end").isEmpty();
    }

    @Test
    void aSandboxKilledBeforeItsGoLineIsNoLongerAlive() throws Exception {
        Sandbox sandbox = create(HELLO);

        sandbox.kill();

        assertThat(sandbox.awaitExit(DEADLINE)).isPresent();
        assertThat(sandbox.alive()).as("a pre-started sandbox that died must not be handed out").isFalse();
    }

    @Test
    void closeTwiceIsSafeAndRemovesTheWorkDirectory() throws Exception {
        Sandbox sandbox = create(SLEEP);
        sandbox.writeFile("in/data.txt", new byte[] {1});
        sandbox.begin(runLimits(), new byte[0]);
        Path work = sandbox.workDir();
        assertThat(work.resolve("in/data.txt")).exists();

        sandbox.close();
        sandbox.close();

        assertThat(sandbox.alive()).isFalse();
        assertThat(work).doesNotExist();
    }

    @Test
    void writeFileRefusesNamesThatLeaveTheWorkDirectory() throws Exception {
        Sandbox sandbox = create(HELLO);

        assertThatThrownBy(() -> sandbox.writeFile("../escape.txt", new byte[1])).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> sandbox.writeFile("a/../../escape.txt", new byte[1])).isInstanceOf(IOException.class);
        assertThat(sandbox.workDir().getParent().resolve("escape.txt")).doesNotExist();
    }

    @Test
    void aRunThatExhaustsItsMemoryIsReportedInEndSignals() throws Exception {
        Assumptions.assumeTrue(seesMemoryCap(backend), backend.name() + " cannot see a memory cap here");
        Sandbox sandbox = create(EXHAUST_MEMORY);
        sandbox.begin(runLimits(), new byte[0]);
        CompletableFuture<String> stdout = readAll(sandbox.stdout());
        CompletableFuture<String> stderr = readAll(sandbox.stderr());

        Optional<Integer> exit = sandbox.awaitExit(DEADLINE);
        String seen = "exit " + exit + ", stderr: " + stderr.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        assertThat(exit).as(seen).isPresent().get().isNotEqualTo(0);
        assertThat(stdout.get(DEADLINE.toSeconds(), TimeUnit.SECONDS)).as("the hog never finished").isEmpty();
        assertThat(sandbox.endSignals().memoryExhausted()).as(seen).isTrue();
        assertThat(sandbox.endSignals().processCapHit()).isFalse();
    }

    /**
     * Read while the run goes on: Docker's pids counter lives in the container's cgroup, which the engine removes
     * when the container stops, so after the end only a signal latched during the run would remain (the runner
     * reads the signals in its watch loop while the code runs).
     */
    @Test
    void aRefusedForkPastTheProcessCapIsReportedInEndSignalsWhileTheRunGoesOn() throws Exception {
        if (!seesProcessCap(backend)) {
            aForkPastTheCapIsRefusedInside();
            return;
        }
        Sandbox sandbox = create(FORK_PAST_THE_CAP);
        sandbox.begin(runLimits(), new byte[0]);
        readAll(sandbox.stdout());
        readAll(sandbox.stderr());

        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!sandbox.endSignals().processCapHit() && sandbox.alive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(sandbox.endSignals().processCapHit()).as("process cap hit, seen while the run goes on").isTrue();
        assertThat(sandbox.alive()).as("the run goes on after the refused fork").isTrue();
        assertThat(sandbox.endSignals().memoryExhausted()).isFalse();
    }

    /**
     * Where the cap travels as RLIMIT_NPROC (gVisor: a kernel of its own) no counter outside sees it, so the
     * promise is checked from inside: forks past the cap are refused.
     */
    private void aForkPastTheCapIsRefusedInside() throws Exception {
        Sandbox sandbox = create(COUNT_FORKS);
        sandbox.begin(runLimits(), new byte[0]);
        CompletableFuture<String> stdout = readAll(sandbox.stdout());
        readAll(sandbox.stderr());
        String forked = stdout.get(DEADLINE.toSeconds(), TimeUnit.SECONDS).strip();
        assertThat(forked).as("what the fork counter printed").startsWith("forked ");
        assertThat(Integer.parseInt(forked.substring("forked ".length()))).as("forks that succeeded under a cap of %d",
                LIMITS.processes()).isLessThan(LIMITS.processes());
    }

    @Test
    void aRunThatStaysWithinItsCapsReportsNoEndSignal() throws Exception {
        Sandbox sandbox = create(HELLO);
        sandbox.begin(runLimits(), new byte[0]);
        readAll(sandbox.stdout());

        assertThat(sandbox.awaitExit(DEADLINE)).contains(0);
        assertThat(sandbox.endSignals()).isEqualTo(new Sandbox.EndSignals(false, false, false));
    }

    /**
     * Drains a stream on a thread of its own, as the runner does (a full pipe would stall the code); not the common
     * pool, whose one thread on a 2-core machine would read stdout and stderr one after the other.
     */
    protected static CompletableFuture<String> readAll(InputStream in) {
        CompletableFuture<String> all = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                all.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException | RuntimeException e) {
                all.completeExceptionally(e);
            }
        }, "contract-reader");
        reader.setDaemon(true);
        reader.start();
        return all;
    }
}
