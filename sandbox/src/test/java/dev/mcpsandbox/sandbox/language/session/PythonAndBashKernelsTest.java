package dev.mcpsandbox.sandbox.language.session;

import dev.mcpsandbox.sandbox.language.CodeError;
import dev.mcpsandbox.sandbox.language.Language;
import dev.mcpsandbox.sandbox.language.RunOptions;
import dev.mcpsandbox.sandbox.language.SessionKernel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Python and Bash kernels behind the real agent (outside a sandbox): what a session keeps and when it loses it.
 * Python's tests run twice: with the kernel started as a new interpreter, and forked from the agent (the agent runs
 * on the kernel's own interpreter and flags, as in a sandbox).
 */
class PythonAndBashKernelsTest {
    private static final Language PYTHON = AgentOutsideSandbox.language("python");
    private static final Language BASH = AgentOutsideSandbox.language("bash");
    private static final SessionKernel PY = PYTHON.sessionKernel("python3", "main.py", RunOptions.withMemory(256)).orElseThrow();
    /** The kernel's command with the absolute interpreter the agent runs on, which the agent forks into. */
    private static final SessionKernel PY_FORKED = PYTHON.sessionKernel(hostPython(), "main.py", RunOptions.withMemory(256))
            .orElseThrow();
    private static final SessionKernel SH = BASH.sessionKernel("bash", "main.sh", RunOptions.withMemory(256)).orElseThrow();

    @TempDir
    Path root;

