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

/**
 * {@code execute_code} end to end: the built jar over stdio, driven by the MCP Java SDK client, checked
 * against the wire contract of DESIGN.md for each of the three languages.
 */
@SuppressWarnings("unchecked")
class ExecuteCodeIT {
    /** A fake AWS access key id, assembled at run time so the literal never appears in the submitted code. */
    private static final String FAKE_KEY_TAIL = "QZ7XW3ERTY2UIOPA";

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

    private static String program(String language, String python, String javascript, String bash) {
        return switch (language) {
            case "python" -> python;
            case "javascript" -> javascript;
            case "bash" -> bash;
            default -> throw new IllegalArgumentException(language);
        };
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> structured(CallToolResult result) {
        assertThat(result.structuredContent()).as("structured content of %s", SandboxServer.text(result)).isNotNull();
        return (Map<String, Object>) result.structuredContent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"python", "javascript", "bash"})
    void stdoutIsReturnedAndExitZeroIsNotAnError(String language) {
        String code = program(language, "print('out-' + str(6 * 7))", "console.log('out-' + 6 * 7)", "echo out-$((6 * 7))");
        CallToolResult result = server.call("execute_code", Map.of("language", language, "code", code));
        Map<String, Object> r = structured(result);
        assertThat(r.get("stdout")).isEqualTo("out-42\n");
        assertThat(r.get("stderr")).isEqualTo("");
        assertThat(r.get("exitCode")).isEqualTo(0);
        assertThat(r.get("timedOut")).isEqualTo(false);
        assertThat(r.get("limitHit")).isNull();
        assertThat(r.get("error")).isNull();
        assertThat(r.get("stdoutTruncated")).isEqualTo(false);
        assertThat(r.get("stderrTruncated")).isEqualTo(false);
        assertThat(r.get("executionId")).asString().isNotBlank();
        assertThat(((Number) r.get("durationMs")).longValue()).isGreaterThanOrEqualTo(0);
        assertThat(result.isError()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"python", "javascript", "bash"})
    void stderrIsCapturedSeparatelyFromStdout(String language) {
        String code = program(language,
                "import sys\nprint('to-out')\nprint('to-err', file=sys.stderr)\n",
                "console.log('to-out');\nconsole.error('to-err');\n",
                "echo to-out\necho to-err >&2\n");
        Map<String, Object> r = server.execute(language, code);
        assertThat(r.get("stdout")).isEqualTo("to-out\n");
        assertThat(r.get("stderr")).isEqualTo("to-err\n");
        assertThat(r.get("exitCode")).isEqualTo(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"python", "javascript", "bash"})
    void nonZeroExitCodePassesThroughAndIsAnError(String language) {
        String code = program(language, "import sys\nprint('before')\nsys.exit(7)\n",
                "console.log('before');\nprocess.exit(7);\n", "echo before\nexit 7\n");
        CallToolResult result = server.call("execute_code", Map.of("language", language, "code", code));
        Map<String, Object> r = structured(result);
        assertThat(r.get("exitCode")).isEqualTo(7);
        assertThat(r.get("stdout")).isEqualTo("before\n");
        assertThat(r.get("timedOut")).isEqualTo(false);
        assertThat(r.get("limitHit")).isNull();
        assertThat(result.isError()).isTrue();
    }

    @Test
    void pythonRuntimeErrorReportsTypeMessageAndLine() {
        Map<String, Object> r = server.execute("python", "a = 1\nb = 0\nc = a / b\nprint(c)\n");
        assertThat(r.get("exitCode")).isEqualTo(1);
        assertThat(r.get("error")).as("error of %s", r).isInstanceOf(Map.class);
        Map<?, ?> error = (Map<?, ?>) r.get("error");
        assertThat(error.get("type")).isEqualTo("ZeroDivisionError");
        assertThat((String) error.get("message")).contains("division by zero");
        assertThat(error.get("line")).isEqualTo(3);
    }

    @Test
    void pythonRuntimeErrorInsideAFunctionReportsTheLineOfTheRaise() {
        Map<String, Object> r = server.execute("python", "def f(d):\n    return d['missing']\n\n\nf({})\n");
        Map<?, ?> error = (Map<?, ?>) r.get("error");
        assertThat(error).as("error of %s", r).isNotNull();
        assertThat(error.get("type")).isEqualTo("KeyError");
        assertThat(error.get("line")).isEqualTo(2);
    }

