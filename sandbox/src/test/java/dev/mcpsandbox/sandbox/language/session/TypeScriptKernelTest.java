package dev.mcpsandbox.sandbox.language.session;

import dev.mcpsandbox.sandbox.language.Language;
import dev.mcpsandbox.sandbox.language.RunOptions;
import dev.mcpsandbox.sandbox.language.SessionKernel;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * TypeScript in a session: the compiler's output (the real tsc, run as {@link Language#compileCommand} says) runs in
 * the JavaScript kernel, sharing its state, with stack traces mapped back to the .mts lines.
 */
class TypeScriptKernelTest {
    private static final Language TYPESCRIPT = AgentOutsideSandbox.language("typescript");
    private static final Language JAVASCRIPT = AgentOutsideSandbox.language("javascript");
    private static final RunOptions OPTIONS = RunOptions.withMemory(256);

    @TempDir
    Path root;

    private String tsc;

    @BeforeEach
    void compilerIsInstalled() {
        tsc = TYPESCRIPT.candidateBinaries().stream().filter(b -> Files.isExecutable(Path.of(b))).findFirst().orElse(null);
        assumeTrue(tsc != null, "no TypeScript compiler");
    }

    @Test
    void typeScriptAndJavaScriptShareOneKernelAndItsState() throws Exception {
        SessionKernel ts = TYPESCRIPT.sessionKernel(tsc, "main.mts", OPTIONS).orElseThrow();
        SessionKernel js = JAVASCRIPT.sessionKernel("/usr/bin/node", "main.mjs", OPTIONS).orElseThrow();
        assertThat(ts.key()).isEqualTo(js.key());
        assertThat(ts.file()).isEqualTo("/workspace/.build/main.mjs");
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, TYPESCRIPT)) {
            assertThat(agent.run(1, js, "const shared = 20;").code()).isZero();
            compile(agent, "declare const shared: number;\nconst n: number = shared + 1;\nconst label: string = `n=${n}`;\nlabel\n");
            agent.startWritten(2, ts, "");
            AgentOutsideSandbox.End typed = agent.awaitEnd(2);
            assertThat(typed.code()).isZero();
            assertThat(typed.fresh()).isFalse();
            assertThat(typed.result()).contains("\"n=21\"");
            assertThat(agent.run(3, js, "n * 2").result()).contains("42");
        }
    }

    @Test
    void anErrorInCompiledCodeNamesTheTypeScriptLine() throws Exception {
        SessionKernel ts = TYPESCRIPT.sessionKernel(tsc, "main.mts", OPTIONS).orElseThrow();
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, TYPESCRIPT)) {
            compile(agent, """
                    interface Point {
                      x: number;
                    }
                    type Shape = { points: Point[] };

                    function first(shape: Shape): Point {
                      if (shape.points.length === 0) throw new RangeError('no points');
                      return shape.points[0];
                    }
                    const p: Point = first({ points: [] });
                    """);
            agent.startWritten(1, ts, "");
            AgentOutsideSandbox.End failed = agent.awaitEnd(1);
            assertThat(failed.code()).isEqualTo(1);
            assertThat(failed.kernel()).isEqualTo("kept");
            assertThat(TYPESCRIPT.runtimeError(failed.stderr(), agent.hostPath("/workspace/main.mts")))
                    .hasValueSatisfying(e -> {
                        assertThat(e.type()).isEqualTo("RangeError");
                        assertThat(e.line()).contains(7);
                    });
        }
    }

    private void compile(AgentOutsideSandbox agent, String code) throws Exception {
        Files.writeString(agent.workspace().resolve("main.mts"), code);
        List<String> command = TYPESCRIPT.compileCommand(tsc, "main.mts").orElseThrow().stream().map(agent::hostPath).toList();
        Process compiler = new ProcessBuilder(command).directory(agent.workspace().toFile()).redirectErrorStream(true).start();
        String output = new String(compiler.getInputStream().readAllBytes());
        assertThat(compiler.waitFor(AgentOutsideSandbox.DEADLINE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(compiler.exitValue()).as(output).isZero();
    }
}
