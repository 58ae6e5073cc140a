package dev.mcpsandbox.sandbox.backend.fake;

import dev.mcpsandbox.sandbox.backend.BackendHealth;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxBackend;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * A {@link SandboxBackend} in memory, for unit tests of what sits above the backend (the runner, the warm pool,
 * sessions): each sandbox is a pair of temporary directories and a {@link FakeProgram} the test chose, so a test
 * runs in milliseconds and can make a run print, fail, hang or hit a cap on demand. It counts creations, kills
 * and closes so a test can assert that nothing leaked. Never a stand-in for a real backend's isolation: the
 * contract suite ({@code AbstractSandboxBackendIT}) holds the fake and the real backends to the same behaviour.
 *
 * <pre>{@code
 * try (FakeSandboxBackend backend = FakeSandboxBackend.running(FakeProgram.printing("42\n"))) { ... }
 * FakeSandboxBackend.builder().program(spec -> spec.command().contains("/usr/bin/python3"), pythonFake)
 *         .otherwise(FakeProgram.exit(127)).failingCreations(1).build();
 * }</pre>
 */
public final class FakeSandboxBackend implements SandboxBackend {
    private final List<Rule> rules;
    private final FakeProgram otherwise;
    private final AtomicInteger failuresLeft;
    private final Duration creationLatency;
    private final BackendHealth health;
    private final Map<String, String> cannotRun;
    private final boolean processCapByRlimit;
    private final Path root;
    private final List<FakeSandbox> sandboxes = new CopyOnWriteArrayList<>();
    private final Map<String, String> guestFiles = new ConcurrentHashMap<>();
    private final AtomicInteger creations = new AtomicInteger();
    private final AtomicInteger failedCreations = new AtomicInteger();
    private final AtomicInteger kills = new AtomicInteger();
    private final AtomicInteger closes = new AtomicInteger();
    private volatile boolean closed;

