package dev.mcpsandbox.tools.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mcpsandbox.tools.registry.ToolDescriptor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.mcpsandbox.tools.discovery.Fixtures.JSON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Checks the generated code with the real tools: the Python stub and snippets with the interpreter,
 * JavaScript snippets with {@code node --check}, shell snippets by running them in bash against a stand-in
 * {@code tool} function. TypeScript needs {@code tsc}, which this project does not install: without it
 * the declaration file is only checked for balanced structure, and the compile test is skipped.
 *
 * <p>A missing interpreter skips its test, unless {@code -Dsandbox.it.required=true}, which fails it.
 */
class StubSyntaxIT {
    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    Path dir;

    private static List<ToolDescriptor> allTools() {
        List<ToolDescriptor> tools = new ArrayList<>(Fixtures.realistic());
        tools.add(Fixtures.keywordArguments());
        tools.add(StubGeneratorTest.typed());
        tools.addAll(Fixtures.hostile());
        return tools;
    }

    private static String require(String... candidates) {
        for (String candidate : candidates) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        String message = "none of " + String.join(", ", candidates) + " is installed";
        if (Boolean.getBoolean("sandbox.it.required")) {
            fail(message + " (sandbox.it.required=true)");
        }
        Assumptions.assumeTrue(false, message + "; skipped");
        return null;
    }

    private static String onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String d : path.split(":")) {
            Path p = Path.of(d.isEmpty() ? "." : d, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    private record Run(int exit, String output) {
    }

    private Run run(List<String> command, String stdin) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        Process p = pb.start();
        try (var in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("timed out: " + command);
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    @Test
    void pythonStubParses() throws Exception {
        String python = require(PYTHON);
        Path stub = write("tools.py", StubGenerator.python(allTools()));
        Run r = run(List.of(python, "-c", "import ast,sys; ast.parse(open(sys.argv[1]).read())", stub.toString()), null);
        assertThat(r.exit()).as(r.output()).isZero();
    }

    @Test
    void pythonStubCompilesImportsAndHasTheDeclaredSignatures() throws Exception {
        String python = require(PYTHON);
        Path stub = write("tools.py", StubGenerator.python(allTools()));
        // -W error: an invalid escape sequence (a SyntaxWarning) fails the run too
        Run r = run(List.of(python, "-W", "error", "-c", """
                import inspect, json, sys
                with open(sys.argv[1], encoding="utf-8") as f:
                    source = f.read()
                namespace = {}
                exec(compile(source, sys.argv[1], "exec"), namespace)
                print(json.dumps({
                    "get_sum": str(inspect.signature(namespace["everything"].get_sum)),
                    "weird_tool": str(inspect.signature(namespace["odd"].weird_tool)),
                    "all_kinds": str(inspect.signature(namespace["types"].all_kinds)),
                    "get_sum_doc": namespace["everything"].get_sum.__doc__,
                    "name_doc": namespace["hostile"].name_________x.__doc__,
                    "huge_doc_length": len(namespace["hostile"].huge.__doc__),
                    "call": str(inspect.signature(namespace["call"])),
                }))
                """, stub.toString()), null);
        assertThat(r.exit()).as(r.output()).isZero();
        JsonNode info = JSON.readTree(r.output());
        assertThat(info.get("get_sum").asText()).isEqualTo("(*, a: 'float', b: 'float') -> 'Any'");
        assertThat(info.get("weird_tool").asText())
                .isEqualTo("(*, plain: 'str', kwargs: 'Optional[bool]' = None, **kwargs_: 'Any') -> 'Any'");
        // (annotations are kept as text by `from __future__ import annotations`, which re-quotes literals)
        assertThat(info.get("all_kinds").asText()).contains("Literal['fast', 'slow']").contains("limit: 'Optional[int]' = None");
        assertThat(info.get("get_sum_doc").asText()).startsWith("Get Sum Tool\n").contains("Tool: everything.get-sum (read-only)");
        // the escaped name reads back exactly as the tool is named
        assertThat(info.get("name_doc").asText()).contains("Tool: hostile.name\"\"\" */ \n'x");
        assertThat(info.get("huge_doc_length").asInt()).isBetween(4000, 12000);
        assertThat(info.get("call").asText()).isEqualTo("(name: 'str', args: 'Optional[dict[str, Any]]' = None) -> 'Any'");
    }

    @Test
    void pythonSnippetsParse() throws Exception {
        String python = require(PYTHON);
        StringBuilder code = new StringBuilder();
        for (ToolDescriptor t : allTools()) {
            code.append(CallSnippet.forLanguage(t, "python")).append('\n');
        }
        Path file = write("snippets.py", code.toString());
        Run r = run(List.of(python, "-W", "error", "-c",
                "import ast,sys\nwith open(sys.argv[1]) as f: s = f.read()\nast.parse(s); compile(s, sys.argv[1], 'exec')",
                file.toString()), null);
        assertThat(r.exit()).as(r.output() + "\n" + code).isZero();
    }

    @Test
    void javascriptSnippetsPassNodeCheck() throws Exception {
        String node = require("/usr/bin/node", "/usr/local/bin/node");
        StringBuilder code = new StringBuilder();
        for (ToolDescriptor t : allTools()) {
            code.append("{\n  ").append(CallSnippet.forLanguage(t, "javascript")).append("\n}\n");
        }
        Path file = write("snippets.mjs", code.toString());
        Run r = run(List.of(node, "--check", file.toString()), null);
        assertThat(r.exit()).as(r.output() + "\n" + code).isZero();
    }

    @Test
    void shellSnippetsHandTheToolItsNameAndJson() throws Exception {
        String bash = require("/bin/bash", "/usr/bin/bash");
        List<ToolDescriptor> tools = allTools();
        StringBuilder script = new StringBuilder("tool() { printf '%s\\0%s\\0' \"$1\" \"$2\"; }\n");
        for (ToolDescriptor t : tools) {
            script.append(CallSnippet.forLanguage(t, "bash")).append('\n');
        }
        Run r = run(List.of(bash, "-c", script.toString()), null);
        assertThat(r.exit()).as(r.output()).isZero();
        String[] words = r.output().split("\0", -1);
        assertThat(words).hasSize(2 * tools.size() + 1);
        for (int i = 0; i < tools.size(); i++) {
            ToolDescriptor t = tools.get(i);
            assertThat(words[2 * i]).isEqualTo(t.name().qualified());
            JsonNode args = JSON.readTree(words[2 * i + 1]);
            assertThat(args).as(t.name().qualified()).isEqualTo(JSON.valueToTree(CallSnippet.exampleArguments(t)));
        }
    }

    @Test
    void typescriptDeclarationIsBalanced() throws Exception {
        String ts = StubGenerator.typescript(allTools());
        write("tools.d.ts", ts);
        assertThat(StructureCheck.unbalanced(ts)).isNull();
        assertThat(ts).contains("declare const tools: {").endsWith("};\n");
    }

    @Test
    void typescriptDeclarationCompilesWithTsc() throws Exception {
        String tsc = onPath("tsc");
        Assumptions.assumeTrue(tsc != null,
                "tsc is not installed (this project does not install it); the declaration was only checked for "
                        + "balanced structure by typescriptDeclarationIsBalanced");
        Path file = write("tools.d.ts", StubGenerator.typescript(allTools()));
        Run r = run(List.of(tsc, "--noEmit", "--strict", "--lib", "es2020", file.toString()), null);
        assertThat(r.exit()).as(r.output()).isZero();
    }
}
