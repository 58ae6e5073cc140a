package dev.mcpsandbox.sandbox.pool;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.backend.GoLine;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import dev.mcpsandbox.sandbox.backend.fake.FakeProgram;
import dev.mcpsandbox.sandbox.backend.fake.FakeSandbox;
import dev.mcpsandbox.sandbox.backend.fake.FakeSandboxBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static dev.mcpsandbox.sandbox.backend.fake.FakeSandboxBackend.await;
import static org.assertj.core.api.Assertions.assertThat;

/** The warm pool over the in-memory backend: how many it keeps, what it hands out, and that it leaks nothing. */
class WarmPoolTest {
    /** Generous: the refill runs on the pool's own threads, and this machine may be busy. */
    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final ResourceLimits SMALL = new ResourceLimits(30, 64, 16, 65_536, 1, 16, 0);

    private final List<AutoCloseable> opened = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(opened);
        for (AutoCloseable c : opened) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T opened(T closeable) {
        opened.add(closeable);
        return closeable;
    }

    private static SandboxSpec spec(String binary, ResourceLimits limits) {
        return new SandboxSpec("pool", List.of(binary, "-"), List.of(), Map.of("PATH", "/usr/bin:/bin"), limits, 128,
                GoLine.LAUNCHER);
    }

    private static final SandboxSpec PYTHON = spec("/usr/bin/python3", SMALL);

    @Test
    void keepsTheConfiguredNumberReadyAndNoMore() throws Exception {
        FakeSandboxBackend backend = opened(FakeSandboxBackend.running(FakeProgram.exit(0)));
        WarmPool pool = opened(new WarmPool(backend, Clock.systemUTC()));

        pool.keep("python", PYTHON, 3);

        assertThat(await(() -> pool.ready().getOrDefault("python", 0) == 3, DEADLINE)).as("3 ready").isTrue();
        Thread.sleep(100);
        assertThat(backend.creations()).as("sandboxes created for a pool of 3").isEqualTo(3);
        assertThat(backend.sandboxes()).allSatisfy(s -> assertThat(s.begun()).as("pre-started, not begun").isFalse());
    }

    @Test
    void refillsAfterATake() throws Exception {
        FakeSandboxBackend backend = opened(FakeSandboxBackend.running(FakeProgram.exit(0)));
        WarmPool pool = opened(new WarmPool(backend, Clock.systemUTC()));
        pool.keep("python", PYTHON, 2);
        assertThat(await(() -> pool.ready().get("python") == 2, DEADLINE)).isTrue();

        Optional<Sandbox> taken = pool.take("python", PYTHON);

        assertThat(taken).isPresent();
        opened(taken.get());
        assertThat(await(() -> pool.ready().get("python") == 2, DEADLINE)).as("refilled to 2").isTrue();
        assertThat(backend.creations()).isEqualTo(3);
    }

    @Test
    void aSandboxThatDiedWhileWaitingIsClosedNotHandedOut() throws Exception {
        FakeSandboxBackend backend = opened(FakeSandboxBackend.running(FakeProgram.exit(0)));
        WarmPool pool = opened(new WarmPool(backend, Clock.systemUTC()));
        pool.keep("python", PYTHON, 2);
        assertThat(await(() -> pool.ready().get("python") == 2, DEADLINE)).isTrue();
        List<FakeSandbox> ready = backend.sandboxes();
        FakeSandbox dead = ready.get(0);
        dead.kill(); // the runtime crashed before any request came
        assertThat(dead.alive()).isFalse();

        Sandbox first = opened(pool.take("python", PYTHON).orElseThrow());
        Optional<Sandbox> second = pool.take("python", PYTHON);

        assertThat(first).isSameAs(ready.get(1));
        assertThat(first.alive()).isTrue();
        assertThat(second.filter(s -> s == dead)).as("the dead sandbox handed out").isEmpty();
        second.ifPresent(opened::add);
        assertThat(dead.closed()).as("the dead sandbox was closed when the pool found it dead").isTrue();
    }

    @Test
    void closeClosesEveryReadySandbox() throws Exception {
        FakeSandboxBackend backend = opened(FakeSandboxBackend.running(FakeProgram.exit(0)));
        WarmPool pool = new WarmPool(backend, Clock.systemUTC());
        pool.keep("python", PYTHON, 3);
        pool.keep("bash", spec("/bin/bash", SMALL), 2);
        assertThat(await(() -> pool.ready().equals(Map.of("python", 3, "bash", 2)), DEADLINE)).isTrue();

        pool.close();

        assertThat(backend.open()).as("sandboxes left open after the pool closed").isEmpty();
        assertThat(backend.closes()).isEqualTo(5);
    }

    @Test
    void closeWhileCreationsAreInFlightClosesWhatTheyReturnLater() throws Exception {
        FakeSandboxBackend backend = opened(FakeSandboxBackend.builder().creationLatency(Duration.ofMillis(300)).build());
        WarmPool pool = new WarmPool(backend, Clock.systemUTC());
        pool.keep("python", PYTHON, 3);
        assertThat(await(() -> backend.creations() == 0 && pool.ready().get("python") == 0, DEADLINE)).isTrue();

        pool.close(); // the creations under way finish after this, interrupted or not

        assertThat(await(() -> backend.creations() > 0 && backend.open().isEmpty()
                && backend.closes() == backend.creations(), DEADLINE))
                .as("every sandbox created after close() was closed; created %d, open %s", backend.creations(),
                        backend.open()).isTrue();
        Thread.sleep(400);
        assertThat(backend.open()).isEmpty();
    }

