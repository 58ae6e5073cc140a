package dev.mcpsandbox.sandbox.language.session;

import dev.mcpsandbox.sandbox.language.CodeError;
import dev.mcpsandbox.sandbox.language.Language;
import dev.mcpsandbox.sandbox.language.RunOptions;
import dev.mcpsandbox.sandbox.language.SessionKernel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The Python and Bash kernels behind the real agent (outside a sandbox): what a session keeps and when it loses it. */
class PythonAndBashKernelsTest {
    private static final Language PYTHON = AgentOutsideSandbox.language("python");
    private static final Language BASH = AgentOutsideSandbox.language("bash");
    private static final SessionKernel PY = PYTHON.sessionKernel("python3", "main.py", RunOptions.withMemory(256)).orElseThrow();
    private static final SessionKernel SH = BASH.sessionKernel("bash", "main.sh", RunOptions.withMemory(256)).orElseThrow();

    @TempDir
    Path root;

    @Test
    void pythonGlobalsAndImportsPersistAndTheLastExpressionIsTheResult() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, PYTHON)) {
            AgentOutsideSandbox.End first = agent.run(1, PY, "import math\nx = 41\nprint('hi')");
            assertThat(first.code()).isZero();
            assertThat(first.fresh()).isTrue();
            assertThat(first.stdout()).isEqualTo("hi\n");
            assertThat(first.result()).isEmpty();

            AgentOutsideSandbox.End second = agent.run(2, PY, "x += 1\n{'x': x, 'pi': round(math.pi, 2), 'line': input()}",
                    "from stdin\n");
            assertThat(second.fresh()).isFalse();
            assertThat(second.kernel()).isEqualTo("kept");
            assertThat(second.result()).contains("{\"x\": 42, \"pi\": 3.14, \"line\": \"from stdin\"}");
        }
    }

    @Test
    void aPythonErrorIsReportedWithItsLineAndKeepsTheState() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, PYTHON)) {
            agent.run(1, PY, "x = 7");
            AgentOutsideSandbox.End failed = agent.run(2, PY, "y = 1\n\ndef f():\n    return 1 / 0\nf()\n");
            assertThat(failed.code()).isEqualTo(1);
            assertThat(failed.kernel()).isEqualTo("kept");
            Optional<CodeError> error = PYTHON.runtimeError(failed.stderr(), agent.hostPath("/workspace/main.py"));
            assertThat(error).hasValueSatisfying(e -> {
                assertThat(e.type()).isEqualTo("ZeroDivisionError");
                assertThat(e.line()).contains(4);
            });
            assertThat(agent.run(3, PY, "x + y").result()).contains("8");
            AgentOutsideSandbox.End exited = agent.run(4, PY, "import sys\nsys.exit(3)");
            assertThat(exited.code()).isEqualTo(3);
            assertThat(agent.run(5, PY, "x").result()).contains("7");
        }
    }

    @Test
    void interruptingAPythonCallEndsItWith130AndKeepsTheState() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, PYTHON)) {
            agent.run(1, PY, "kept = 'yes'");
            agent.start(2, PY, "print('busy', flush=True)\nwhile True:\n    pass\n", "");
            agent.awaitPrinted("busy");
            agent.interrupt(2);
            AgentOutsideSandbox.End interrupted = agent.awaitEnd(2);
            assertThat(interrupted.code()).isEqualTo(130);
            assertThat(interrupted.kernel()).isEqualTo("kept");
            assertThat(interrupted.stderr()).contains("KeyboardInterrupt");
            assertThat(agent.run(3, PY, "kept").result()).contains("\"yes\"");
        }
    }

    @Test
    void aKilledPythonKernelIsReportedDiedAndTheNextCallStartsFresh() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, PYTHON)) {
            agent.run(1, PY, "lost = 1");
            agent.start(2, PY, "print('busy', flush=True)\nwhile True:\n    pass\n", "");
            agent.awaitPrinted("busy");
            agent.kill(2);
            AgentOutsideSandbox.End killed = agent.awaitEnd(2);
            assertThat(killed.kernel()).isEqualTo("died");
            assertThat(killed.signal()).isEqualTo(9);
            AgentOutsideSandbox.End next = agent.run(3, PY, "'lost' in globals()");
            assertThat(next.fresh()).isTrue();
            assertThat(next.result()).contains("false");

            AgentOutsideSandbox.End crashed = agent.run(4, PY, "import os\nos._exit(7)");
            assertThat(crashed.kernel()).isEqualTo("died");
            assertThat(crashed.code()).isEqualTo(7);
            assertThat(agent.run(5, PY, "1").fresh()).isTrue();
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
