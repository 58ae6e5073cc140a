package dev.mcpsandbox.server.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** Watching host processes from outside while a fault unfolds. */
final class Probes {
    private Probes() {
    }

    /** A number no other test's {@code sleep} uses, so the sandboxed process can be found by its command line. */
    static String marker() {
        return Integer.toString(ThreadLocalRandom.current().nextInt(100_000_000, 999_999_999));
    }

    /** Bytes a process has read ({@code rchar} in /proc/pid/io): grows when a request reaches it. */
    static long bytesRead(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/io"))) {
            if (line.startsWith("rchar:")) {
                return Long.parseLong(line.substring(6).trim());
            }
        }
        throw new IllegalStateException("no rchar for " + pid);
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    /** Waits up to 20 s (a loaded 2-core machine) for the condition. */
    static void awaitTrue(Condition condition, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 20 s: " + what);
            }
            Thread.sleep(20);
        }
    }
}
