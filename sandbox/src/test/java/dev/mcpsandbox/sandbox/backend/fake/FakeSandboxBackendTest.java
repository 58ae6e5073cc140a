package dev.mcpsandbox.sandbox.backend.fake;

import dev.mcpsandbox.sandbox.backend.AbstractSandboxBackendIT;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxBackend;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

/**
 * The fake keeps the contract the real backends keep, so what a unit test learns from it holds for them: each shell
 * program of the suite is mapped to a scripted equivalent. A unit test (surefire): no process is started.
 */
class FakeSandboxBackendTest extends AbstractSandboxBackendIT {
    @Override
    protected SandboxBackend startBackend() {
        return FakeSandboxBackend.builder()
                .program(spec -> spec.command().equals(sh(ROUND_TRIP)), run -> {
                    run.stdout().write(Files.readAllBytes(run.workDir().resolve("in/data.txt")));
                    run.stdout().write(run.stdin());
                    run.printError("to-stderr\n");
                    Files.writeString(run.workDir().resolve("out.txt"), "made\n", StandardCharsets.UTF_8);
                    return 3;
                })
                .program(spec -> spec.command().equals(sh(SLEEP)), FakeProgram.blockingUntilKilled())
                .program(spec -> spec.command().equals(sh(HELLO)), FakeProgram.printing("hello\n"))
                .program(spec -> spec.command().equals(sh(EXHAUST_MEMORY)), FakeProgram.exhaustingMemory())
                .program(spec -> spec.command().equals(sh(FORK_PAST_THE_CAP)), run -> {
                    run.signal(new Sandbox.EndSignals(false, true, false));
                    return run.blockUntilKilled();
                })
                .otherwise(run -> {
                    throw new AssertionError("no fake program for " + run.spec().command());
                })
                .build();
    }
}
