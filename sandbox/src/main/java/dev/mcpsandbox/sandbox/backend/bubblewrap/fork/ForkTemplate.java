package dev.mcpsandbox.sandbox.backend.bubblewrap.fork;

import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.limits.Cgroups;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One template process (fork_template.py) and its protocol: fork a child, move it into its cgroups, let it go, hear
 * how it ended. The template's death ends every child it forked (they live in its PID namespace) and every wait on
 * it: pending forks fail, children end as {@link ChildEnd.TemplateLost}.
 */
final class ForkTemplate {
    private static final Logger log = LoggerFactory.getLogger(ForkTemplate.class);
    /** A fork is a few milliseconds; this long means the template is stuck, and it is given up. */
    private static final Duration FORK_ANSWER = Duration.ofSeconds(3);

    /** How a child ended, as the template saw it. */
    sealed interface ChildEnd {
        /** @param status the user process's exit status, 128 + the signal when one ended it */
        record Exited(int status) implements ChildEnd {
        }

        /** The template died first; the child died with it. */
        record TemplateLost() implements ChildEnd {
        }
    }

    /** A forked child, already in its cgroups and let go: it is setting itself up, or waiting for its go line. */
    record Child(String name, long hostPid, CompletableFuture<ChildEnd> end) {
    }

    private final String name;
    private final ForkHost.StartedTemplate started;
    private final long templateHostPid;
    private final Instant startedAt;
    private final OutputStream commands;
    private final Map<String, CompletableFuture<Integer>> pids = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<ChildEnd>> ends = new ConcurrentHashMap<>();
    private final AtomicInteger forked = new AtomicInteger();
    private final AtomicInteger live = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean dead;
    private volatile boolean retired;
    private volatile boolean failedAFork;

    private ForkTemplate(String name, ForkHost.StartedTemplate started, long templateHostPid, BufferedReader answers,
                         Instant startedAt) {
        this.name = name;
        this.started = started;
        this.templateHostPid = templateHostPid;
        this.startedAt = startedAt;
        this.commands = started.process().getOutputStream();
        Thread reader = new Thread(() -> listen(answers), "fork-template-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts a template and waits until it has imported its modules; {@code command} runs fork_template.py. */
    static ForkTemplate start(String name, ForkKey key, List<String> command, ForkHost host, Duration readyWithin)
            throws SandboxException {
        ForkHost.StartedTemplate started = host.starter().start(name, key, command);
        Process process = started.process();
        Thread errors = new Thread(() -> logErrors(name, process), "fork-template-stderr-" + name);
        errors.setDaemon(true);
        errors.start();
        BufferedReader answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        try {
            CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
                try {
                    return answers.readLine();
                } catch (IOException e) {
                    return null;
                }
            }, host.io());
            String line = ready.get(readyWithin.toMillis(), TimeUnit.MILLISECONDS);
            if (line == null || !line.startsWith("ready ")) {
                throw new SandboxException("the fork-server template " + name + " did not start (its stderr is in the log)");
            }
            long ownPid = Long.parseLong(line.substring(6).trim());
            long hostPid = process.toHandle().descendants().mapToLong(ProcessHandle::pid)
                    .filter(p -> namespacePid(p).equals(Optional.of(ownPid))).findFirst()
                    .orElseThrow(() -> new SandboxException("cannot find the template " + name + " among bwrap's processes"));
            return new ForkTemplate(name, started, hostPid, answers, Instant.now());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop(started);
            throw new SandboxException("interrupted while the fork-server template started", e);
        } catch (ExecutionException | TimeoutException | NumberFormatException | SandboxException e) {
            stop(started);
            throw e instanceof SandboxException s ? s : new SandboxException("the fork-server template " + name
                    + " was not ready within " + readyWithin.toSeconds() + " s", e);
        }
    }

