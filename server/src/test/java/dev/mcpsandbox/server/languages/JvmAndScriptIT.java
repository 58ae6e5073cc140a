package dev.mcpsandbox.server.languages;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpsandbox.server.SandboxServer;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What Java, TypeScript and Ruby do beyond the shared language suite, through a real MCP client: Java's file
 * named after its public class, errors pointing at the user's line when a library threw, TypeScript's type
 * errors stopping the run, Node's types and the code-mode {@code tools} global in TypeScript, pre-started
 * sandboxes for the compiled languages, and a toolchain that is only half there.
 */
@SuppressWarnings("unchecked")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JvmAndScriptIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private SandboxServer server;

    @BeforeAll
    void start() throws Exception {
        Map<String, Object> config = EchoUpstream.config();
        // One pre-started sandbox each: the build must be in place before the go line lets the runtime start, and
        // Ruby's interpreter waits for the go line itself.
        config.put("pool", Map.of("typescript", 1, "java", 1, "ruby", 1));
        server = SandboxServer.start(JSON.writeValueAsString(config), Map.of());
        List<Map<String, Object>> languages = (List<Map<String, Object>>) ((Map<String, Object>) server
                .call("list_languages", Map.of()).structuredContent()).get("languages");
        for (String id : List.of("java", "typescript", "ruby")) {
            SandboxServer.requireOrSkip(languages.stream().anyMatch(l -> id.equals(l.get("id"))),
                    id + " is not installed here (bin/setup installs it)");
        }
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private Map<String, Object> run(String language, String code) {
        CallToolResult result = server.call("execute_code", Map.of("language", language, "code", code));
        assertThat(result.structuredContent()).as("structured result of %s", SandboxServer.text(result)).isNotNull();
        Map<String, Object> r = new LinkedHashMap<>((Map<String, Object>) result.structuredContent());
        r.put("isError", result.isError());
        return r;
    }

    private static Map<String, Object> error(Map<String, Object> result) {
        Map<String, Object> error = (Map<String, Object>) result.get("error");
        assertThat(error).as("error of %s", result).isNotNull();
        return error;
    }

    @Test
    void java_fileIsNamedAfterItsPublicClassAndErrorsNameItsLines() {
        Map<String, Object> r = run("java", """
                import java.util.List;

                public final class Greeter {
                    public static void main(String[] args) {
                        System.out.println("hello from " + Greeter.class.getSimpleName());
                        Object o = List.of("x");
                        String s = (String) o;
                    }
                }
                """);
        assertThat(r.get("stdout")).as("result %s", r).isEqualTo("hello from Greeter\n");
        assertThat(error(r).get("type")).isEqualTo("java.lang.ClassCastException");
        assertThat(error(r).get("line")).isEqualTo(7);
    }

    @Test
    void java_classInAPackageRunsByItsFullName() {
        Map<String, Object> r = run("java", """
                package com.example.app;

                public class Main {
                    public static void main(String[] args) {
                        System.out.println(Main.class.getName());
                    }
                }
                """);
        assertThat(r.get("stdout")).as("result %s", r).isEqualTo("com.example.app.Main\n");
    }

    @Test
    void java_exceptionThrownInTheLibraryPointsAtTheUsersCall() {
        Map<String, Object> r = run("java", """
                public class Main {
                    public static void main(String[] args) {
                        int n = Integer.parseInt("12a");
                    }
                }
                """);
        assertThat(error(r)).containsEntry("type", "java.lang.NumberFormatException").containsEntry("line", 3);
        assertThat((String) error(r).get("message")).contains("12a");
    }

    @Test
    void java_nullPointerNamesTheVariable() {
        Map<String, Object> r = run("java", """
                public class Main {
                    public static void main(String[] args) {
                        String name = args.length > 9 ? "x" : null;
                        System.out.println(name.length());
                    }
                }
                """);
        assertThat(error(r)).containsEntry("type", "java.lang.NullPointerException").containsEntry("line", 4);
        assertThat((String) error(r).get("message")).contains("\"name\" is null");
    }

    @Test
    void java_typeErrorIsACompileErrorWithTheCompilersMessage() {
        Map<String, Object> r = run("java", """
                public class Main {
                    public static void main(String[] args) {
                        System.out.println("never printed");
                        int x = "text";
                    }
                }
                """);
        assertThat(r.get("stdout")).isEqualTo("");
        assertThat(error(r)).containsEntry("type", "compile").containsEntry("line", 4);
        assertThat((String) error(r).get("message")).contains("incompatible types");
    }

    @Test
    void typescript_typeErrorStopsTheRunBeforeAnythingPrints() {
        Map<String, Object> r = run("typescript", """
                console.log('never printed');
                const n: number = 'one';
                """);
        assertThat(r.get("stdout")).isEqualTo("");
        assertThat(error(r)).containsEntry("type", "compile").containsEntry("line", 2);
        assertThat((String) error(r).get("message")).startsWith("TS2322:");
        assertThat((String) r.get("stderr")).contains("main.mts(2,7): error TS2322");
    }

    @Test
    void typescript_nodeTypesAndTopLevelAwaitWork() {
        Map<String, Object> r = run("ts", """
                import { createHash } from 'node:crypto';
                const digest: string = createHash('sha256').update('abc').digest('hex');
                const later: string = await new Promise<string>((resolve) => setTimeout(() => resolve('done'), 10));
                console.log(digest.slice(0, 8), later, typeof process.version);
                """);
        assertThat(r.get("stdout")).as("result %s", r).isEqualTo("ba7816bf done string\n");
    }

    @Test
    void typescript_codeModeToolsGlobalCallsTheUpstreamAndHandsAResultBack() {
        Map<String, Object> r = run("typescript", """
                const echoed = await tools.everything.echo({ message: 'typed' });
                const same = await tools.call('everything.echo', { message: 'by name' });
                await tools.result({ first: JSON.stringify(echoed), second: JSON.stringify(same) });
                """);
        assertThat(r.get("exitCode")).as("result %s", r).isEqualTo(0);
        Map<String, Object> result = (Map<String, Object>) r.get("result");
        assertThat((String) result.get("first")).contains("typed");
        assertThat((String) result.get("second")).contains("by name");
        assertThat((List<Map<String, Object>>) r.get("toolCalls")).extracting(c -> c.get("tool"))
                .containsExactly("everything.echo", "everything.echo");
    }

    @Test
    void typescript_runtimeErrorLineIsTheTypeScriptLine() {
        Map<String, Object> r = run("typescript", """
                interface Point {
                  x: number;
                  y: number;
                }
                const points: Point[] = JSON.parse('[{"x": 1, "y": 2}]');
                const third = points[2] as Point;
                console.log(third.x);
                """);
        assertThat(error(r)).containsEntry("type", "TypeError").containsEntry("line", 7);
    }

    @Test
    void ruby_exceptionInTheStandardLibraryPointsAtTheUsersCall() {
        Map<String, Object> r = run("ruby", """
                require 'json'
                data = JSON.parse('{"a": 1}')
                puts data['a']
                JSON.parse('{')
                """);
        assertThat(r.get("stdout")).isEqualTo("1\n");
        assertThat(error(r)).containsEntry("type", "JSON::ParserError").containsEntry("line", 4);
    }

    @Test
    void ruby_noMethodErrorKeepsItsMessageWithoutTheSnippet() {
        Map<String, Object> r = run("rb", "name = nil\nputs name.upcase\n");
        assertThat(error(r)).containsEntry("type", "NoMethodError").containsEntry("line", 2)
                .containsEntry("message", "undefined method `upcase' for nil:NilClass");
    }

    @Test
    void compiledLanguagesRunRepeatedlyFromPreStartedSandboxes() {
        for (int i = 0; i < 3; i++) {
            Map<String, Object> ts = run("typescript", "console.log('round " + i + "');\n");
            assertThat(ts.get("stdout")).as("result %s", ts).isEqualTo("round " + i + "\n");
            Map<String, Object> java = run("java", "public class Main { public static void main(String[] a) {"
                    + " System.out.println(\"round " + i + "\"); } }\n");
            assertThat(java.get("stdout")).as("result %s", java).isEqualTo("round " + i + "\n");
        }
    }

    @Test
    void ruby_preStartedInterpreterRunsTheScriptAsTheMainProgramWithItsStdin() {
        for (int i = 0; i < 3; i++) {
            CallToolResult result = server.call("execute_code", Map.of("language", "ruby", "stdin", "round " + i + "\n",
                    "code", "if __FILE__ == $0\n  puts $stdin.gets.upcase\nend\nexit 3\n"));
            Map<String, Object> r = (Map<String, Object>) result.structuredContent();
            assertThat(r.get("stdout")).as("result %s", r).isEqualTo("ROUND " + i + "\n");
            assertThat(r.get("exitCode")).isEqualTo(3);
        }
    }

    @Test
    void ruby_syntaxErrorAtRunTimeNamesItsLine() {
        Map<String, Object> r = run("ruby", "puts 1\nputs )\n");
        assertThat(error(r)).containsEntry("type", "SyntaxError").containsEntry("line", 2);
        assertThat((String) r.get("stderr")).doesNotContain("-e:");
    }

    @Test
    void javacWithoutAJvmBesideItIsListedAsUnavailableWithTheFix() throws Exception {
        Path jdk = Files.createTempDirectory("half-jdk-");
        Path javac = Files.createDirectories(jdk.resolve("bin")).resolve("javac");
        Files.copy(Path.of("/usr/lib/jvm/java-17-openjdk-amd64/bin/javac"), javac, StandardCopyOption.COPY_ATTRIBUTES);
        String config = JSON.writeValueAsString(Map.of("languages", Map.of(
                "java", Map.of("command", List.of(javac.toString())),
                "typescript", Map.of("command", List.of(jdk.resolve("no-tsc").toString())))));
        try (SandboxServer half = SandboxServer.start(config, Map.of())) {
            Map<String, Object> listing = (Map<String, Object>) half.call("list_languages", Map.of()).structuredContent();
            List<Map<String, Object>> unavailable = (List<Map<String, Object>>) listing.get("unavailable");
            assertThat(unavailable).anySatisfy(u -> {
                assertThat(u.get("id")).isEqualTo("java");
                assertThat((String) u.get("reason")).contains("no java beside it").contains("apt-get install openjdk-17");
            });
            assertThat(unavailable).anySatisfy(u -> {
                assertThat(u.get("id")).isEqualTo("typescript");
                assertThat((String) u.get("reason")).contains("npm install -g");
            });
            CallToolResult refused = half.call("execute_code", Map.of("language", "ts", "code", "console.log(1)"));
            assertThat(refused.isError()).isTrue();
            assertThat(SandboxServer.text(refused)).contains("typescript").contains("npm install -g");
        } finally {
            Files.deleteIfExists(javac);
            Files.deleteIfExists(javac.getParent());
            Files.deleteIfExists(jdk);
        }
    }
}
