package dev.mcpsandbox.sandbox.backend.bubblewrap;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.backend.AbstractSandboxBackendIT;
import dev.mcpsandbox.sandbox.backend.RunLimits;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxBackend;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The backend contract ({@link AbstractSandboxBackendIT}) on bubblewrap, and what only bubblewrap promises, seen from
 * the host: which uid its processes have, and that a kill leaves no process of the tree.
 */
class BubblewrapBackendIT extends AbstractSandboxBackendIT {
    private static final RunLimits GENEROUS = new RunLimits(30, 1 << 20, 64, 1L << 30, 0);
    @TempDir
    static Path workRoot;
    private BubblewrapBackend backend;

    @Override
    protected SandboxBackend startBackend() throws Exception {
        boolean present = Files.isExecutable(Path.of("/usr/bin/bwrap"));
        if (!present && Boolean.getBoolean("sandbox.it.required")) {
            throw new AssertionError("bubblewrap is required for this run");
        }
        Assumptions.assumeTrue(present, "bubblewrap is not installed");
        backend = BubblewrapBackend.start(Optional.of(workRoot), 61000);
        return backend;
    }

    /** Without cgroups (an unprivileged server on some hosts) memory is capped by rlimit only, which no counter shows. */
    @Override
    protected boolean seesMemoryCap(SandboxBackend backend) {
        return backend.selfCheck().weakened().stream().noneMatch(w -> w.startsWith("no cgroups"));
    }

    @Override
    protected boolean seesProcessCap(SandboxBackend backend) {
        return seesMemoryCap(backend);
    }

    private static SandboxSpec spec(List<String> command) {
        return new SandboxSpec("it", command, List.of(), Map.of("PATH", "/usr/bin:/bin"), ResourceLimits.DEFAULTS, 1024, dev.mcpsandbox.sandbox.backend.GoLine.LAUNCHER);
    }

    @Test
    void selfCheckPassesOnThisMachine() {
        assertThat(backend.selfCheck().failures()).isEmpty();
        assertThat(backend.selfCheck().usable()).isTrue();
    }

    @Test
    void codeNeverRunsAsHostRoot() throws Exception {
        String marker = "4242." + ThreadLocalRandom.current().nextInt(1000, 9999);
        try (Sandbox sandbox = backend.create(spec(List.of("/usr/bin/sleep", marker)))) {
            sandbox.begin(GENEROUS, new byte[0]);
            List<Long> pids = waitForProcesses(marker, true);
            assertThat(pids).isNotEmpty();
            for (long pid : pids) {
                assertThat(hostUid(pid)).as("host uid of sandboxed pid %d", pid).isNotZero();
            }
        }
        assertThat(waitForProcesses(marker, false)).as("processes left after close").isEmpty();
    }

    @Test
    void killTakesDownTheWholeProcessTree() throws Exception {
        String marker = "4343." + ThreadLocalRandom.current().nextInt(1000, 9999);
        try (Sandbox sandbox = backend.create(spec(List.of("/bin/sh", "-c",
                "/usr/bin/sleep " + marker + " & /usr/bin/sleep " + marker + " & wait")))) {
            sandbox.begin(GENEROUS, new byte[0]);
            assertThat(waitForProcesses(marker, true)).hasSizeGreaterThanOrEqualTo(2);
            sandbox.kill();
            assertThat(sandbox.awaitExit(Duration.ofSeconds(5))).isPresent();
            assertThat(waitForProcesses(marker, false)).isEmpty();
        }
    }

    private static List<Long> waitForProcesses(String marker, boolean present) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        List<Long> found;
        do {
            found = ProcessHandle.allProcesses()
                    .filter(p -> p.info().commandLine().map(c -> c.contains(marker)).orElse(false)
                            || cmdline(p.pid()).contains(marker))
                    .filter(p -> !cmdline(p.pid()).contains("-c"))
                    .map(ProcessHandle::pid).toList();
            if (found.isEmpty() != present) {
                return found;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        return found;
    }

    private static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    private static int hostUid(long pid) throws IOException {
        Optional<String> line = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                .filter(l -> l.startsWith("Uid:")).findFirst();
        return Integer.parseInt(line.orElseThrow().split("\\s+")[1]);
    }
}
