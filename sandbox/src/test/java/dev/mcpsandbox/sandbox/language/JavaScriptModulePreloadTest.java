package dev.mcpsandbox.sandbox.language;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** forkServer.preload.javascript: the command of a pre-started node and the loader it imports, run by the host's node. */
class JavaScriptModulePreloadTest {
    private static final String NODE = "/usr/bin/node";
    private final JavaScriptLanguage js = new JavaScriptLanguage();

    @Test
    void theModulesLoadBeforeThePreloadThatWaitsForTheGoLine() {
        List<String> command = js.modulePreload(NODE, "main.mjs", RunOptions.withMemory(512), List.of("node:http"))
                .orElseThrow().command();
        List<String> plain = js.runCommand(NODE, "main.mjs", RunOptions.withMemory(512));
        assertThat(command).containsSubsequence("--import", "/opt/mcp-sandbox/" + JavaScriptLanguage.PRELOADED_MODULES,
                "--import", "/opt/mcp-sandbox/" + JavaScriptLanguage.PRELOAD, "main.mjs");
        assertThat(command).containsAll(plain).hasSize(plain.size() + 2);
        assertThat(js.modulePreload(NODE, "main.mjs", RunOptions.withMemory(512), List.of())).isEmpty();
        assertThat(js.modulePreloadCheck(List.of())).isEmpty();
    }

    @Test
    void theCheckNamesEachModuleThatDoesNotLoadAndLoadsTheRest(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of(NODE)), "needs " + NODE);
        Path marked = dir.resolve("marked.cjs");
        Files.writeString(marked, "console.log('loaded by the check');\nmodule.exports = 1;\n");
        Path check = dir.resolve("check.mjs");
        Files.writeString(check, js.modulePreloadCheck(List.of("node:http", marked.toString(), "no-such-package-here",
                "/nonexistent/x.cjs")).orElseThrow());
        Process p = new ProcessBuilder(NODE, check.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).isZero();
        assertThat(out).startsWith("loaded by the check\n")
                .endsWith("\n" + Language.ModulePreload.FAILED_MARK
                        + "[[\"no-such-package-here\",\"MODULE_NOT_FOUND\"],[\"/nonexistent/x.cjs\",\"MODULE_NOT_FOUND\"]]\n");
    }

    @Test
    void aModuleNameCannotBreakOutOfTheLoader() {
        String source = JavaScriptLanguage.moduleLoader(List.of("x']); process.exit(3); (['"), false);
        assertThat(source).contains("[\"x']); process.exit(3); (['\"]");
    }
}
