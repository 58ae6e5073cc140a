package dev.mcpsandbox.server;

import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code validate_code}: the language's own parser, run without running the code, plus advisory findings. */
@SuppressWarnings("unchecked")
class ValidateCodeIT {
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

    private static Map<String, Object> validate(String language, String code) {
        CallToolResult result = server.call("validate_code", Map.of("language", language, "code", code));
        assertThat(result.isError()).as("isError of %s", SandboxServer.text(result)).isFalse();
        assertThat(result.structuredContent()).isNotNull();
        return (Map<String, Object>) result.structuredContent();
    }

    private static List<Map<String, Object>> errors(Map<String, Object> report) {
        return (List<Map<String, Object>>) report.get("errors");
    }

    private static String program(String language, String python, String javascript, String bash) {
        return switch (language) {
            case "python" -> python;
            case "javascript" -> javascript;
            case "bash" -> bash;
            default -> throw new IllegalArgumentException(language);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"python", "javascript", "bash"})
    void validCodeIsValidWithNoErrors(String language) {
        String code = program(language,
                "def f(x):\n    return x * 2\n\nprint(f(21))\n",
                "function f(x) {\n  return x * 2;\n}\nconst v = await Promise.resolve(f(21));\nconsole.log(v);\n",
                "f() {\n  echo $(( $1 * 2 ))\n}\nif true; then\n  f 21\nfi\n");
        Map<String, Object> report = validate(language, code);
        assertThat(report.get("valid")).as("report %s", report).isEqualTo(true);
        assertThat(errors(report)).isEmpty();
    }

    @Test
    void pythonUnclosedParenthesisIsReportedOnItsLineWithAColumn() {
        Map<String, Object> report = validate("python", "x = 1\nprint(\n");
        assertThat(report.get("valid")).isEqualTo(false);
        assertThat(errors(report)).hasSize(1);
        Map<String, Object> error = errors(report).get(0);
        assertThat(error.get("line")).as("error %s", error).isEqualTo(2);
        assertThat(error.get("column")).as("error %s", error).isInstanceOf(Integer.class);
        assertThat((Integer) error.get("column")).isPositive();
        assertThat((String) error.get("message")).isNotBlank();
    }

    @Test
    void pythonIndentationErrorIsReportedOnItsLine() {
        Map<String, Object> report = validate("python", "def f():\n    return 1\n  x = 2\n");
        assertThat(report.get("valid")).isEqualTo(false);
        assertThat(errors(report).get(0).get("line")).as("report %s", report).isEqualTo(3);
        assertThat((String) errors(report).get(0).get("message")).contains("IndentationError");
    }

    @Test
    void javascriptSyntaxErrorIsReportedOnItsLine() {
        Map<String, Object> report = validate("javascript", "const a = 1;\nlet x = ;\nconsole.log(a);\n");
        assertThat(report.get("valid")).isEqualTo(false);
        assertThat(errors(report)).isNotEmpty();
        Map<String, Object> error = errors(report).get(0);
        assertThat(error.get("line")).as("error %s", error).isEqualTo(2);
        assertThat((String) error.get("message")).contains("SyntaxError");
    }

    @Test
    void bashMissingFiIsReportedWithALineAndMessage() {
        Map<String, Object> report = validate("bash", "echo start\nif true; then\n  echo inside\n");
        assertThat(report.get("valid")).isEqualTo(false);
        assertThat(errors(report)).isNotEmpty();
        Map<String, Object> error = errors(report).get(0);
        assertThat(error.get("line")).as("error %s", error).isInstanceOf(Integer.class);
        assertThat((Integer) error.get("line")).isBetween(2, 4);
        assertThat((String) error.get("message")).isNotBlank();
    }

    @Test
    void invalidCodeTextRenderingNamesTheLine() {
        CallToolResult result = server.call("validate_code", Map.of("language", "python", "code", "x = 1\nprint(\n"));
        assertThat(SandboxServer.text(result)).contains("invalid").contains("line 2");
    }

    @Test
    void pythonSocketImportGivesAnAdvisoryNetworkFinding() {
        Map<String, Object> report = validate("python", "import json\nimport socket\nprint(json.dumps(1))\n");
        assertThat(report.get("valid")).isEqualTo(true);
        List<Map<String, Object>> findings = (List<Map<String, Object>>) report.get("findings");
        assertThat(findings).as("findings %s", findings)
                .anySatisfy(f -> {
                    assertThat(f.get("category")).isEqualTo("network");
                    assertThat(f.get("advisory")).isEqualTo(true);
                    assertThat(f.get("line")).isEqualTo(2);
                    assertThat((String) f.get("message")).isNotBlank();
                });
    }

    @Test
    void harmlessCodeHasNoFindings() {
        Map<String, Object> report = validate("python", "print(sum(range(10)))\n");
        assertThat((List<?>) report.get("findings")).isEmpty();
    }

    @Test
    void validationDoesNotRunTheCode() {
        Map<String, Object> report = validate("python", "import sys\nprint('SHOULD-NOT-PRINT')\nsys.exit(3)\n");
        assertThat(report.get("valid")).as("report %s", report).isEqualTo(true);
        assertThat(errors(report)).isEmpty();
        assertThat(report).doesNotContainKeys("stdout", "stderr", "exitCode");
        assertThat(report.toString()).doesNotContain("SHOULD-NOT-PRINT\n");
        CallToolResult result = server.call("validate_code", Map.of("language", "python",
                "code", "print('SHOULD-NOT-PRINT-' + 'EITHER')\n"));
        assertThat(SandboxServer.text(result)).doesNotContain("SHOULD-NOT-PRINT-EITHER");
        assertThat(String.valueOf(result.structuredContent())).doesNotContain("SHOULD-NOT-PRINT-EITHER");
    }

    @ParameterizedTest
    @ValueSource(strings = {"python", "javascript", "bash"})
    void validationOfALongRunningProgramReturnsAtOnce(String language) {
        String code = program(language, "import time\ntime.sleep(30)\n",
                "await new Promise(r => setTimeout(r, 30000));\n", "sleep 30\n");
        long started = System.nanoTime();
        Map<String, Object> report = validate(language, code);
        long ms = (System.nanoTime() - started) / 1_000_000;
        assertThat(report.get("valid")).as("report %s", report).isEqualTo(true);
        assertThat(ms).as("validation took %d ms", ms).isLessThan(5_000);
    }

    @Test
    void unknownLanguageIsAnErrorNamingTheKnownOnes() {
        CallToolResult result = server.call("validate_code", Map.of("language", "cobol", "code", "x"));
        assertThat(result.isError()).isTrue();
        assertThat(SandboxServer.text(result)).contains("cobol").contains("python");
    }
}
