package dev.mcpsandbox.sandbox.backend.bubblewrap.fork;

import dev.mcpsandbox.config.ForkServerConfig;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import dev.mcpsandbox.sandbox.backend.scratch.ScratchSpace;
import dev.mcpsandbox.sandbox.limits.Cgroups;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The templates of one backend, one per {@link ForkKey}, each replaced after {@code maxChildren} children or
 * {@code maxAgeSeconds} (as soon as its successor is ready), or at once when it dies. A run forks from the current
 * template when there is one; otherwise (none yet, a dead one being replaced, a spec no template serves) it gets
 * nothing here and takes the cold path, so no request waits for a template to start.
 */
public final class ForkServers implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ForkServers.class);
    /** What a template may take to import its modules (matplotlib's font cache, the first time, takes seconds). */
    private static final Duration READY_WITHIN = Duration.ofSeconds(120);
    /** After a template failed to start, forks wait this long before another try: runs go cold meanwhile. */
    private static final Duration RETRY_AFTER = Duration.ofSeconds(30);
    static final String TEMPLATE_SCRIPT = "fork_template.py";
    /** Address space a child must have beyond the template's own for a run to be forked. */
    private static final long ADDRESS_SPACE_HEADROOM = 64L << 20;

    private final ForkHost host;
    private final ForkServerConfig settings;
    private final String owner;
    private final Map<ForkKey, Lineage> lineages = new ConcurrentHashMap<>();
    private final Set<ForkedSandbox> live = ConcurrentHashMap.newKeySet();
    /** Every template started and not seen dead: a retired one still serves the children it forked. */
    private final Set<ForkTemplate> running = ConcurrentHashMap.newKeySet();
    private final AtomicLong templates = new AtomicLong();
    private volatile boolean closed;

    private ForkServers(ForkHost host, ForkServerConfig settings, String owner) {
        this.host = host;
        this.settings = settings;
        this.owner = owner;
    }

    /** Writes the template script into {@code runtimeDir}, which every template sees at /run/fork. */
    public static ForkServers prepare(ForkHost host, ForkServerConfig settings, Path runtimeDir, String owner)
            throws IOException {
        try (InputStream in = ForkServers.class.getResourceAsStream(TEMPLATE_SCRIPT)) {
            if (in == null) {
                throw new IOException(TEMPLATE_SCRIPT + " is missing from the jar");
            }
            Files.write(runtimeDir.resolve(TEMPLATE_SCRIPT), in.readAllBytes());
        }
        return new ForkServers(host, settings, owner);
    }

    /** A child forked to run {@code spec}, named {@code name}; empty: the cold path serves it. */
    public Optional<Sandbox> fork(SandboxSpec spec, String name) throws InterruptedException {
        Optional<ForkKey.ForkableRun> run = ForkKey.of(spec);
        if (closed || run.isEmpty() || !host.cgroups().available()) {
            return Optional.empty();
        }
        Optional<ForkTemplate> template = lineages.computeIfAbsent(run.get().key(), Lineage::new).current();
        if (template.isEmpty()) {
            return Optional.empty();
        }
        if (spec.addressSpaceMb() * 1024L * 1024L < template.get().addressSpaceBytes() + ADDRESS_SPACE_HEADROOM) {
            // The child would start near its address-space limit (a preloaded numpy is ~100 MB of it): a fresh
            // interpreter, which imports only what the code asks for, serves a limit this small better.
            return Optional.empty();
        }
        try {
            return Optional.of(forkFrom(template.get(), spec, name, run.get().entryFile()));
        } catch (SandboxException e) {
            log.warn("{}: no fork from {} ({}); starting a sandbox instead", name, template.get(), e.getMessage());
            return Optional.empty();
        }
    }

    private ForkedSandbox forkFrom(ForkTemplate template, SandboxSpec spec, String name, String entryFile)
            throws SandboxException, InterruptedException {
        List<AutoCloseable> made = new ArrayList<>();
        try {
            // A host uid of the child's own (see ChildUids), held until its sandbox is closed
            ChildUids.ChildUid uid = template.children().lease().orElseThrow(() -> new SandboxException(
                    "every host uid of " + template + "'s children (" + template.children() + ") is in use"));
            made.add(() -> template.children().release(uid));
            ScratchSpace scratch = ScratchSpace.create(host.forksDir().resolve(name), uid.host(),
                    spec.limits().diskMb() * 1024L * 1024L, host.diskQuota());
            made.add(scratch);
            Cgroups.Group group = host.cgroups().create(name, spec.limits())
                    .orElseThrow(() -> new SandboxException("no cgroups for the forked child"));
            made.add(group);
            ChildStreams streams = ChildStreams.open(scratch.root().resolve(ChildStreams.SOCKET), uid.host(), host.io());
            made.add(streams);
            ForkTemplate.Child child = template.fork(name, entryFile, uid, group);
            ForkedSandbox[] sandbox = new ForkedSandbox[1];
            sandbox[0] = new ForkedSandbox(template, child, scratch, group, streams, host.io(), () -> {
                live.remove(sandbox[0]);
                template.children().release(uid);
            });
            live.add(sandbox[0]);
            return sandbox[0];
        } catch (IOException | RuntimeException | SandboxException | InterruptedException e) {
            for (int i = made.size() - 1; i >= 0; i--) {
                try {
                    made.get(i).close();
                } catch (Exception closing) {
                    log.debug("{}: cleaning up a failed fork", name, closing);
                }
            }
            if (e instanceof SandboxException failed) {
                throw failed;
            }
            if (e instanceof InterruptedException interrupted) {
                throw interrupted;
            }
            throw new SandboxException("cannot prepare a forked child: " + e.getMessage(), e);
        }
    }

    /** Kills every template, and so every child; then tears the children's sandboxes down. */
    @Override
    public void close() {
        closed = true;
        List.copyOf(running).forEach(ForkTemplate::kill);
        List.copyOf(live).forEach(ForkedSandbox::close);
    }

    /** The successive templates of one key: the current one, and whether its successor is starting. */
    private final class Lineage {
        private final ForkKey key;
        private ForkTemplate current;
        private boolean starting;
        private Instant failedAt = Instant.MIN;

        Lineage(ForkKey key) {
            this.key = key;
        }

        synchronized Optional<ForkTemplate> current() {
            if (current != null && !current.alive()) {
                if (current.failedAFork()) {
                    // what broke it (its children's uid maps, say) would break its successor: wait as after a failed start
                    failedAt = Instant.now();
                    log.warn("the fork-server template {} failed a fork; runs start their own sandboxes for {} s",
                            current, RETRY_AFTER.toSeconds());
                }
                current = null;  // died: its replacement starts below, and this run goes cold
            }
            boolean due = current == null || current.due(settings.maxChildren(), Duration.ofSeconds(settings.maxAgeSeconds()));
            if (due && !starting && Duration.between(failedAt, Instant.now()).compareTo(RETRY_AFTER) > 0) {
                starting = true;
                host.io().execute(this::startSuccessor);
            }
            return Optional.ofNullable(current);
        }

        private void startSuccessor() {
            String name = owner + "-fork-" + templates.incrementAndGet();
            List<String> command = new ArrayList<>(key.interpreter());
            command.add("/run/fork/" + TEMPLATE_SCRIPT);
            command.add(key.bootstrap());
            command.addAll(key.preload());
            command.addAll(settings.preloadOf("python"));
            try {
                long began = System.nanoTime();
                ForkTemplate started = ForkTemplate.start(name, key, command, host, READY_WITHIN);
                log.info("fork-server template {} ready in {} ms (preloaded: {})", name,
                        (System.nanoTime() - began) / 1_000_000, settings.preloadOf("python"));
                running.removeIf(t -> !t.alive());
                running.add(started);  // before the check below: a close() from now on kills it
                ForkTemplate previous;
                synchronized (this) {
                    starting = false;
                    if (closed) {
                        started.kill();
                        return;
                    }
                    previous = current;
                    current = started;
                }
                if (previous != null) {
                    previous.retire();
                }
            } catch (SandboxException | RuntimeException e) {
                log.warn("cannot start a fork-server template; runs start their own sandboxes for {} s: {}",
                        RETRY_AFTER.toSeconds(), e.getMessage());
                synchronized (this) {
                    starting = false;
                    failedAt = Instant.now();
                }
            }
        }
    }
}
