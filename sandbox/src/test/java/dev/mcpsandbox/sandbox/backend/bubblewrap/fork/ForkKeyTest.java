package dev.mcpsandbox.sandbox.backend.bubblewrap.fork;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.backend.GoLine;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ForkKeyTest {
    private static final List<String> PYTHON = List.of("/usr/bin/python3.11", "-E", "-s", "-B", "-u", "-c", "BOOT", "main.py");

    private static SandboxSpec spec(List<String> command, GoLine goLine, boolean network) {
        return new SandboxSpec("x", command, List.of("/opt/lib"), Map.of("HOME", "/workspace"), ResourceLimits.DEFAULTS,
                512, goLine, network);
    }

    @Test
    void aPythonRunThatWaitsForItsGoLineIsServedByTheTemplateOfItsInterpreterBootstrapAndEnvironment() {
        ForkKey.ForkableRun run = ForkKey.of(spec(PYTHON, GoLine.RUNTIME, false)).orElseThrow();
        assertThat(run.entryFile()).isEqualTo("main.py");
        assertThat(run.key()).isEqualTo(new ForkKey(PYTHON.subList(0, 5), "BOOT", List.of("/opt/lib"),
                Map.of("HOME", "/workspace")));
    }

    @Test
    void runsWithTheNetworkOtherRuntimesLaunchersAndOddEntryNamesTakeTheColdPath() {
        assertThat(ForkKey.of(spec(PYTHON, GoLine.RUNTIME, true))).isEmpty();
        assertThat(ForkKey.of(spec(PYTHON, GoLine.LAUNCHER, false))).isEmpty();
        assertThat(ForkKey.of(spec(List.of("/usr/bin/node", "-e", "BOOT", "main.mjs"), GoLine.RUNTIME, false))).isEmpty();
        assertThat(ForkKey.of(spec(List.of("/usr/bin/python3", "/opt/mcp-sandbox/agent.py"), GoLine.RUNTIME, false))).isEmpty();
        for (String entry : List.of("my main.py", "../x.py", "a\nb.py", "")) {
            List<String> command = new java.util.ArrayList<>(PYTHON.subList(0, 7));
            command.add(entry);
            assertThat(ForkKey.of(spec(command, GoLine.RUNTIME, false))).as(entry).isEmpty();
        }
    }

    @Test
    void aSessionsAgentBehindTheLauncherIsServedByATemplateThatRunsItsScript() {
        List<String> agent = List.of("/usr/bin/python3.11", "-E", "-s", "-B", "-u", "/opt/mcp-sandbox/session/agent.py");
        ForkKey.ForkableRun run = ForkKey.of(spec(agent, GoLine.LAUNCHER, false)).orElseThrow();
        assertThat(run.entryFile()).isEqualTo("opt/mcp-sandbox/session/agent.py");
        assertThat(run.key()).isEqualTo(new ForkKey(agent.subList(0, 5), ForkKey.SCRIPT_BOOTSTRAP, List.of("/opt/lib"),
                Map.of("HOME", "/workspace")));
        assertThat(run.key()).isNotEqualTo(ForkKey.of(spec(PYTHON, GoLine.RUNTIME, false)).orElseThrow().key());
        assertThat(run.key().preload()).contains("ast", "selectors");
        assertThat(ForkKey.of(spec(PYTHON, GoLine.RUNTIME, false)).orElseThrow().key().preload()).isEmpty();
    }

    @Test
    void aScriptWithTheNetworkArgumentsAFlagWithAValueOrAnOddPathTakesTheColdPath() {
        String script = "/opt/mcp-sandbox/session/agent.py";
        assertThat(ForkKey.of(spec(List.of("/usr/bin/python3", "-u", script), GoLine.LAUNCHER, true))).isEmpty();
        assertThat(ForkKey.of(spec(List.of("/usr/bin/python3", "-u", script, "--database", "x"), GoLine.LAUNCHER, false)))
                .isEmpty();
        assertThat(ForkKey.of(spec(List.of("/usr/bin/python3", "-X", "dev", script), GoLine.LAUNCHER, false))).isEmpty();
        assertThat(ForkKey.of(spec(List.of("/usr/bin/python3", "-c", "BOOT"), GoLine.LAUNCHER, false))).isEmpty();
        assertThat(ForkKey.of(spec(List.of("/usr/bin/ruby", script), GoLine.LAUNCHER, false))).isEmpty();
        for (String path : List.of("opt/agent.py", "/opt/../agent.py", "/opt/my agent.py", "/opt/agent.rb")) {
            assertThat(ForkKey.of(spec(List.of("/usr/bin/python3", "-u", path), GoLine.LAUNCHER, false))).as(path).isEmpty();
        }
    }
}
