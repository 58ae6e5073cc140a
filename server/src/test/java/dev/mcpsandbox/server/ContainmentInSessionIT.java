package dev.mcpsandbox.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The containment probes ({@link AbstractContainmentIT}) run inside a session: a session's sandbox, whose agent
 * and kernels live between calls, must keep every promise a single-use sandbox keeps. The two promises that are
 * about one execution's end are kept per session instead: sessions do not share a work directory, and a session's
 * processes are gone when it ends.
 */
class ContainmentInSessionIT extends AbstractContainmentIT {
    @Override
    protected String configJson() {
        return "{\"output\": {\"redactSecrets\": false}, \"sessions\": {\"perClient\": 8}}";
    }

    /**
     * On bubblewrap, waits until sessions are forked from the fork server's template (which starts with the first
     * session), so the probes run in forked sessions: such a session's agent runs in the template's interpreter.
     */
    @Override
    protected SandboxServer startServer(String configJson, Map<String, String> env) throws Exception {
        SandboxServer started = super.startServer(configJson, env);
        if (BackendUnderTest.current().isBubblewrap()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!"True\n".equals(started.execute(Map.of("language", "python", "session", "fork-probe",
                    "code", "import sys\nprint('/run/fork/fork_template.py' in sys.orig_argv)")).get("stdout"))) {
                started.call("end_session", Map.of("session", "fork-probe"));
                assertThat(System.nanoTime()).as("no session was forked within 60 s").isLessThan(deadline);
                Thread.sleep(200);
            }
            started.call("end_session", Map.of("session", "fork-probe"));
        }
        return started;
    }

    @Override
    protected Optional<String> session() {
        return Optional.of("containment");
    }

    /** The session's agent and the kernels of the probes' languages (Python, Bash, JavaScript) live on. */
    @Override
    protected int processesAtMostInside() {
        return 6 + 4;
    }

    @Test
    @Override
    void executionsDoNotShareWorkDirectory() {
        String name = "marker-" + letters(12);
        Map<String, Object> a = runIn(Optional.of("side-a"), "bash", "echo A > /workspace/" + name + " && echo A > /tmp/"
                + name + " && (cd /workspace && ls)", 10);
        assertThat((String) a.get("stdout")).as("session A wrote its markers; stderr: %s", a.get("stderr"))
                .contains(name);
        Map<String, Object> b = runIn(Optional.of("side-b"), "bash", "for f in /workspace/" + name + " /tmp/" + name
                + "; do if [ -e $f ]; then echo \"SEEN $f\"; else echo \"ABSENT $f\"; fi; done", 10);
        assertThat((String) b.get("stdout")).as("session B; stderr: %s", b.get("stderr"))
                .contains("ABSENT /workspace/" + name, "ABSENT /tmp/" + name).doesNotContain("SEEN");
        Map<String, Object> again = runIn(Optional.of("side-a"), "bash", "cat /workspace/" + name, 10);
        assertThat(again.get("stdout")).as("positive control: session A still has its file").isEqualTo("A\n");
        end("side-a");
        end("side-b");
    }

    @ParameterizedTest
    @ValueSource(strings = {"bash", "python"})
    @Override
    void backgroundProcessesAreGoneWhenResultReturns(String language) throws Exception {
        String seconds = Long.toString(900_000 + RANDOM.nextInt(99_999));
        String code = language.equals("bash")
                ? "setsid sleep " + seconds + " >/dev/null 2>&1 &\nnohup sleep " + seconds + " >/dev/null 2>&1 &\n"
                : "import os\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
                        + "        os.execvp('sleep', ['sleep', '" + seconds + "'])\n    os._exit(0)\nos.wait()\n";
        String session = "background-" + language;
        Map<String, Object> r = runIn(Optional.of(session), language, code, 10);
        assertThat(r.get("exitCode")).as("stderr: %s", r.get("stderr")).isEqualTo(0);
        String needle = "sleep\0" + seconds;
        if (!BackendUnderTest.current().isGvisor()) {
            long seenBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (hostProcessesWithCmdline(needle).isEmpty() && System.nanoTime() < seenBy) {
                Thread.sleep(50);
            }
            assertThat(hostProcessesWithCmdline(needle)).as("positive control: the session keeps its background"
                    + " processes between calls").isNotEmpty();
        }
        end(session);
        List<Long> left = hostProcessesWithCmdline(needle);
        long goneBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!left.isEmpty() && System.nanoTime() < goneBy) {
            Thread.sleep(50);
            left = hostProcessesWithCmdline(needle);
        }
        left.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        assertThat(left).as("processes of the session 10 s after end_session").isEmpty();
    }

    private void end(String session) {
        server().call("end_session", Map.of("session", session));
    }
}
