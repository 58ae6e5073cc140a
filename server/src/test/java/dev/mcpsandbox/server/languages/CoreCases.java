package dev.mcpsandbox.server.languages;

import java.util.List;
import java.util.Optional;

/** The shared language suite's cases for the languages the server started with: Python, JavaScript, Bash. */
final class CoreCases {
    private CoreCases() {
    }

    static List<LanguageCase> cases() {
        return List.of(
                new LanguageCase("python",
                        "print('hello from python')\n",
                        "print(input().upper())\n",
                        "def fail():\n    raise ValueError('boom')\n\nfail()\n", 2,
                        "x = 1\nif x == 1\n    print(x)\n", 2,
                        "while True:\n    pass\n",
                        Optional.of("import subprocess\nprint(subprocess.run(['tool', 'everything.echo',"
                                + " '{\"message\": \"from python\"}'], capture_output=True, text=True, check=True).stdout)\n")),
                new LanguageCase("javascript",
                        "console.log('hello from javascript');\n",
                        "const fs = require('fs');\nconsole.log(fs.readFileSync(0, 'utf8').split('\\n')[0].toUpperCase());\n",
                        "function fail() {\n  throw new Error('boom');\n}\nfail();\n", 2,
                        "const x = 1;\nif (x === 1 {\n  console.log(x);\n}\n", 2,
                        "for (;;) {}\n",
                        Optional.of("const { execFileSync } = require('child_process');\nconsole.log(execFileSync('tool',"
                                + " ['everything.echo', '{\"message\": \"from javascript\"}'], { encoding: 'utf8' }));\n")),
                new LanguageCase("bash",
                        "echo 'hello from bash'\n",
                        "read -r line\necho \"${line^^}\"\n",
                        "set -e\nfalse_command_that_does_not_exist\necho never\n", 2,
                        "if true; then\n  echo yes\nfi fi\n", 3,
                        "while :; do :; done\n",
                        Optional.of("tool everything.echo '{\"message\": \"from bash\"}'\n")));
    }
}