    private static void stop(ForkHost.StartedTemplate started) {
        started.process().destroyForcibly();
        try {
            started.process().waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        started.release().run();
    }

    /**
     * Forks a child that runs {@code entryFile} as {@code uid}, moves it into {@code group} before it can fork
     * anything, and lets it go. Throws when the template is dead, does not answer or could not give the child its uid
     * (the template is then not used again); the caller then takes the cold path.
     */
    Child fork(String childName, String entryFile, ChildUids.ChildUid uid, Cgroups.Group group)
            throws SandboxException, InterruptedException {
        CompletableFuture<Integer> pid = new CompletableFuture<>();
        CompletableFuture<ChildEnd> end = new CompletableFuture<>();
        pids.put(childName, pid);
        ends.put(childName, end);
        live.incrementAndGet();
        forked.incrementAndGet();
        try {
            send("fork " + childName + " " + entryFile + " " + uid.inTemplate());
            int inTemplate = pid.get(FORK_ANSWER.toMillis(), TimeUnit.MILLISECONDS);
            long hostPid = hostPidOfChild(inTemplate).orElseThrow(() ->
                    new SandboxException("cannot find the forked child " + childName + " on the host"));
            try {
                for (Path procs : group.procsFiles()) {
                    Files.writeString(procs, Long.toString(hostPid));
                }
            } catch (IOException e) {
                send("drop " + childName);
                throw new SandboxException("cannot move the forked child into its cgroups: " + e.getMessage(), e);
            }
            send("go " + childName);
            return new Child(childName, hostPid, end);
        } catch (ExecutionException | TimeoutException | SandboxException e) {
            pids.remove(childName);
            live.decrementAndGet();
            if (!(e instanceof SandboxException)) {
                // a template that does not answer a fork, or could not give a child its own uid (it killed that
                // child before it set anything up), cannot be trusted with the next one
                failedAFork = !dead;  // a template that died under the fork is only replaced
                retire();
                started.process().destroyForcibly();
            }
            throw e instanceof SandboxException s ? s : new SandboxException("the fork-server template " + name
                    + " did not fork: " + (e.getCause() != null ? e.getCause().getMessage() : e), e);
        }
    }

    private synchronized void send(String line) throws SandboxException {
        try {
            commands.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            commands.flush();
        } catch (IOException e) {
            throw new SandboxException("the fork-server template " + name + " is gone: " + e.getMessage(), e);
        }
    }

    private void listen(BufferedReader answers) {
        try {
            for (String line; (line = answers.readLine()) != null; ) {
                String[] words = line.split(" ");
                if (words.length >= 2 && words[0].equals("fail")) {
                    String why = line.substring(line.indexOf(words[1]) + words[1].length()).trim();
                    Optional.ofNullable(pids.remove(words[1])).ifPresent(f -> f.completeExceptionally(
                            new SandboxException("the child could not be given its uid: " + why)));
                } else if (words.length == 3 && words[0].equals("pid")) {
                    Optional.ofNullable(pids.remove(words[1])).ifPresent(f -> f.complete(Integer.parseInt(words[2])));
                } else if (words.length == 3 && words[0].equals("exit")) {
                    Optional.ofNullable(ends.remove(words[1]))
                            .ifPresent(f -> f.complete(new ChildEnd.Exited(Integer.parseInt(words[2]))));
                }
            }
        } catch (IOException | RuntimeException e) {
            log.debug("{}: reading the template's answers failed", name, e);
        }
        dead = true;
        if (!retired) {
            log.warn("the fork-server template {} died; its children died with it", name);
        }
        SandboxException gone = new SandboxException("the fork-server template " + name + " died");
        pids.values().forEach(f -> f.completeExceptionally(gone));
        ends.values().forEach(f -> f.complete(new ChildEnd.TemplateLost()));
        awaitEndAndRelease();
    }

    /** Once its process is gone (5 s at most), frees what the template took; whoever comes first does it. */
    private void awaitEndAndRelease() {
        try {
            started.process().waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (released.compareAndSet(false, true)) {
            started.release().run();
        }
    }

    /** The child of the template whose PID in the template's namespace is {@code inTemplate}. */
    private Optional<Long> hostPidOfChild(int inTemplate) {
        Path children = Path.of("/proc", Long.toString(templateHostPid), "task", Long.toString(templateHostPid), "children");
        try {
            for (String pid : Files.readString(children).trim().split(" ")) {
                if (!pid.isEmpty() && namespacePid(Long.parseLong(pid)).equals(Optional.of((long) inTemplate))) {
                    return Optional.of(Long.parseLong(pid));
                }
            }
        } catch (IOException | NumberFormatException e) {
            log.debug("{}: cannot list the template's children", name, e);
        }
        return Optional.empty();
    }

    /** A process's PID in the namespace one below the host's (the template's), from its NSpid line. */
    private static Optional<Long> namespacePid(long hostPid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(hostPid), "status"))) {
                if (line.startsWith("NSpid:")) {
                    String[] ids = line.substring(6).trim().split("\\s+");
                    return ids.length >= 2 ? Optional.of(Long.parseLong(ids[1])) : Optional.empty();
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static void logErrors(String name, Process process) {
        try (BufferedReader errors = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = errors.readLine()) != null; ) {
                log.warn("fork-server template {}: {}", name, line);
            }
        } catch (IOException e) {
            log.debug("{}: its stderr ended", name, e);
        }
    }

    /** The host uids its children run as. */
    ChildUids children() {
        return started.children();
    }

    /**
     * The template's virtual memory (VmSize) now, which every child starts with: its preloaded modules count against
     * a child's address-space limit as a fresh interpreter's imports would.
     */
    long addressSpaceBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(templateHostPid), "status"))) {
                if (line.startsWith("VmSize:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            log.debug("{}: cannot read its VmSize", name, e);
        }
        return Long.MAX_VALUE;
    }

    /** True when it was given up because a fork failed (not answered, or a child not given its uid). */
    boolean failedAFork() {
        return failedAFork;
    }

    boolean alive() {
        return !dead && started.process().isAlive();
    }

    /** True when the template has forked {@code maxChildren} or lived {@code maxAge}: time for a successor. */
    boolean due(int maxChildren, Duration maxAge) {
        return forked.get() >= maxChildren || Duration.between(startedAt, Instant.now()).compareTo(maxAge) >= 0;
    }

    /** No more forks; the template exits once its last child has been closed. */
    void retire() {
        retired = true;
        endIfIdle();
    }

    /** A child's sandbox was closed. */
    void childClosed() {
        live.decrementAndGet();
        endIfIdle();
    }

    private void endIfIdle() {
        if (retired && live.get() <= 0) {
            try {
                commands.close();  // the template returns from its loop; bwrap ends with it
            } catch (IOException e) {
                started.process().destroyForcibly();
            }
        }
    }

    /**
     * Kills the template and, with it, every child it forked (server shutdown), and frees its scratch space, cgroup
     * and uid before it returns: the backend removes the run directory next.
     */
    void kill() {
        retired = true;
        started.process().destroyForcibly();
        awaitEndAndRelease();
    }

    @Override
    public String toString() {
        return name;
    }
}