    @Test
    void neverHandsOneSandboxToTwoTakers() throws Exception {
        FakeSandboxBackend backend = opened(FakeSandboxBackend.builder().creationLatency(Duration.ofMillis(1)).build());
        WarmPool pool = opened(new WarmPool(backend, Clock.systemUTC()));
        pool.keep("python", PYTHON, 3);
        assertThat(await(() -> pool.ready().get("python") == 3, DEADLINE)).isTrue();
        Set<Sandbox> handedOut = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
        List<Sandbox> duplicates = Collections.synchronizedList(new ArrayList<>());
        int takers = 8;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(takers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < takers; t++) {
                done.add(threads.submit(() -> {
                    start.await();
                    // Take until refills have been handed out too (not a fixed count: eight fast takers can empty
                    // the three pre-started sandboxes before the first refill lands, and then see only those).
                    long end = System.nanoTime() + DEADLINE.toNanos();
                    while (handedOut.size() < 24 && System.nanoTime() < end) {
                        pool.take("python", PYTHON).ifPresentOrElse(s -> {
                            if (!handedOut.add(s)) {
                                duplicates.add(s);
                            }
                            s.close();
                        }, () -> LockSupport.parkNanos(100_000)); // let the refill thread in on 2 cores
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(handedOut).as("sandboxes handed out (positive control)").hasSizeGreaterThan(3);
        assertThat(duplicates).as("sandboxes handed out twice").isEmpty();
    }

    @Test
    void aSpecThatDiffersInWhatCreationFixesIsNotServedFromThePool() throws Exception {
        FakeSandboxBackend backend = opened(FakeSandboxBackend.running(FakeProgram.exit(0)));
        WarmPool pool = opened(new WarmPool(backend, Clock.systemUTC()));
        pool.keep("python", PYTHON, 1);
        assertThat(await(() -> pool.ready().get("python") == 1, DEADLINE)).isTrue();

        ResourceLimits moreMemory = new ResourceLimits(30, 128, 16, 65_536, 1, 16, 0);
        assertThat(pool.take("python", spec("/usr/bin/python3", moreMemory))).as("more memory").isEmpty();
        assertThat(pool.take("python", spec("/usr/bin/python3.12", SMALL))).as("another command").isEmpty();
        assertThat(pool.take("ruby", PYTHON)).as("a language without a pool").isEmpty();
        assertThat(pool.ready()).containsEntry("python", 1);

        // Time, output and file size go on the go line, so a launcher-started sandbox serves a tighter request.
        ResourceLimits tighterPerRun = new ResourceLimits(5, 64, 16, 1024, 1, 16, 0);
        assertThat(pool.take("python", spec("/usr/bin/python3", tighterPerRun)).map(opened::add)).isPresent();
    }

    @Test
    void aRuntimeWithCreationLimitsIsServedForAShorterTimeoutButNotALongerOneOrAnotherFileSize() throws Exception {
        FakeSandboxBackend backend = opened(FakeSandboxBackend.running(FakeProgram.exit(0)));
        WarmPool pool = opened(new WarmPool(backend, Clock.systemUTC()));
        pool.keep("javascript", node(SMALL), 1);
        assertThat(await(() -> pool.ready().get("javascript") == 1, DEADLINE)).isTrue();

        ResourceLimits longer = new ResourceLimits(60, 64, 16, 65_536, 1, 16, 0);
        ResourceLimits biggerFiles = new ResourceLimits(30, 64, 16, 65_536, 2, 16, 0);
        assertThat(pool.take("javascript", node(longer))).as("a longer timeout: the CPU limit would end it early")
                .isEmpty();
        assertThat(pool.take("javascript", node(biggerFiles))).as("another file-size limit").isEmpty();
        ResourceLimits shorter = new ResourceLimits(5, 64, 16, 65_536, 1, 16, 0);
        assertThat(pool.take("javascript", node(shorter)).map(opened::add)).as("a shorter timeout").isPresent();
    }

    private static SandboxSpec node(ResourceLimits limits) {
        return new SandboxSpec("pool", List.of("/usr/bin/node", "-"), List.of(), Map.of("PATH", "/usr/bin:/bin"), limits,
                128, GoLine.RUNTIME_WITH_CREATION_LIMITS);
    }

    @Test
    void aBackendThatCannotCreateLeavesEveryTakeOnTheColdPath() throws Exception {
        FakeSandboxBackend backend = opened(FakeSandboxBackend.builder().failingCreations(Integer.MAX_VALUE).build());
        WarmPool pool = opened(new WarmPool(backend, Clock.systemUTC()));
        pool.keep("python", PYTHON, 2);
        assertThat(await(() -> backend.failedCreations() >= 2, DEADLINE)).isTrue();

        assertThat(pool.take("python", PYTHON)).isEmpty();
        assertThat(pool.take("python", PYTHON)).isEmpty();

        assertThat(await(() -> backend.failedCreations() >= 4, DEADLINE)).as("each take tries again").isTrue();
        assertThat(pool.ready()).containsEntry("python", 0);
    }
}