    private FakeSandboxBackend(Builder b) {
        this.rules = List.copyOf(b.rules);
        this.otherwise = b.otherwise;
        this.failuresLeft = new AtomicInteger(b.failingCreations);
        this.creationLatency = b.creationLatency;
        this.health = b.health;
        this.cannotRun = Map.copyOf(b.cannotRun);
        this.processCapByRlimit = b.processCapByRlimit;
        try {
            this.root = Files.createTempDirectory("fake-sandboxes");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A backend whose every sandbox runs {@code program}. */
    public static FakeSandboxBackend running(FakeProgram program) {
        return builder().otherwise(program).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public BackendHealth selfCheck() {
        return health;
    }

    @Override
    public Sandbox create(SandboxSpec spec) throws SandboxException {
        if (closed) {
            throw new SandboxException("the fake backend is closed");
        }
        if (!creationLatency.isZero()) {
            sleepThroughInterrupts(creationLatency);
        }
        if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            failedCreations.incrementAndGet();
            throw new SandboxException("fake creation failure (failingCreations)");
        }
        FakeProgram program = rules.stream().filter(r -> r.when().test(spec)).map(Rule::program).findFirst()
                .orElse(otherwise);
        try {
            FakeSandbox sandbox = new FakeSandbox(spec, program, this,
                    Files.createTempDirectory(root, spec.executionId().replaceAll("[^A-Za-z0-9_-]", "_") + "-"));
            sandboxes.add(sandbox);
            creations.incrementAndGet();
            return sandbox;
        } catch (IOException e) {
            throw new SandboxException("cannot create the fake sandbox's directories: " + e.getMessage(), e);
        }
    }

    /**
     * A real engine finishes a creation it was sent although the caller's thread is interrupted (ContainerBackendIT
     * saw it), so the fake does too: the caller must still close what it gets back.
     */
    private static void sleepThroughInterrupts(Duration latency) {
        long deadline = System.nanoTime() + latency.toNanos();
        boolean interrupted = false;
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            try {
                java.util.concurrent.TimeUnit.NANOSECONDS.sleep(left);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public Map<String, String> cannotRun(Map<String, String> binaryByLanguage) {
        return cannotRun;
    }

    @Override
    public boolean processCapByRlimit() {
        return processCapByRlimit;
    }

    @Override
    public void installGuestFile(String relativePath, String content, boolean executable) {
        guestFiles.put(relativePath, content);
    }

    /** Files installed with {@link #installGuestFile}, by relative path. */
    public Map<String, String> guestFiles() {
        return Map.copyOf(guestFiles);
    }

    /** Every sandbox created so far, in order of creation. */
    public List<FakeSandbox> sandboxes() {
        return List.copyOf(sandboxes);
    }

    /** Sandboxes created and not yet closed: what a leak check expects to be empty. */
    public List<FakeSandbox> open() {
        return sandboxes.stream().filter(s -> !s.closed()).toList();
    }

    public int creations() {
        return creations.get();
    }

    /** Creations refused by {@link Builder#failingCreations}. */
    public int failedCreations() {
        return failedCreations.get();
    }

    /** Sandboxes killed (each counted once, however often it was killed). */
    public int kills() {
        return kills.get();
    }

    /** Sandboxes closed (each counted once, however often it was closed). */
    public int closes() {
        return closes.get();
    }

    /** Waits (polling, for background work such as a pool's refill) until {@code condition} holds; false after {@code limit}. */
    public static boolean await(BooleanSupplier condition, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    void countKill() {
        kills.incrementAndGet();
    }

    void countClose() {
        closes.incrementAndGet();
    }

    /** Closes every sandbox still open, as a real backend's close ends whatever it started. */
    @Override
    public void close() {
        closed = true;
        sandboxes.forEach(FakeSandbox::close);
        FakeSandbox.deleteTree(root);
    }

    private record Rule(Predicate<SandboxSpec> when, FakeProgram program) {
    }

    public static final class Builder {
        private final List<Rule> rules = new ArrayList<>();
        private FakeProgram otherwise = FakeProgram.exit(0);
        private int failingCreations;
        private Duration creationLatency = Duration.ZERO;
        private BackendHealth health = new BackendHealth(true, List.of("nothing: a fake backend for tests"),
                List.of(), List.of());
        private Map<String, String> cannotRun = Map.of();
        private boolean processCapByRlimit;

        private Builder() {
        }

        /** Sandboxes whose spec matches run {@code program}; the first matching rule wins. */
        public Builder program(Predicate<SandboxSpec> when, FakeProgram program) {
            rules.add(new Rule(when, program));
            return this;
        }

        /**
         * Sandboxes whose command runs {@code executable} (an element equal to it, or ending in "/" + it, such as
         * {@code "python3"} for {@code /usr/bin/python3}) run {@code program}: one program per language.
         */
        public Builder programFor(String executable, FakeProgram program) {
            return program(spec -> spec.command().stream()
                    .anyMatch(c -> c.equals(executable) || c.endsWith("/" + executable)), program);
        }

        /** What sandboxes no rule matches run (default: exit 0 at once). */
        public Builder otherwise(FakeProgram program) {
            this.otherwise = program;
            return this;
        }

        /** The next {@code count} creations throw {@link SandboxException}, as a broken engine would. */
        public Builder failingCreations(int count) {
            this.failingCreations = count;
            return this;
        }

        /** Each creation takes this long (a pool's refill racing its takes). */
        public Builder creationLatency(Duration latency) {
            this.creationLatency = latency;
            return this;
        }

        public Builder health(BackendHealth health) {
            this.health = health;
            return this;
        }

        /** What {@link SandboxBackend#cannotRun} answers: language → why not. */
        public Builder cannotRun(Map<String, String> languages) {
            this.cannotRun = languages;
            return this;
        }

        public Builder processCapByRlimit(boolean byRlimit) {
            this.processCapByRlimit = byRlimit;
            return this;
        }

        public FakeSandboxBackend build() {
            return new FakeSandboxBackend(this);
        }
    }
}