    @Test
    void javascriptRuntimeErrorReportsTheLineOfTheThrowInsideAFunction() {
        String code = "function f(o) {\n  return o.x.y;\n}\nconsole.log('start');\nf({});\n";
        Map<String, Object> r = server.execute("javascript", code);
        assertThat(r.get("exitCode")).isNotEqualTo(0);
        assertThat(r.get("stdout")).isEqualTo("start\n");
        Map<?, ?> error = (Map<?, ?>) r.get("error");
        assertThat(error).as("error of %s", r).isNotNull();
        assertThat(error.get("type")).isEqualTo("TypeError");
        assertThat((String) error.get("message")).contains("undefined");
        assertThat(error.get("line")).isEqualTo(2);
    }

    @Test
    void javascriptThrownErrorFromAnAwaitedAsyncFunctionReportsItsLine() {
        String code = "async function g() {\n  await null;\n  throw new RangeError('too far');\n}\nawait g();\n";
        Map<String, Object> r = server.execute("javascript", code);
        Map<?, ?> error = (Map<?, ?>) r.get("error");
        assertThat(error).as("error of %s", r).isNotNull();
        assertThat(error.get("type")).isEqualTo("RangeError");
        assertThat(error.get("message")).isEqualTo("too far");
        assertThat(error.get("line")).isEqualTo(3);
    }

    @Test
    void pythonMultiLineExceptionMessageKeepsTheExceptionType() {
        Map<String, Object> r = server.execute("python", "x = 1\nraise ValueError('first line\\nsecond')\n");
        Map<?, ?> error = (Map<?, ?>) r.get("error");
        assertThat(error).as("error of %s", r).isNotNull();
        assertThat(error.get("type")).as("error %s", error).isEqualTo("ValueError");
        assertThat((String) error.get("message")).as("error %s", error).startsWith("first line");
        assertThat(error.get("line")).isEqualTo(2);
    }

    @Test
    void javascriptErrorTypeIsNotTakenFromWhatTheProgramPrintedToStderr() {
        Map<String, Object> r = server.execute("javascript", "console.error('debug: starting');\nnull.x;\n");
        Map<?, ?> error = (Map<?, ?>) r.get("error");
        assertThat(error).as("error of %s", r).isNotNull();
        assertThat(error.get("type")).as("error %s", error).isEqualTo("TypeError");
        assertThat((String) error.get("message")).as("error %s", error).contains("null");
        assertThat(error.get("line")).isEqualTo(2);
    }

    @Test
    void javascriptExitWithoutAnExceptionReportsNoError() {
        Map<String, Object> r = server.execute("javascript", "console.error('warning: low disk');\nprocess.exit(2);\n");
        assertThat(r.get("exitCode")).isEqualTo(2);
        assertThat(r.get("stderr")).isEqualTo("warning: low disk\n");
        assertThat(r.get("error")).as("error of a plain exit(2)").isNull();
    }

    @Test
    void javascriptThrownNonErrorValueBecomesTheErrorMessage() {
        Map<String, Object> r = server.execute("javascript", "console.log('x');\nthrow 'plain string thrown';\n");
        Map<?, ?> error = (Map<?, ?>) r.get("error");
        assertThat(error).as("error of %s", r).isNotNull();
        assertThat((String) error.get("message")).as("error %s", error).contains("plain string thrown");
    }

    @Test
    void runPastItsTimeoutIsKilledWithTimedOutAndNullExitCode() {
        long started = System.nanoTime();
        CallToolResult result = server.call("execute_code", Map.of("language", "python",
                "code", "print('started', flush=True)\nwhile True:\n    pass\n", "timeoutSeconds", 1));
        long ms = (System.nanoTime() - started) / 1_000_000;
        Map<String, Object> r = structured(result);
        assertThat(r.get("timedOut")).isEqualTo(true);
        assertThat(r.get("limitHit")).isEqualTo("timeout");
        assertThat(r.get("exitCode")).isNull();
        assertThat(r.get("stdout")).isEqualTo("started\n");
        assertThat(result.isError()).isTrue();
        assertThat(ms).as("took %d ms", ms).isLessThan(10_000);
    }

