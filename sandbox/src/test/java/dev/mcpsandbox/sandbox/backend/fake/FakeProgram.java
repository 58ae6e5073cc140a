package dev.mcpsandbox.sandbox.backend.fake;

import dev.mcpsandbox.sandbox.backend.Sandbox;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.function.Function;

/**
 * What "runs" in a fake sandbox once its go line arrives, written by the test: it reads the run's stdin and work
 * directory, writes output, and returns the exit code. It may block until the sandbox is killed
 * ({@link FakeRun#blockUntilKilled()}); a killed run exits with {@link FakeSandbox#KILLED_EXIT_CODE} whatever the
 * program returns, as a SIGKILLed process does.
 */
@FunctionalInterface
public interface FakeProgram {

    /** Runs on a thread of its own; an exception other than a kill ends the run with exit code 1. */
    int run(FakeRun run) throws Exception;

    /** Exits with {@code code} at once, printing nothing. */
    static FakeProgram exit(int code) {
        return run -> code;
    }

    /** Prints {@code stdout}, then exits 0. */
    static FakeProgram printing(String stdout) {
        return run -> {
            run.print(stdout);
            return 0;
        };
    }

    /** Copies stdin to stdout, then exits 0 (the shape of {@code cat}). */
    static FakeProgram echo() {
        return run -> {
            run.stdout().write(run.stdin());
            return 0;
        };
    }

    /** Runs until the sandbox is killed (an endless loop, a {@code sleep 600}). */
    static FakeProgram blockingUntilKilled() {
        return FakeRun::blockUntilKilled;
    }

    /**
     * Dies the way a run that ran into its memory cap does: the backend reports
     * {@link Sandbox.EndSignals#memoryExhausted()} and the process ends by SIGKILL.
     */
    static FakeProgram exhaustingMemory() {
        return run -> {
            run.signal(new Sandbox.EndSignals(true, false, false));
            return FakeSandbox.KILLED_EXIT_CODE;
        };
    }

    /**
     * Picks the program by the content of a file the host placed in the work directory before the go line
     * (the code file), so one backend can serve several test cases: {@code byFile("main.py", code -> ...)}.
     */
    static FakeProgram byFile(String relativePath, Function<String, FakeProgram> choose) {
        return run -> {
            String content = Files.readString(run.workDir().resolve(relativePath), StandardCharsets.UTF_8);
            return choose.apply(content).run(run);
        };
    }
}
