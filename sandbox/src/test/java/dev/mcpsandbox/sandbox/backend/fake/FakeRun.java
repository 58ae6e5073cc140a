package dev.mcpsandbox.sandbox.backend.fake;

import dev.mcpsandbox.sandbox.backend.RunLimits;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/** What a {@link FakeProgram} sees of its run: the plan, the go line's limits, stdin, the work directory, output. */
public final class FakeRun {
    private final SandboxSpec spec;
    private final RunLimits limits;
    private final byte[] stdin;
    private final Path workDir;
    private final Path bridgeDir;
    private final OutputStream stdout;
    private final OutputStream stderr;
    private final CountDownLatch killed;
    private final FakeSandbox sandbox;

    FakeRun(FakeSandbox sandbox, RunLimits limits, byte[] stdin, OutputStream stdout, OutputStream stderr,
            CountDownLatch killed) {
        this.sandbox = sandbox;
        this.spec = sandbox.spec();
        this.limits = limits;
        this.stdin = stdin.clone();
        this.workDir = sandbox.workDir();
        this.bridgeDir = sandbox.bridgeDir();
        this.stdout = stdout;
        this.stderr = stderr;
        this.killed = killed;
    }

    public SandboxSpec spec() {
        return spec;
    }

    /** The rlimits the go line carried. */
    public RunLimits limits() {
        return limits;
    }

    public byte[] stdin() {
        return stdin.clone();
    }

    public String stdinText() {
        return new String(stdin, StandardCharsets.UTF_8);
    }

    /** The host directory the code would see as {@code /workspace}. */
    public Path workDir() {
        return workDir;
    }

    public Path bridgeDir() {
        return bridgeDir;
    }

    public OutputStream stdout() {
        return stdout;
    }

    public OutputStream stderr() {
        return stderr;
    }

    public void print(String text) throws IOException {
        stdout.write(text.getBytes(StandardCharsets.UTF_8));
    }

    public void printError(String text) throws IOException {
        stderr.write(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Reports what the backend would observe about this run's end (cgroup counters, disk usage). */
    public void signal(Sandbox.EndSignals signals) {
        sandbox.signal(signals);
    }

    /** Blocks until the sandbox is killed or closed; the run then ends with the kill's exit code. */
    public int blockUntilKilled() throws InterruptedException {
        killed.await();
        throw new InterruptedException("killed");
    }
}