    @Test
    void bashCommandNotFoundReportsTheLine() {
        Map<String, Object> r = server.execute("bash", "echo first\nno_such_command_xyz --flag\n");
        assertThat(r.get("exitCode")).isEqualTo(127);
        assertThat(r.get("stdout")).isEqualTo("first\n");
        Map<?, ?> error = (Map<?, ?>) r.get("error");
        assertThat(error).as("error of %s", r).isNotNull();
        assertThat((String) error.get("type")).isNotBlank();
        assertThat((String) error.get("message")).contains("no_such_command_xyz").contains("not found");
        assertThat(error.get("line")).isEqualTo(2);
    }

    /** Cargo is part of the Rust toolchain set-up installs (and the images carry); offline, a crate of its own files builds. */
    @Test
    void bashBuildsAMultiFileCargoCrateOffline() {
        String code = """
                cargo new --quiet --vcs none app && cd app
                echo 'pub fn greet(who: &str) -> String { format!("hello from {who}") }' > src/greet.rs
                printf 'mod greet;\\nfn main() { println!("{}", greet::greet("a crate")); }\\n' > src/main.rs
                cargo run --offline --quiet
                """;
        Map<String, Object> r = server.execute(Map.of("language", "bash", "code", code,
                "timeoutSeconds", 120, "limits", Map.of("memoryMb", 1024, "processes", 128)));
        assertThat(r.get("stdout")).as("result %s", r).isEqualTo("hello from a crate\n");
        assertThat(r.get("exitCode")).isEqualTo(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"python", "javascript", "bash"})
    void stdinIsFedToTheProgram(String language) {
        String code = program(language,
                "import sys\ndata = sys.stdin.read()\nprint(data.upper(), end='')\n",
                "import { readFileSync } from 'node:fs';\nprocess.stdout.write(readFileSync(0, 'utf8').toUpperCase());\n",
                "tr 'a-z' 'A-Z'\n");
        Map<String, Object> r = server.execute(Map.of("language", language, "code", code,
                "stdin", "first line\nsecond line\n"));
        assertThat(r.get("stdout")).isEqualTo("FIRST LINE\nSECOND LINE\n");
        assertThat(r.get("exitCode")).isEqualTo(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"python", "javascript", "bash"})
    void inputFilesIncludingNestedPathsAreReadableFromTheWorkDirectory(String language) {
        String code = program(language,
                "import os\nprint(os.getcwd())\nprint(open('data/in.csv').read(), end='')\n"
                        + "print(open('/workspace/notes.txt').read(), end='')\n",
                "import { readFileSync } from 'node:fs';\nconsole.log(process.cwd());\n"
                        + "process.stdout.write(readFileSync('data/in.csv', 'utf8'));\n"
                        + "process.stdout.write(readFileSync('/workspace/notes.txt', 'utf8'));\n",
                "pwd\ncat data/in.csv\ncat /workspace/notes.txt\n");
        Map<String, Object> r = server.execute(Map.of("language", language, "code", code,
                "files", Map.of("data/in.csv", "a,b\n1,2\n", "notes.txt", "note ✓\n")));
        assertThat(r.get("stdout")).as("result %s", r).isEqualTo("/workspace\na,b\n1,2\nnote ✓\n");
        assertThat(r.get("exitCode")).isEqualTo(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"python", "javascript", "bash"})
    void textContentRendersStdoutAndExitStatus(String language) {
        String code = program(language, "print('rendered-marker')\nraise SystemExit(3)\n",
                "console.log('rendered-marker');\nprocess.exitCode = 3;\n", "echo rendered-marker\nexit 3\n");
        CallToolResult result = server.call("execute_code", Map.of("language", language, "code", code));
        String text = SandboxServer.text(result);
        assertThat(text).contains("rendered-marker");
        assertThat(text).containsPattern("(?i)exit[^\\n]*\\b3\\b");
        assertThat(result.isError()).isTrue();

        CallToolResult ok = server.call("execute_code", Map.of("language", language,
                "code", program(language, "print('fine')", "console.log('fine')", "echo fine")));
        assertThat(SandboxServer.text(ok)).contains("fine").containsPattern("(?i)exit[^\\n]*\\b0\\b");
    }

