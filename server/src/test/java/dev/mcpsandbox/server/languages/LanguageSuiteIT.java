package dev.mcpsandbox.server.languages;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpsandbox.server.SandboxServer;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every language behaves the same way through a real MCP client (the Java SDK over stdio against the built
 * jar): hello world, stdin, a runtime error with its line, validate_code on good and bad code, the time limit,
 * for compiled languages a compile error and a build-cache hit, and the code-mode {@code tool} command
 * against a real upstream server. The cases come from one list per family of languages.
 */
@SuppressWarnings("unchecked")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LanguageSuiteIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private SandboxServer server;
    private List<Map<String, Object>> available;

    static Stream<LanguageCase> cases() {
        return LanguageCases.all().stream();
    }

    /** Runs after {@link #start}: whether a language is compiled is what the server says in list_languages. */
    Stream<LanguageCase> compiledCases() {
        return cases().filter(c -> available.stream().anyMatch(l -> c.language().equals(l.get("id"))
                && Boolean.TRUE.equals(l.get("compiled"))));
    }

    static Stream<LanguageCase> toolCommandCases() {
        return cases().filter(c -> c.callsToolCommand().isPresent());
    }

    @BeforeAll
    void start() throws Exception {
        Map<String, Object> config = EchoUpstream.config();
        server = SandboxServer.start(JSON.writeValueAsString(config), Map.of());
        CallToolResult languages = server.call("list_languages", Map.of());
        available = (List<Map<String, Object>>) ((Map<String, Object>) languages.structuredContent()).get("languages");
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** Every language the set-up script installs must be there; a missing one fails in CI and skips elsewhere. */
    private Map<String, Object> installed(LanguageCase c) {
        Map<String, Object> language = available.stream().filter(l -> c.language().equals(l.get("id"))).findFirst()
                .orElse(null);
        SandboxServer.requireOrSkip(language != null, c.language() + " is not installed here (bin/setup installs it)");
        return language;
    }

    private boolean compiled(LanguageCase c) {
        return Boolean.TRUE.equals(installed(c).get("compiled"));
    }

    private Map<String, Object> run(LanguageCase c, String code, Map<String, Object> extra) {
        installed(c);
        Map<String, Object> args = new LinkedHashMap<>(extra);
        args.put("language", c.language());
        args.put("code", code);
        CallToolResult result = server.call("execute_code", args);
        assertThat(result.structuredContent()).as("structured result of %s", SandboxServer.text(result)).isNotNull();
        Map<String, Object> r = new LinkedHashMap<>((Map<String, Object>) result.structuredContent());
        r.put("isError", result.isError());
        return r;
    }

    private Map<String, Object> validate(LanguageCase c, String code) {
        installed(c);
        CallToolResult result = server.call("validate_code", Map.of("language", c.language(), "code", code));
        assertThat(result.isError()).as("validate_code answer %s", SandboxServer.text(result)).isFalse();
        return (Map<String, Object>) result.structuredContent();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void printsHelloWorld(LanguageCase c) {
        Map<String, Object> r = run(c, c.hello(), Map.of());
        assertThat(r.get("stdout")).as("result %s", r).isEqualTo("hello from " + c.language() + "\n");
        assertThat(r.get("exitCode")).isEqualTo(0);
        assertThat(r.get("error")).isNull();
        assertThat(r.get("isError")).isEqualTo(false);
        if (compiled(c)) {
            assertThat(r.get("compile")).as("compile report of a compiled language").isNotNull();
        } else {
            assertThat(r.get("compile")).isNull();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void readsStandardInput(LanguageCase c) {
        Map<String, Object> r = run(c, c.echoStdin(), Map.of("stdin", "quiet words\n"));
        assertThat(r.get("stdout")).as("result %s", r).isEqualTo("QUIET WORDS\n");
        assertThat(r.get("exitCode")).isEqualTo(0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void reportsRuntimeErrorWithItsLine(LanguageCase c) {
        Map<String, Object> r = run(c, c.runtimeError(), Map.of());
        assertThat(r.get("exitCode")).as("result %s", r).isNotEqualTo(0);
        assertThat(r.get("isError")).isEqualTo(true);
        Map<String, Object> error = (Map<String, Object>) r.get("error");
        assertThat(error).as("error of %s", r).isNotNull();
        assertThat(error.get("type")).isNotEqualTo("compile");
        assertThat(error.get("line")).as("error %s", error).isEqualTo(c.runtimeErrorLine());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void validateCodeAcceptsValidCode(LanguageCase c) {
        Map<String, Object> report = validate(c, c.hello());
        assertThat(report.get("valid")).as("report %s", report).isEqualTo(true);
        assertThat((List<Object>) report.get("errors")).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void validateCodeReportsSyntaxErrorWithItsLine(LanguageCase c) {
        Map<String, Object> report = validate(c, c.syntaxError());
        assertThat(report.get("valid")).as("report %s", report).isEqualTo(false);
        List<Map<String, Object>> errors = (List<Map<String, Object>>) report.get("errors");
        assertThat(errors).isNotEmpty();
        assertThat(errors.get(0).get("line")).as("errors %s", errors).isEqualTo(c.syntaxErrorLine());
        assertThat((String) errors.get(0).get("message")).isNotBlank();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void stopsAtTheTimeLimit(LanguageCase c) {
        Map<String, Object> r = run(c, c.spins(), Map.of("timeoutSeconds", 2));
        assertThat(r.get("timedOut")).as("result %s", r).isEqualTo(true);
        assertThat(r.get("limitHit")).isEqualTo("timeout");
        assertThat(r.get("exitCode")).isNull();
    }

    @ParameterizedTest(name = "{0}", allowZeroInvocations = true)
    @MethodSource("compiledCases")
    void compileErrorComesBackAsCompileErrorWithItsLine(LanguageCase c) {
        Map<String, Object> r = run(c, c.syntaxError(), Map.of());
        assertThat(r.get("isError")).as("result %s", r).isEqualTo(true);
        Map<String, Object> error = (Map<String, Object>) r.get("error");
        assertThat(error).as("result %s", r).isNotNull();
        assertThat(error.get("type")).isEqualTo("compile");
        assertThat(error.get("line")).as("error %s", error).isEqualTo(c.syntaxErrorLine());
        assertThat((String) r.get("stderr")).as("the compiler's diagnostics").isNotBlank();
        assertThat(((Map<String, Object>) r.get("compile")).get("cached")).isEqualTo(false);
    }

    @ParameterizedTest(name = "{0}", allowZeroInvocations = true)
    @MethodSource("compiledCases")
    void repeatedProgramComesFromTheBuildCache(LanguageCase c) {
        String program = c.echoStdin();
        run(c, program, Map.of("stdin", "first\n"));
        Map<String, Object> again = run(c, program, Map.of("stdin", "second run\n"));
        assertThat(again.get("stdout")).as("result %s", again).isEqualTo("SECOND RUN\n");
        assertThat(((Map<String, Object>) again.get("compile")).get("cached")).as("result %s", again).isEqualTo(true);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("toolCommandCases")
    void toolCommandReachesTheUpstreamServer(LanguageCase c) {
        Map<String, Object> r = run(c, c.callsToolCommand().orElseThrow(), Map.of());
        assertThat(r.get("exitCode")).as("result %s", r).isEqualTo(0);
        assertThat((String) r.get("stdout")).contains("Echo: from " + c.language());
        List<Map<String, Object>> calls = (List<Map<String, Object>>) r.get("toolCalls");
        assertThat(calls).extracting(call -> call.get("tool")).containsExactly("everything.echo");
    }
}
