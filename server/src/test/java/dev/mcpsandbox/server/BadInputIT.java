package dev.mcpsandbox.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Arguments a model gets wrong: each is refused with a message that says what to change, nothing runs,
 * and the server keeps serving afterwards.
 */
class BadInputIT {
    private static SandboxServer server;

    @BeforeAll
    static void start() {
        server = SandboxServer.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** Calls execute_code and checks the call was refused (not run): isError with a message. Returns the message. */
    private static String refused(Map<String, Object> arguments) {
        CallToolResult result = server.call("execute_code", arguments);
        String text = SandboxServer.text(result);
        assertThat(result.isError()).as("isError for %s; text: %s", arguments.keySet(), text).isTrue();
        assertThat(text).as("error text").isNotBlank();
        if (result.structuredContent() instanceof Map<?, ?> s) {
            // A refusal must not look like a run: no exit code, no output from the program.
            assertThat(s.get("exitCode")).as("exitCode of a refused call (%s)", text).isNull();
            assertThat(String.valueOf(s.get("stdout") == null ? "" : s.get("stdout"))).doesNotContain("RAN-IT");
        }
        return text;
    }

    private static Map<String, Object> args(Object... keysAndValues) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    private static void assertStillServes() {
        Map<String, Object> r = server.execute("python", "print(1)");
        assertThat(r).as("server answer after a bad request").isNotNull();
        assertThat(r.get("stdout")).isEqualTo("1\n");
        assertThat(r.get("exitCode")).isEqualTo(0);
    }

    @Test
    void unknownLanguageIsRefusedListingTheKnownLanguages() {
        String message = refused(args("language", "klingon", "code", "print('RAN-IT')"));
        assertThat(message).contains("klingon").contains("python").contains("javascript").contains("bash");
        assertStillServes();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   \n\t  \n"})
    void emptyOrWhitespaceOnlyCodeIsRefused(String code) {
        String message = refused(args("language", "python", "code", code));
        assertThat(message).containsIgnoringCase("empty");
        assertThat(message).contains("code");
        assertStillServes();
    }

    @Test
    void codeOverTheSizeLimitIsRefusedNamingTheMaximum() {
        String code = "# RAN-IT\n" + "x = 1\n".repeat(50_000 - 2) + "#".repeat(300_000 - 9 - 6 * (50_000 - 2));
        assertThat(code.length()).isEqualTo(300_000);
        String message = refused(args("language", "python", "code", code));
        assertThat(message).contains("262144").contains("300000");
        assertStillServes();
    }

    @Test
    void codeWithANulCharacterIsRefused() {
        String message = refused(args("language", "python", "code", "print('RAN-IT')\n\u0000\n"));
        assertThat(message).contains("NUL");
        assertStillServes();
    }

    /**
     * An unpaired surrogate cannot be written as UTF-8, so on the wire it can only arrive as the JSON escape
     * {@code \\ud800}. The SDK client replaces it with '?' before sending, so this test speaks JSON-RPC to the
     * server jar directly to deliver exactly that escape.
     */
    @Test
    void codeWithAnUnpairedSurrogateIsRefused() throws Exception {
        String code = "print('RAN-IT \\ud800')\\n";
        JsonNode response = RawStdio.callOnce("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
                + "{\"name\":\"execute_code\",\"arguments\":{\"language\":\"python\",\"code\":\"" + code + "\"}}}");
        JsonNode result = response.path("result");
        assertThat(result.isMissingNode()).as("response %s", response).isFalse();
        assertThat(result.path("isError").asBoolean()).as("response %s", response).isTrue();
        String text = result.path("content").path(0).path("text").asText();
        assertThat(text).containsPattern("(?i)surrogate|unicode");
        assertThat(result.path("structuredContent").path("stdout").asText("")).doesNotContain("RAN-IT");
        assertStillServes();
    }

    /** One JSON-RPC exchange with a fresh server process over raw stdio, bypassing the SDK client's encoder. */
    private static final class RawStdio {
        static JsonNode callOnce(String requestLine) throws Exception {
            ObjectMapper json = new ObjectMapper();
            Process p = SandboxServer.builder().processBuilder().redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (BufferedWriter in = new BufferedWriter(new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8));
                 BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                in.write("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                        + "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}\n");
                in.flush();
                readResponse(json, out, 1);
                in.write("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n");
                in.write(requestLine + "\n");
                in.flush();
                return readResponse(json, out, 2);
            } finally {
                p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }

        private static JsonNode readResponse(ObjectMapper json, BufferedReader out, int id) throws IOException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String line;
            while (System.nanoTime() < deadline && (line = out.readLine()) != null) {
                JsonNode node = json.readTree(line);
                if (node.path("id").asInt(-1) == id) {
                    return node;
                }
            }
            throw new AssertionError("no response with id " + id);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"../%s", "/etc/%s", "a/../../%s", "a//%s", ".", "", "main.py", "..", "a/./%s", "./%s"})
    void fileNamesThatLeaveTheWorkDirectoryOrClashWithTheEntryFileAreRefused(String pattern) throws IOException {
        String distinctive = "escape-it-" + UUID.randomUUID();
        String name = pattern.contains("%s") ? String.format(pattern, distinctive) : pattern;
        String code = "print('RAN-IT')";
        String message = refused(args("language", "python", "code", code, "files", Map.of(name, "escaped content")));
        assertThat(message).contains("\"" + name + "\"");
        assertThat(message).contains("files");
        // Nothing may have been written outside a sandbox's work directory, wherever the server keeps them.
        assertThat(Path.of("/etc", distinctive)).doesNotExist();
        assertThat(Path.of("/", distinctive)).doesNotExist();
        assertThat(findAnywhereUnder(Path.of(System.getProperty("java.io.tmpdir")), distinctive)).isEmpty();
        assertThat(findAnywhereUnder(Path.of("/tmp"), distinctive)).isEmpty();
        assertStillServes();
    }

    @Test
    void aFileWhoseNameIsAlsoUsedAsADirectoryIsRefusedNamingIt() {
        Map<String, Object> files = new java.util.LinkedHashMap<>();
        files.put("data", "a plain file");
        files.put("data/in.csv", "a,b\n");
        CallToolResult result = server.call("execute_code", args("language", "python", "code", "print('RAN-IT')",
                "files", files));
        String text = SandboxServer.text(result);
        assertThat(result.isError()).isTrue();
        assertThat(text).contains("\"data\"");
        // A request problem, not a sandbox failure, and no host path in the message.
        Map<?, ?> error = (Map<?, ?>) ((Map<?, ?>) result.structuredContent()).get("error");
        assertThat(error.get("type")).as(text).isEqualTo("invalid_request");
        assertThat(text).doesNotContain("/tmp/").doesNotContain("mcp-sandbox/");
        assertStillServes();
    }

    @Test
    void aFileInsideTheEntryFileIsRefusedNamingIt() {
        CallToolResult result = server.call("execute_code", args("language", "python", "code", "print('RAN-IT')",
                "files", Map.of("main.py/x", "y")));
        String text = SandboxServer.text(result);
        assertThat(result.isError()).isTrue();
        assertThat(text).contains("main.py/x");
        Map<?, ?> error = (Map<?, ?>) ((Map<?, ?>) result.structuredContent()).get("error");
        assertThat(error.get("type")).as(text).isEqualTo("invalid_request");
        assertThat(text).doesNotContain("/tmp/").doesNotContain("mcp-sandbox/");
        assertStillServes();
    }

    @Test
    void aGoodFileNextToABadOneIsNotWrittenEither() throws IOException {
        String distinctive = "escape-it-" + UUID.randomUUID();
        String message = refused(args("language", "python", "code", "print('RAN-IT')",
                "files", Map.of("ok.txt", "fine", "../" + distinctive, "escaped content")));
        assertThat(message).contains("../" + distinctive);
        assertThat(findAnywhereUnder(Path.of("/tmp"), distinctive)).isEmpty();
        assertStillServes();
    }

    private static List<Path> findAnywhereUnder(Path root, String name) throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.find(root, 12, (p, attrs) -> p.getFileName() != null
                && p.getFileName().toString().contains(name), java.nio.file.FileVisitOption.values())) {
            return walk.toList();
        } catch (java.io.UncheckedIOException e) {
            // Directories of other users' sandboxes may be unreadable; scan what can be read.
            return List.of();
        }
    }

    @Test
    void timeoutAboveTheMaximumIsRefusedNamingTheKey() {
        String message = refused(args("language", "python", "code", "print('RAN-IT')", "timeoutSeconds", 100000));
        assertThat(message).contains("timeoutSeconds").contains("100000");
        assertStillServes();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -5})
    void timeoutBelowOneIsRefusedNamingTheKey(int timeout) {
        String message = refused(args("language", "python", "code", "print('RAN-IT')", "timeoutSeconds", timeout));
        assertThat(message).contains("timeoutSeconds");
        assertStillServes();
    }

    @Test
    void fractionalTimeoutIsRefusedNamingTheKey() {
        String message = refused(args("language", "python", "code", "print('RAN-IT')", "timeoutSeconds", 2.5));
        assertThat(message).contains("timeoutSeconds").containsIgnoringCase("whole");
        assertStillServes();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 999999})
    void memoryOutOfRangeIsRefusedNamingTheKey(int memoryMb) {
        String message = refused(args("language", "python", "code", "print('RAN-IT')",
                "limits", Map.of("memoryMb", memoryMb)));
        assertThat(message).contains("memoryMb");
        assertStillServes();
    }

    @Test
    void unknownLimitKeyIsRefusedNamingTheKey() {
        String message = refused(args("language", "python", "code", "print('RAN-IT')", "limits", Map.of("cpus", 2)));
        assertThat(message).contains("cpus");
        assertStillServes();
    }

    @Test
    void everyProblemInOneRequestIsReported() {
        String message = refused(args("language", "python", "code", "print('RAN-IT')", "timeoutSeconds", 0,
                "limits", Map.of("memoryMb", 999999)));
        assertThat(message).contains("timeoutSeconds").contains("memoryMb");
        assertStillServes();
    }

    @Test
    void codeThatIsNotAStringIsRefused() {
        String message = refused(args("language", "python", "code", 42));
        assertThat(message).containsPattern("\"code\"|/code\\b");
        assertStillServes();
    }

    @Test
    void missingCodeIsRefused() {
        String message = refused(args("language", "python"));
        assertThat(message).containsPattern("['\"/]code\\b").containsIgnoringCase("required");
        assertStillServes();
    }

    @Test
    void filesAsAListIsRefused() {
        String message = refused(args("language", "python", "code", "print('RAN-IT')", "files", List.of("a.txt")));
        assertThat(message).containsPattern("\"files\"|/files\\b");
        assertStillServes();
    }

    @Test
    void fileContentThatIsNotAStringIsRefused() {
        String message = refused(args("language", "python", "code", "print('RAN-IT')", "files", Map.of("a.txt", 5)));
        assertThat(message).contains("a.txt");
        assertStillServes();
    }

    @Test
    void unknownToolIsAProtocolErrorAndTheServerKeepsServing() {
        assertThatThrownBy(() -> server.call("no_such_tool_here", Map.of("x", 1))).isInstanceOf(McpError.class);
        assertStillServes();
    }
}