    @ParameterizedTest
    @ValueSource(strings = {"python", "javascript", "bash"})
    void unicodeOutputRoundTrips(String language) {
        String code = program(language, "print('héllo ✓ 日本 😀')", "console.log('héllo ✓ 日本 😀')",
                "echo 'héllo ✓ 日本 😀'");
        Map<String, Object> r = server.execute(language, code);
        assertThat(r.get("stdout")).isEqualTo("héllo ✓ 日本 😀\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"python", "javascript", "bash"})
    void secretsAreRedactedByDefault(String language) {
        String code = program(language, "print('key=' + 'AKIA' + '" + FAKE_KEY_TAIL + "' + ' done')",
                "console.log('key=' + 'AKIA' + '" + FAKE_KEY_TAIL + "' + ' done')",
                "p=AKIA\necho \"key=${p}" + FAKE_KEY_TAIL + " done\"");
        Map<String, Object> r = server.execute(language, code);
        assertThat(r.get("stdout")).isEqualTo("key=[REDACTED:aws_access_key] done\n");
        assertThat((String) r.get("stdout")).doesNotContain(FAKE_KEY_TAIL);
        assertThat((List<Object>) r.get("redacted")).containsExactly("aws_access_key");
    }

    @Test
    void secretsOnStderrAreRedactedToo() {
        Map<String, Object> r = server.execute("python",
                "import sys\nprint('AKIA' + '" + FAKE_KEY_TAIL + "', file=sys.stderr)\n");
        assertThat(r.get("stderr")).isEqualTo("[REDACTED:aws_access_key]\n");
        assertThat((List<Object>) r.get("redacted")).containsExactly("aws_access_key");
    }

    @Test
    void textRenderingDoesNotLeakRedactedSecrets() {
        CallToolResult result = server.call("execute_code", Map.of("language", "python",
                "code", "print('AKIA' + '" + FAKE_KEY_TAIL + "')"));
        assertThat(SandboxServer.text(result)).doesNotContain(FAKE_KEY_TAIL).contains("[REDACTED:aws_access_key]");
    }

    @Test
    void ordinaryOutputIsNotRedacted() {
        Map<String, Object> r = server.execute("python", "print('AKIA is a prefix; id 1234567890')");
        assertThat(r.get("stdout")).isEqualTo("AKIA is a prefix; id 1234567890\n");
        assertThat((List<Object>) r.get("redacted")).isEmpty();
    }

    @Test
    void redactionCanBeSwitchedOffByConfiguration() {
        try (SandboxServer plain = SandboxServer.start("{\"output\":{\"redactSecrets\":false}}", Map.of())) {
            Map<String, Object> r = plain.execute("python", "print('key=' + 'AKIA' + '" + FAKE_KEY_TAIL + "')");
            assertThat(r.get("stdout")).isEqualTo("key=AKIA" + FAKE_KEY_TAIL + "\n");
            Object redacted = r.get("redacted");
            assertThat(redacted == null || ((List<?>) redacted).isEmpty()).as("redacted = %s", redacted).isTrue();
        }
    }

    @Test
    void javascriptTopLevelAwaitWorks() {
        String code = "const v = await new Promise(resolve => setTimeout(() => resolve(21 * 2), 10));\n"
                + "console.log('awaited', v);\n";
        Map<String, Object> r = server.execute("javascript", code);
        assertThat(r.get("stdout")).as("result %s", r).isEqualTo("awaited 42\n");
        assertThat(r.get("exitCode")).isEqualTo(0);
    }

    @Test
    void javascriptRequireWorks() {
        String code = "const fs = require('fs');\nconst path = require('node:path');\n"
                + "fs.writeFileSync('out.txt', 'written');\n"
                + "console.log(fs.readFileSync(path.join(process.cwd(), 'out.txt'), 'utf8'));\n";
        Map<String, Object> r = server.execute("javascript", code);
        assertThat(r.get("stdout")).as("result %s", r).isEqualTo("written\n");
        assertThat(r.get("exitCode")).isEqualTo(0);
    }

    @Test
    void eachExecutionStartsFromAnEmptyWorkDirectory() {
        Map<String, Object> first = server.execute("python", "open('left-behind.txt', 'w').write('x')\nprint('ok')");
        assertThat(first.get("stdout")).isEqualTo("ok\n");
        Map<String, Object> second = server.execute("python", "import os\nprint(os.path.exists('left-behind.txt'))");
        assertThat(second.get("stdout")).isEqualTo("False\n");
    }
}
