package dev.mcpsandbox.sandbox.backend;

import dev.mcpsandbox.sandbox.output.Harvest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * One started, single-use sandbox. Its code waits until {@link #begin} sends the go signal; the
 * host fills {@link #workDir()} before that. {@link #close()} destroys everything: every process,
 * its cgroups, its directories. A sandbox is never reused.
 */
public interface Sandbox extends AutoCloseable {

    /** Host path of the directory the code sees as {@code /workspace}. */
    Path workDir();

    /** Host path of a directory bound into this sandbox only (at {@code /run/mcp}), for its bridge socket. */
    Path bridgeDir();

    /**
     * Places an input file in the work directory, owned by the sandbox's user. The caller has already
     * refused names that escape; this checks again, because it is the last step before the host's disk.
     */
    default void writeFile(String relativePath, byte[] content) throws IOException {
        writeFile(relativePath, content, false);
    }

    /** As {@link #writeFile(String, byte[])}; {@code executable} files (compiled programs) get mode 0755. */
    void writeFile(String relativePath, byte[] content, boolean executable) throws IOException;

    /** Creates an empty directory (and its parents) in the work directory, owned by the sandbox's user. */
    void createDirectory(String relativePath) throws IOException;

    /** Tells the launcher inside to apply {@code limits} and exec the code, then feeds it {@code stdin}. */
    void begin(RunLimits limits, byte[] stdin) throws IOException;

    /**
     * As {@link #begin}, for a program that reads commands for as long as it lives (a session's agent): stdin stays
     * open, and what the host writes to the stream returned reaches it; closing the stream ends its input.
     */
    OutputStream beginSession(RunLimits limits) throws IOException;

    /**
     * The files the code left in {@code harvest}'s directory. Read on the host once no process of the sandbox is
     * left; a sandbox whose processes outlive a run (a session's) reads them inside instead.
     */
    default Harvest.Result harvest(Harvest harvest) throws IOException {
        return harvest.collect(workDir());
    }

    InputStream stdout();

    InputStream stderr();

    /** Waits for the code to end; empty when it is still running after {@code timeout}. */
    Optional<Integer> awaitExit(Duration timeout) throws InterruptedException;

    /**
     * Waits, at most {@code limit}, until no process of the sandbox is left and its output streams have ended,
     * after its code exited or {@link #kill()} was called: a result is built only from a sandbox that can no
     * longer run or write. False when the limit passed first.
     */
    boolean awaitGone(Duration limit) throws InterruptedException;

    /** True while the sandbox's processes run (a pre-started sandbox that died while waiting is not usable). */
    boolean alive();

    /** Kills every process of the sandbox now; safe to call from any thread, any number of times. */
    void kill();

    /**
     * True when the sandbox ended for a failure of the machinery around it that nothing the code did explains (a
     * fork server's template died under the run): the run may be tried again in a fresh sandbox.
     */
    default boolean lostToMachinery() {
        return false;
    }

    /** Facts about why the code ended that only the backend can see (cgroup counters, disk usage). */
    EndSignals endSignals();

    @Override
    void close();

    /** Memory and disk the sandbox uses now, each where the backend can tell. */
    default Optional<Usage> usage() {
        return Optional.empty();
    }

    record Usage(Optional<Long> memoryBytes, Optional<Long> diskBytes) {
    }

    /** What the backend observed; each true flag names a limit the run ran into. */
    record EndSignals(boolean memoryExhausted, boolean processCapHit, boolean diskFull) {
    }
}