    private static String hostPython() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import sys; print(sys.executable)").start();
            String path = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
            p.waitFor();
            return path;
        } catch (java.io.IOException | InterruptedException e) {
            throw new IllegalStateException("cannot find the host's python3", e);
        }
    }

    private AgentOutsideSandbox agent(boolean forked) throws java.io.IOException {
        return forked ? AgentOutsideSandbox.forkingPythonKernels(root, PYTHON) : new AgentOutsideSandbox(root, PYTHON);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theKernelIsAForkOfTheAgentExactlyWhenItsCommandIsTheAgentsOwnInterpreterAndFlags(boolean forked)
            throws Exception {
        try (AgentOutsideSandbox agent = agent(forked)) {
            // selectors: imported by the agent, by neither the kernel nor a fresh interpreter
            AgentOutsideSandbox.End first = agent.run(1, forked ? PY_FORKED : PY,
                    "import os, sys\nprint('selectors' in sys.modules, os.getpid() == os.getpgid(0), sys.argv[0])");
            assertThat(first.code()).as(first.stderr()).isZero();
            assertThat(first.stdout()).isEqualTo((forked ? "True" : "False") + " True " + agent.hostPath("/opt/mcp-sandbox/session/python_kernel.py")
                    + "\n");
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void pythonGlobalsAndImportsPersistAndTheLastExpressionIsTheResult(boolean forked) throws Exception {
        SessionKernel py = forked ? PY_FORKED : PY;
        try (AgentOutsideSandbox agent = agent(forked)) {
            AgentOutsideSandbox.End first = agent.run(1, py, "import math\nx = 41\nprint('hi')");
            assertThat(first.code()).isZero();
            assertThat(first.fresh()).isTrue();
            assertThat(first.stdout()).isEqualTo("hi\n");
            assertThat(first.result()).isEmpty();

            AgentOutsideSandbox.End second = agent.run(2, py, "x += 1\n{'x': x, 'pi': round(math.pi, 2), 'line': input()}",
                    "from stdin\n");
            assertThat(second.fresh()).isFalse();
            assertThat(second.kernel()).isEqualTo("kept");
            assertThat(second.result()).contains("{\"x\": 42, \"pi\": 3.14, \"line\": \"from stdin\"}");
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aPythonErrorIsReportedWithItsLineAndKeepsTheState(boolean forked) throws Exception {
        SessionKernel py = forked ? PY_FORKED : PY;
        try (AgentOutsideSandbox agent = agent(forked)) {
            agent.run(1, py, "x = 7");
            AgentOutsideSandbox.End failed = agent.run(2, py, "y = 1\n\ndef f():\n    return 1 / 0\nf()\n");
            assertThat(failed.code()).isEqualTo(1);
            assertThat(failed.kernel()).isEqualTo("kept");
            Optional<CodeError> error = PYTHON.runtimeError(failed.stderr(), agent.hostPath("/workspace/main.py"));
            assertThat(error).hasValueSatisfying(e -> {
                assertThat(e.type()).isEqualTo("ZeroDivisionError");
                assertThat(e.line()).contains(4);
            });
            assertThat(agent.run(3, py, "x + y").result()).contains("8");
            AgentOutsideSandbox.End exited = agent.run(4, py, "import sys\nsys.exit(3)");
            assertThat(exited.code()).isEqualTo(3);
            assertThat(agent.run(5, py, "x").result()).contains("7");
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void interruptingAPythonCallEndsItWith130AndKeepsTheState(boolean forked) throws Exception {
        SessionKernel py = forked ? PY_FORKED : PY;
        try (AgentOutsideSandbox agent = agent(forked)) {
            agent.run(1, py, "kept = 'yes'");
            agent.start(2, py, "print('busy', flush=True)\nwhile True:\n    pass\n", "");
            agent.awaitPrinted("busy");
            agent.interrupt(2);
            AgentOutsideSandbox.End interrupted = agent.awaitEnd(2);
            assertThat(interrupted.code()).isEqualTo(130);
            assertThat(interrupted.kernel()).isEqualTo("kept");
            assertThat(interrupted.stderr()).contains("KeyboardInterrupt");
            assertThat(agent.run(3, py, "kept").result()).contains("\"yes\"");
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aKilledPythonKernelIsReportedDiedAndTheNextCallStartsFresh(boolean forked) throws Exception {
        SessionKernel py = forked ? PY_FORKED : PY;
        try (AgentOutsideSandbox agent = agent(forked)) {
            agent.run(1, py, "lost = 1");
            agent.start(2, py, "print('busy', flush=True)\nwhile True:\n    pass\n", "");
            agent.awaitPrinted("busy");
            agent.kill(2);
            AgentOutsideSandbox.End killed = agent.awaitEnd(2);
            assertThat(killed.kernel()).isEqualTo("died");
            assertThat(killed.signal()).isEqualTo(9);
            AgentOutsideSandbox.End next = agent.run(3, py, "'lost' in globals()");
            assertThat(next.fresh()).isTrue();
            assertThat(next.result()).contains("false");

            AgentOutsideSandbox.End crashed = agent.run(4, py, "import os\nos._exit(7)");
            assertThat(crashed.kernel()).isEqualTo("died");
            assertThat(crashed.code()).isEqualTo(7);
            assertThat(agent.run(5, py, "1").fresh()).isTrue();
        }
    }

    @Test
    void bashKeepsVariablesFunctionsAndTheWorkingDirectory() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, BASH)) {
            agent.run(1, SH, "mkdir -p sub && cd sub\ncount=5\ngreet() { echo \"hello $1\"; }\n");
            AgentOutsideSandbox.End second = agent.run(2, SH, "greet \"$count\"\nbasename \"$PWD\"\nread line\necho \"$line\"",
                    "piped\n");
            assertThat(second.code()).isZero();
            assertThat(second.kernel()).isEqualTo("kept");
            assertThat(second.stdout()).isEqualTo("hello 5\nsub\npiped\n");
        }
    }

    @Test
    void aFailingBashCallReportsItsStatusAndLineAndKeepsTheShell() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, BASH)) {
            agent.run(1, SH, "kept=yes");
            AgentOutsideSandbox.End failed = agent.run(2, SH, "echo ok\nno_such_command_here");
            assertThat(failed.code()).isEqualTo(127);
            assertThat(BASH.runtimeError(failed.stderr(), agent.hostPath("/workspace/main.sh")))
                    .hasValueSatisfying(e -> assertThat(e.line()).contains(2));
            assertThat(agent.run(3, SH, "echo $kept").stdout()).isEqualTo("yes\n");
        }
    }

    @Test
    void interruptingABashCallEndsItWith130AndKeepsTheShell() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, BASH)) {
            agent.run(1, SH, "kept=yes");
            agent.start(2, SH, "echo busy\nsleep 30\necho not reached", "");
            agent.awaitPrinted("busy");
            agent.interrupt(2);
            AgentOutsideSandbox.End interrupted = agent.awaitEnd(2);
            assertThat(interrupted.code()).isEqualTo(130);
            assertThat(interrupted.kernel()).isEqualTo("kept");
            assertThat(interrupted.stdout()).doesNotContain("not reached");
            assertThat(agent.run(3, SH, "echo $kept").stdout()).isEqualTo("yes\n");
        }
    }

    @Test
    void exitEndsTheBashKernelSoTheNextCallStartsFresh() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, BASH)) {
            agent.run(1, SH, "lost=1");
            AgentOutsideSandbox.End exited = agent.run(2, SH, "exit 3");
            assertThat(exited.kernel()).isEqualTo("died");
            assertThat(exited.code()).isEqualTo(3);
            AgentOutsideSandbox.End next = agent.run(3, SH, "echo \"[${lost:-}]\"");
            assertThat(next.fresh()).isTrue();
            assertThat(next.stdout()).isEqualTo("[]\n");
        }
    }
}
