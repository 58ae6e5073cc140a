package dev.mcpsandbox.sandbox.language;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.mcpsandbox.sandbox.language.AdvisoryScan.Finding;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AdvisoryScanTest {

    @Test
    void flagsPythonSocketImportAsNetwork() {
        List<Finding> findings = AdvisoryScan.scan("python", "x = 1\nimport socket\n");

        assertThat(findings).extracting(Finding::category, Finding::line).containsExactly(tuple("network", 2));
        assertThat(findings.get(0).message())
                .isEqualTo("line 2: imports socket — opens a network connection; the sandbox has no network,"
                        + " so this will fail (advisory)");
    }

    @Test
    void flagsJavascriptChildProcessAsSubprocess() {
        List<Finding> findings = AdvisoryScan.scan("javascript", "const { execSync } = require('node:child_process');");

        assertThat(findings).extracting(Finding::category, Finding::line).containsExactly(tuple("subprocess", 1));
        assertThat(findings.get(0).message()).contains("child_process", "process limit", "advisory");
    }

    @Test
    void flagsBashDevTcpAsNetwork() {
        List<Finding> findings = AdvisoryScan.scan("bash", "exec 3<>/dev/tcp/example.com/80");

        assertThat(findings).extracting(Finding::category, Finding::line).containsExactly(tuple("network", 1));
        assertThat(findings.get(0).message()).contains("/dev/tcp/");
    }

    static Stream<Arguments> oneLinePerCategory() {
        return Stream.of(
                Arguments.of("python", "import requests, json", "network"),
                Arguments.of("python", "from urllib.request import urlopen", "network"),
                Arguments.of("python", "os.system('ls')", "subprocess"),
                Arguments.of("python", "home = os.environ['HOME']", "environment"),
                Arguments.of("python", "exec(source)", "dynamic_code"),
                Arguments.of("python", "open('/etc/hosts', 'a')", "filesystem_outside_workspace"),
                Arguments.of("python", "time.sleep(30)", "long_sleep"),
                Arguments.of("javascript", "const r = await fetch(url);", "network"),
                Arguments.of("javascript", "import http from 'node:http';", "network"),
                Arguments.of("javascript", "console.log(process.env.PATH);", "environment"),
                Arguments.of("javascript", "const f = new Function('a', body);", "dynamic_code"),
                Arguments.of("javascript", "fs.writeFileSync('/etc/motd', 'hi');", "filesystem_outside_workspace"),
                Arguments.of("bash", "curl -s https://example.com", "network"),
                Arguments.of("bash", "pip install numpy", "network"),
                Arguments.of("bash", "env | sort", "environment"),
                Arguments.of("bash", "eval \"$cmd\"", "dynamic_code"),
                Arguments.of("bash", "echo hi > /etc/motd", "filesystem_outside_workspace"),
                Arguments.of("bash", "mkdir -p /opt/tool", "filesystem_outside_workspace"),
                Arguments.of("bash", "sleep 60", "long_sleep"));
    }

    @ParameterizedTest
    @MethodSource("oneLinePerCategory")
    void flagsEachCategoryPerLanguage(String language, String line, String category) {
        assertThat(AdvisoryScan.scan(language, line)).extracting(Finding::category).containsExactly(category);
    }

    @Test
    void flagsBashBackgroundingButNotOtherAmpersandOperators() {
        assertThat(AdvisoryScan.scan("bash", "worker.sh &")).extracting(Finding::category).containsExactly("subprocess");
        assertThat(AdvisoryScan.scan("bash", "make && ls 2>&1 | cat &> out.log")).isEmpty();
    }

    @Test
    void ignoresCommentedOutLines() {
        assertThat(AdvisoryScan.scan("python", "# import socket\n    # os.system('ls')\nprint(1)")).isEmpty();
        assertThat(AdvisoryScan.scan("javascript", "  // fetch('http://x')\n/* eval(x) */")).isEmpty();
        assertThat(AdvisoryScan.scan("bash", "#!/bin/bash\n# curl http://x\necho ok")).isEmpty();
    }

    @Test
    void reportsOneFindingPerCategoryAndLine() {
        List<Finding> findings = AdvisoryScan.scan("python",
                "import socket; s = socket.socket(); r = requests.get(u)\nos.system('a'); subprocess.run(['b'])");

        assertThat(findings).extracting(Finding::category, Finding::line)
                .containsExactly(tuple("network", 1), tuple("subprocess", 2));
    }

    @Test
    void ignoresWorkspaceAndTmpPathsAndShortSleeps() {
        assertThat(AdvisoryScan.scan("python", "open('/workspace/out.txt', 'w')\nopen('/tmp/x')\ntime.sleep(0.5)"))
                .isEmpty();
        assertThat(AdvisoryScan.scan("bash", "echo hi > /tmp/x 2>/dev/null\nrm -rf /workspace/build\nsleep 0.2"))
                .isEmpty();
    }

    @Test
    void ignoresLookalikesOfDangerousCalls() {
        String code = "model.eval()\npattern = re.compile(r'\\d+')\nvalue = ast.literal_eval(text)\nurl = '/api'\n";

        assertThat(AdvisoryScan.scan("python", code)).extracting(Finding::category)
                .containsExactly("filesystem_outside_workspace"); // '/api' is a path as far as a line scan can tell
    }

    @Test
    void returnsNothingForPlainArithmetic() {
        assertThat(AdvisoryScan.scan("python", "print(6*7)")).isEmpty();
        assertThat(AdvisoryScan.scan("javascript", "console.log(6 * 7);")).isEmpty();
        assertThat(AdvisoryScan.scan("bash", "echo $((6*7))")).isEmpty();
    }

    @Test
    void returnsNothingForUnknownLanguage() {
        assertThat(AdvisoryScan.scan("cobol", "CALL 'SYSTEM' USING CMD.")).isEmpty();
    }
}
